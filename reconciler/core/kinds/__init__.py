"""One package per kind of gateway object: everything the core knows about that kind."""

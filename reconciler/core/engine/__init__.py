"""The plan engine: changes, plans, the guard, the rails, drift stamps and import, for any
registered kind. It never imports a kind by name; what it knows of one comes from the
registry (reconciler.core.registry)."""

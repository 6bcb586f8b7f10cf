"""Routing: the gateway's fallbacks, owned whole when desired/ declares them."""

"""Agent keys: an agent in desired/ is one LiteLLM virtual key (its key_alias)."""

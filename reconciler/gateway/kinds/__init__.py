"""One module per kind: its admin-API calls, how a plan reads it, how apply writes it."""

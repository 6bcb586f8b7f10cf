"""Model deployments: the gateway's DB models, created through /model/new."""

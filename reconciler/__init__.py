"""reconciler: GitOps for a LiteLLM gateway.

desired/ YAML -> load -> diff -> Plan -> render | apply.
"""

__version__ = "0.1.0"

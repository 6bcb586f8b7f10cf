"""In-memory, LiteLLM-compatible admin API for demos and end-to-end tests.

Behaviour follows the real LiteLLM proxy v1.108.7 (recorded examples + live checks), including
its error-shape and status-code quirks, so code that passes here passes against the real proxy.
"""

from .server import DEFAULT_MASTER_KEY, SandboxGateway, serve
from .state import SILEYA_KEY

__all__ = ["DEFAULT_MASTER_KEY", "SILEYA_KEY", "SandboxGateway", "serve"]

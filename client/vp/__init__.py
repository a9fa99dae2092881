"""The vision-model platform's client: `Client` (the whole REST API, typed), the `vp` CLI and `vp top`."""
from .client import Client
from .errors import ApiError, AuthError, JobFailed, NotFound, TransportError

__all__ = ["Client", "ApiError", "AuthError", "JobFailed", "NotFound", "TransportError"]
__version__ = "0.1.0"

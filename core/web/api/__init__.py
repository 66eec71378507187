"""The REST API under ``/api/v1`` (its contract: the OpenAPI document, see docs/architecture.md)."""
from . import (
    activities,  # noqa: F401  (registers its routes on bp)
    analytics,  # noqa: F401  (adds the analytics routes to the blueprint)
    assignment,  # noqa: F401  (registers its routes on bp)
    automation,  # noqa: F401  (registers its routes on bp)
    bulk,  # noqa: F401  (registers its route on bp)
    customers,  # noqa: F401  (registers its routes on bp)
)
from .routes import bp
from .tokens import token_api

__all__ = ["bp", "token_api"]

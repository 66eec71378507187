"""The REST API under ``/api/v1`` (DESIGN.md, "Interfaces")."""
from . import analytics  # noqa: F401  (adds the analytics routes to the blueprint)
from .routes import bp

__all__ = ["bp"]

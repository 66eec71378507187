"""The REST API under ``/api/v1`` (DESIGN.md, "Interfaces")."""
from . import analytics  # noqa: F401  (adds the analytics routes to the blueprint)
from . import automation  # noqa: F401  (registers its routes on bp)
from .routes import bp

__all__ = ["bp"]

"""The REST API under ``/api/v1`` (DESIGN.md, "Interfaces")."""
from . import automation  # noqa: F401  (registers its routes on bp)
from .routes import bp

__all__ = ["bp"]

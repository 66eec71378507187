"""The REST API under ``/api/v1`` (DESIGN.md, "Interfaces")."""
from .routes import bp

__all__ = ["bp"]

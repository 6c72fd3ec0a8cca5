"""Organization settings."""
from api.org.routes import blp

__all__ = ["blp"]

"""Users of the organization (administration)."""
from api.users.routes import blp

__all__ = ["blp"]

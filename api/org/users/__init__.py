"""Users of the organization (administration)."""
from api.org.users.routes import blp

__all__ = ["blp"]

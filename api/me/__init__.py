"""The caller's own profile."""
from api.me.routes import blp

__all__ = ["blp"]

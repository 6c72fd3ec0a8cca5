"""The caller's own profile."""
from api.org.me.routes import blp

__all__ = ["blp"]

"""Who read the caller's individual data."""
from api.access_log.routes import blp

__all__ = ["blp"]

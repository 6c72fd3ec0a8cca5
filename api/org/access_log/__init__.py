"""Who read the caller's individual data."""
from api.org.access_log.routes import blp

__all__ = ["blp"]

"""Sign-in, token refresh and sign-out."""
from api.org.auth.routes import blp

__all__ = ["blp"]

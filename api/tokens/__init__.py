"""Sign-in, token refresh and sign-out."""
from api.tokens.routes import blp

__all__ = ["blp"]

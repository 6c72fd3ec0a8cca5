"""Single sign-on: GET /auth/sso/start and the provider's return, GET /auth/sso/callback."""
from api.org.sso.routes import blp

__all__ = ["blp"]

"""The organization and its people: /org here; /auth, /teams, /users, /api-keys, /me, /me/consents and
/me/access-log in the sub-packages of the same names."""
from api.org.routes import blp

__all__ = ["blp"]

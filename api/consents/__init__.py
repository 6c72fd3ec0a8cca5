"""The caller's consents and their history."""
from api.consents.routes import blp

__all__ = ["blp"]

"""The caller's consents and their history."""
from api.org.consents.routes import blp

__all__ = ["blp"]

"""The diary vocabularies, localized."""
from api.emotions.routes import blp

__all__ = ["blp"]

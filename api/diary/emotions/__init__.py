"""The diary vocabularies, localized."""
from api.diary.emotions.routes import blp

__all__ = ["blp"]

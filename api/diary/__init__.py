"""The emotion diary: /diary here; the vocabularies at /emotions in emotions/."""
from api.diary.routes import blp

__all__ = ["blp"]

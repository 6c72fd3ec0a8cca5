"""The questionnaire catalog agents see."""
from api.instruments.routes import blp

__all__ = ["blp"]

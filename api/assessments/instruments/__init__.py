"""The questionnaire catalog agents see."""
from api.assessments.instruments.routes import blp

__all__ = ["blp"]

"""Questionnaires: /assessments (submit, history, one result) here; /instruments in instruments/."""
from api.assessments.routes import blp

__all__ = ["blp"]

"""Completed questionnaires: submit, history, one result."""
from api.assessments.routes import blp

__all__ = ["blp"]

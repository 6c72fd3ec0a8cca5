"""Breathing and break exercises."""
from api.prompts.exercises.routes import blp

__all__ = ["blp"]

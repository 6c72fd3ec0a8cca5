"""Breathing and break exercises."""
from api.exercises.routes import blp

__all__ = ["blp"]

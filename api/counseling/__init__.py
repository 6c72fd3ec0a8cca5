"""HR's counseling follow-ups: cases of consenting or self-referred agents, and their appointments."""
from api.counseling.routes import blp

__all__ = ["blp"]

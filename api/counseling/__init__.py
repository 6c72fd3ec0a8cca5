"""Counseling: HR's /counseling here; the agent's own /me/counseling in my_counseling/."""
from api.counseling.routes import blp

__all__ = ["blp"]

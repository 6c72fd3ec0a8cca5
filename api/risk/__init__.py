"""The agent's own burnout-risk indicator."""
from api.risk.routes import blp

__all__ = ["blp"]

"""Anonymized team trends: published series, charts, the organization's view and the agent's visibility."""
from api.trends.routes import blp

__all__ = ["blp"]

"""The agent's prompt settings and prompt inbox."""
from api.prompts.routes import blp

__all__ = ["blp"]

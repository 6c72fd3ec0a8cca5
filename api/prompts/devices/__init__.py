"""The agent's push targets."""
from api.prompts.devices.routes import blp

__all__ = ["blp"]

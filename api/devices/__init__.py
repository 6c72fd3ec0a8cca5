"""The agent's push targets."""
from api.devices.routes import blp

__all__ = ["blp"]

"""Breathing and break prompts: /me/prompts and /me/prompt-settings here; /me/devices, /events (call events)
and /exercises in the sub-packages of the same names."""
from api.prompts.routes import blp

__all__ = ["blp"]

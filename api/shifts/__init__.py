"""Imported shifts: PUT /users/{id}/shifts (integrations and admins), GET /me/shifts (the agent)."""
from api.shifts.routes import blp

__all__ = ["blp"]

"""The help resources every signed-in user can read: GET /support."""
from api.assessments.support.routes import blp

__all__ = ["blp"]

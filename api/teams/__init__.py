"""Teams and their supervisors."""
from api.teams.routes import blp

__all__ = ["blp"]

"""Teams and their supervisors."""
from api.org.teams.routes import blp

__all__ = ["blp"]

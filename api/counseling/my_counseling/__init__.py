"""The agent's own counseling: self-referral, cases, answering appointments, and the reminder inbox."""
from api.counseling.my_counseling.routes import blp

__all__ = ["blp"]

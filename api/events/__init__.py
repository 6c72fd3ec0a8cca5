"""Call events from the contact-center system."""
from api.events.routes import blp

__all__ = ["blp"]

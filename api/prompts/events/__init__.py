"""Call events from the contact-center system."""
from api.prompts.events.routes import blp

__all__ = ["blp"]

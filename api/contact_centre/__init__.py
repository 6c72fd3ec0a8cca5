"""The contact-centre platform: /integrations/* events (API key), /org/contact-centre/rules and /org/recovery
(admin), /me/recovery and /me/recovery-breaks (agent)."""
from api.contact_centre.routes import blp

__all__ = ["blp"]

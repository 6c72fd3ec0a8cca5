"""The admin's identity-provider settings: /org/sso (single sign-on) and /org/scim-token (provisioning)."""
from api.org.identity_provider.routes import blp

__all__ = ["blp"]

"""SCIM 2.0 provisioning (RFC 7643, RFC 7644) at /scim/v2, authenticated by the organization's SCIM token."""
from api.org.scim.routes import blp

__all__ = ["blp"]

"""Provisioning by the identity provider's directory over SCIM 2.0 (RFC 7643, RFC 7644)."""

"""An organization's OpenID provider settings: read, save (the client secret encrypted), test, find by slug or domain."""
from __future__ import annotations

import ipaddress
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.models import OidcConfig
from wellbeing.org.sso import provider

# Schemes an app may never be sent to: they run code or read files instead of opening the app.
FORBIDDEN_SCHEMES = {"javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss"}


def secret_aad(config_id: str) -> bytes:
    """The associated data binding a provider's encrypted client secret to its row."""
    return f"oidc_configs:{config_id}:client_secret".encode()


def get_config(session: Session, org_id: str) -> OidcConfig:
    """The organization's provider settings, or NotFound."""
    config = session.scalar(select(OidcConfig).where(OidcConfig.org_id == org_id))
    if config is None:
        raise NotFound("Single sign-on is not set up for this organization.")
    return config


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_issuer(issuer: str) -> None:
    try:
        parts = urlsplit(issuer)
        parts.port  # a malformed host or port raises here, not later
        if not parts.hostname or any(unicodedata.category(char)[0] in "CZ" for char in issuer):
            raise ValueError(issuer)
    except ValueError:
        raise Invalid("The issuer is not a valid URL.", fields={"issuer": ["Not a valid URL."]},
                      code="issuer_invalid") from None
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
        raise Invalid("The issuer must be an https URL.", fields={"issuer": ["The issuer must be an https URL."]},
                      code="issuer_not_https")
    if parts.query or parts.fragment:
        raise Invalid("The issuer has no query or fragment.", fields={"issuer": ["The issuer has no query or fragment."]},
                      code="issuer_has_query")


def check_redirect_uri(uri: str) -> str | None:
    """Why an app redirect URI cannot be registered (None when it can): RFC 8252 app schemes, https, or http loopback."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or scheme in FORBIDDEN_SCHEMES or parts.fragment:
        return "Use the app's own scheme (com.example.app:/callback), https, or http on a loopback address."
    if scheme == "http" and not _is_loopback(parts.hostname):
        return "Plain http is only allowed on a loopback address (127.0.0.1)."
    if scheme in ("http", "https") and not parts.hostname:
        return "An http(s) redirect URI needs a host."
    return None


def _check_fields(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    for position, uri in enumerate(data.get("redirect_uris") or []):
        reason = check_redirect_uri(uri)
        if reason:
            errors.setdefault("redirect_uris", {})[str(position)] = [reason]
    if errors:
        raise Invalid("Some redirect URIs cannot be registered.", fields=errors, code="redirect_uri_refused")


def save_config(session: Session, org_id: str, data: dict, keyring: Keyring, now: datetime) -> OidcConfig:
    """Create or replace the organization's provider settings; without ``client_secret`` the stored one stays."""
    _check_issuer(data["issuer"])
    _check_fields(data)
    config = session.scalar(select(OidcConfig).where(OidcConfig.org_id == org_id))
    if config is None:
        if not data.get("client_secret"):
            raise Invalid("The client secret is required.", fields={"client_secret": ["The client secret is required."]},
                          code="client_secret_required")
        config = OidcConfig(id=new_id(), org_id=org_id)
        session.add(config)
    for name in ("issuer", "client_id", "email_claim", "password_sign_in", "jit_enabled"):
        setattr(config, name, data[name])
    config.slug = data["slug"].strip().lower()
    config.email_domains = sorted({domain.strip().lower() for domain in data.get("email_domains") or []})
    config.redirect_uris = list(dict.fromkeys(data.get("redirect_uris") or []))
    if data.get("client_secret"):
        config.client_secret_ciphertext = keyring.encrypt(data["client_secret"], secret_aad(config.id))
    config.updated_at = now
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another organization uses this slug.", code="slug_taken") from None
    return config


def delete_config(session: Session, org_id: str) -> None:
    """Turn single sign-on off for the organization (password sign-in applies to everyone again)."""
    get_config(session, org_id)
    session.execute(delete(OidcConfig).where(OidcConfig.org_id == org_id))
    session.commit()


def client_secret(config: OidcConfig, keyring: Keyring) -> str:
    """The decrypted client secret."""
    return keyring.decrypt(config.client_secret_ciphertext, secret_aad(config.id))


def test_connection(config: OidcConfig) -> dict:
    """Fetch the provider's discovery document and JWKS now; what an admin needs to see that they work."""
    metadata = provider.discover(config.issuer, fresh=True)
    keys = provider.signing_keys(metadata["jwks_uri"], fresh=True)
    return {
        "issuer": metadata["issuer"],
        "authorization_endpoint": metadata["authorization_endpoint"],
        "token_endpoint": metadata["token_endpoint"],
        "jwks_uri": metadata["jwks_uri"],
        "key_ids": sorted(key.kid for key in keys.keys if key.kid),
        "pkce_s256": "S256" in (metadata.get("code_challenge_methods_supported") or []),
    }


def find_config(session: Session, org: str) -> OidcConfig:
    """The provider of an organization named by its slug or by an e-mail address (or domain) of its people."""
    text = org.strip().lower()
    domain = text.rpartition("@")[2]
    config = session.scalar(select(OidcConfig).where(OidcConfig.slug == text))
    if config is None and domain:
        for candidate in session.scalars(select(OidcConfig)):
            if domain in candidate.email_domains:
                return candidate
    if config is None:
        raise NotFound("No organization signs in with single sign-on under this name.", code="sso_unknown_org")
    return config

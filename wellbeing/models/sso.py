"""Enterprise sign-in and provisioning: an organization's OpenID provider, sign-in attempts, the SCIM token."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id


class OidcConfig(db.Model):
    """One organization's OpenID Connect provider; the client secret is encrypted at rest, bound to the row."""

    __tablename__ = "oidc_configs"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    # What people type to find their organization's provider (lower case), and the e-mail domains that lead to it.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    email_domains: Mapped[list] = mapped_column(JSON, default=list)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret_ciphertext: Mapped[str] = mapped_column(Text)
    email_claim: Mapped[str] = mapped_column(String(100), default="email")
    # False: only admins may still sign in with a password (the break-glass path when the provider is down).
    password_sign_in: Mapped[bool] = mapped_column(default=True)
    # Just-in-time creation of unknown users (as agents) at their first sign-in.
    jit_enabled: Mapped[bool] = mapped_column(default=False)
    # The phone app's redirect URIs (its custom scheme); nothing else is ever redirected to.
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SsoAttempt(db.Model):
    """One sign-in through the provider: the state sent out, then the one-time code handed to the app or console.

    Only SHA-256 digests of the state and of the one-time code are stored.
    """

    __tablename__ = "sso_attempts"
    __table_args__ = (CheckConstraint("client IN ('app', 'console')", name="client_known"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    # Our own PKCE verifier towards the provider (lives for the minutes of one sign-in).
    provider_verifier: Mapped[str] = mapped_column(String(128))
    client: Mapped[str] = mapped_column(String(16))
    redirect_uri: Mapped[str | None] = mapped_column(String(1000))
    # The app's own state, handed back with the one-time code.
    app_state: Mapped[str | None] = mapped_column(String(500))
    # The app's PKCE challenge (S256): the one-time code is only exchanged with its verifier.
    code_challenge: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimToken(db.Model):
    """An organization's SCIM bearer token (one at a time); only its SHA-256 is stored."""

    __tablename__ = "scim_tokens"

    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScimUser(db.Model):
    """What the identity provider's directory knows of a user: its userName, externalId and attributes, and a delete.

    A deleted user is deactivated at once and their wellbeing data is erased at ``erase_at`` (the organization's
    retention), by the retention job; SCIM no longer shows them.
    """

    __tablename__ = "scim_users"
    __table_args__ = (UniqueConstraint("org_id", "user_name_key"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str] = mapped_column(String(320))
    # userName compares case-insensitively (RFC 7643 caseExact false): its lower-case form is the unique key.
    user_name_key: Mapped[str] = mapped_column(String(320))
    external_id: Mapped[str | None] = mapped_column(String(300))
    # The directory's attributes kept as sent (name, emails, the extension's platform ids).
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erase_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimGroup(db.Model):
    """A team as the directory knows it: its externalId, and a SCIM delete (the team's history stays)."""

    __tablename__ = "scim_groups"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(300))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

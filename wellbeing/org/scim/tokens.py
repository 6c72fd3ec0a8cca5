"""The organization's SCIM bearer token: created or rotated by an admin, shown once, stored as a SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wellbeing.models import ScimToken

TOKEN_PREFIX = "wbscim_"


def _digest(token: str) -> str:
    # 256 random bits: a plain SHA-256 is enough (no salt or stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token(session: Session, org_id: str, now: datetime) -> str:
    """A new SCIM token for the organization (returned once); the previous one stops working at once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.execute(delete(ScimToken).where(ScimToken.org_id == org_id))
    session.add(ScimToken(org_id=org_id, token_hash=_digest(token), created_at=now))
    session.commit()
    return token


def organization_of(session: Session, presented: str) -> str | None:
    """The organization whose current SCIM token this is, or None."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(select(ScimToken.org_id).where(ScimToken.token_hash == _digest(presented)))


def token_created_at(session: Session, org_id: str) -> datetime | None:
    """When the organization's current SCIM token was made (None: it has none)."""
    return session.scalar(select(ScimToken.created_at).where(ScimToken.org_id == org_id))

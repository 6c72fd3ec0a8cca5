"""Reading the one-time links the service mailed (from the outbox) in account tests."""
from __future__ import annotations

import re

from sqlalchemy import select

from wellbeing.models import OutgoingMail

LINK = re.compile(r"(https?://\S+/console/(accept-invitation|reset-password)\?token=([A-Za-z0-9_-]+))")


def mailed_links(session, recipient: str) -> list[tuple[str, str, str]]:
    """(link, page, token) of every message to the recipient, oldest first."""
    bodies = session.scalars(select(OutgoingMail.text_body).where(OutgoingMail.recipient == recipient)
                             .order_by(OutgoingMail.created_at, OutgoingMail.id)).all()
    return [m.groups() for body in bodies for m in LINK.finditer(body)]


def last_token(session, recipient: str, page: str) -> str:
    """The token of the newest link to that console page."""
    tokens = [token for _, kind, token in mailed_links(session, recipient) if kind == page]
    assert tokens, f"no {page} mail to {recipient}"
    return tokens[-1]

"""The account lifecycle: invitations, temporary passwords, password changes and resets, deactivation."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wellbeing.core.errors import DomainError, Invalid
from wellbeing.models import AccountToken, User
from wellbeing.org import identity, mail, passwords
from wellbeing.org.access_log import record_access
from wellbeing.org.password_rules import check_new_password

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(minutes=30)
LINK_PATHS = {"invitation": "/console/accept-invitation", "reset": "/console/reset-password"}


class InvalidLink(DomainError):
    """A one-time link that is unknown, used, expired or for another purpose (never told apart)."""


def _token_hash(token: str) -> str:
    # 256 random bits: a plain SHA-256 suffices, and the stored value is useless to a reader of the table.
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_link(session: Session, user: User, purpose: str, base_url: str, now: datetime) -> None:
    """A fresh one-time link for the user, mailed in their language; earlier unused links of that purpose die."""
    _expire_links(session, user.id, purpose, now)
    token = secrets.token_urlsafe(32)
    lifetime = INVITATION_LIFETIME if purpose == "invitation" else RESET_LIFETIME
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(token),
                             created_at=now, expires_at=now + lifetime))
    link = f"{base_url.rstrip('/')}{LINK_PATHS[purpose]}?token={token}"
    mail.enqueue(session, user.email, purpose, user.locale, user.name, link, now)


def _expire_links(session: Session, user_id: str, purpose: str | None, now: datetime) -> None:
    stmt = update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None))
    if purpose is not None:
        stmt = stmt.where(AccountToken.purpose == purpose)
    session.execute(stmt.values(used_at=now))


def invite(session: Session, user: User, base_url: str, now: datetime) -> None:
    """Mail the user an invitation link (in the caller's transaction)."""
    _issue_link(session, user, "invitation", base_url, now)


def resend_invitation(session: Session, user: User, base_url: str | None, now: datetime) -> None:
    """A new invitation for a user who has not chosen a password yet (the old link stops working)."""
    if base_url is None:
        raise DomainError("E-mail is disabled: reset the password to get a temporary one.", code="mail_disabled")
    if user.password_hash is not None or not user.active:
        raise DomainError("This user has already accepted the invitation or is deactivated.", code="not_invited")
    invite(session, user, base_url, now)
    session.commit()


def _consume(session: Session, token: str, purpose: str, now: datetime) -> User:
    """The active user of a live link of this purpose; the link is spent in the caller's transaction."""
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_hash(token),
                                                    AccountToken.purpose == purpose))
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None or not user.active:
        raise InvalidLink("This link is not valid: it was used, it expired, or it never existed.", code="invalid_link")
    # The guard on used_at makes two racing uses spend it once.
    spent = session.execute(update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
                            .values(used_at=now)).rowcount
    if spent != 1:
        raise InvalidLink("This link is not valid: it was used, it expired, or it never existed.", code="invalid_link")
    return user


def _set_own_password(session: Session, user: User, new_password: str, now: datetime) -> None:
    check_new_password(new_password, user.email, user.password_hash)
    user.password_hash = passwords.hash_password(new_password)
    user.password_temporary = False
    _expire_links(session, user.id, None, now)


def accept_invitation(session: Session, token: str, new_password: str, now: datetime) -> User:
    """The invited user chooses their password; the caller then opens a session."""
    user = _consume(session, token, "invitation", now)
    _set_own_password(session, user, new_password, now)
    session.commit()
    return user


def confirm_reset(session: Session, token: str, new_password: str, now: datetime) -> User:
    """A new password through a reset link; every sign-in of the user ends."""
    user = _consume(session, token, "reset", now)
    _set_own_password(session, user, new_password, now)
    identity.revoke_user_sessions(session, user.id, now, reason="password_reset")
    session.commit()
    return user


def request_reset(session: Session, email: str, base_url: str | None, now: datetime) -> None:
    """Mail a reset link if the address belongs to an active account; the caller answers the same either way.

    Without e-mail (``base_url`` None) nothing is sent: an admin hands out a temporary password instead.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or base_url is None:
        return
    _issue_link(session, user, "reset", base_url, now)
    session.commit()


def change_password(session: Session, user: User, new_password: str, keep_session: str | None, now: datetime) -> None:
    """The owner's new password (the old one was checked by the caller); every other sign-in ends."""
    _set_own_password(session, user, new_password, now)
    identity.revoke_user_sessions(session, user.id, now, reason="password_change", keep=keep_session)
    session.commit()


def check_current_password(user: User, password: str) -> None:
    """Invalid (422) unless the password is the user's current one."""
    if not passwords.verify_password(user.password_hash, password):
        raise Invalid("The current password is wrong.", fields={"password": ["The current password is wrong."]},
                      code="wrong_password")


def _record_admin_reset(session: Session, admin: User, user: User, now: datetime) -> None:
    record_access(session, admin, user.id, "password_reset", "account", user.id, [],
                  "password reset by an administrator", now)


def admin_reset(session: Session, admin: User, user: User, base_url: str, now: datetime) -> None:
    """An admin sends the reset mail: the owner's sessions end and their access log says who did it."""
    _issue_link(session, user, "reset", base_url, now)
    identity.revoke_user_sessions(session, user.id, now, reason="admin_reset")
    _record_admin_reset(session, admin, user, now)
    session.commit()


def admin_temporary_password(session: Session, admin: User, user: User, now: datetime) -> str:
    """Without e-mail: a new temporary password, returned once; the owner must replace it at sign-in."""
    temporary = secrets.token_urlsafe(12)
    user.password_hash = passwords.hash_password(temporary)
    user.password_temporary = True
    _expire_links(session, user.id, None, now)
    identity.revoke_user_sessions(session, user.id, now, reason="admin_reset")
    _record_admin_reset(session, admin, user, now)
    session.commit()
    return temporary


def set_active(session: Session, user: User, active: bool, now: datetime) -> User:
    """Deactivate (sessions end at once, data stays) or reactivate a user."""
    change_active(session, user, active, now)
    session.commit()
    return user


def change_active(session: Session, user: User, active: bool, now: datetime) -> None:
    """Deactivate or reactivate in the caller's transaction (a deactivation ends the user's sessions and links)."""
    if active:
        user.deactivated_at = None
    elif user.deactivated_at is None:
        user.deactivated_at = now
        _expire_links(session, user.id, None, now)
        identity.revoke_user_sessions(session, user.id, now, reason="deactivated")

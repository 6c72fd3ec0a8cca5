"""Signing in through the provider: start (state, nonce, PKCE), the provider's return, and the one-time code."""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.core.errors import DomainError, Invalid
from wellbeing.models import OidcConfig, SsoAttempt, User
from wellbeing.models.users import default_work_hours
from wellbeing.org.sso import provider
from wellbeing.org.sso.config import client_secret

ATTEMPT_LIFETIME = timedelta(minutes=10)
# The one-time code the app or console exchanges for tokens: short, single use, bound to its PKCE challenge.
CODE_LIFETIME = timedelta(minutes=2)
_VERIFIER_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class BadRequest(DomainError):
    """A sign-in request that cannot go on (unknown redirect URI, unknown or used state); answered 400."""


class SignInRefused(DomainError):
    """The provider vouched for someone we do not let in (or its answer failed a check); the client is told why."""

    def __init__(self, detail: str, *, code: str, attempt: SsoAttempt) -> None:
        super().__init__(detail, code=code)
        self.attempt = attempt


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def start(session: Session, config: OidcConfig, client: str, redirect_uri: str | None, code_challenge: str,
          app_state: str | None, callback: str, now: datetime) -> str:
    """Record a sign-in attempt and return the provider's authorization URL to send the browser to.

    The app names one of the organization's registered redirect URIs; the console's return is its own page.
    """
    if client == "app" and redirect_uri not in config.redirect_uris:
        raise BadRequest("This redirect URI is not registered for the organization's app.",
                         code="redirect_uri_unregistered", fields={"redirect_uri": ["Not a registered redirect URI."]})
    metadata = provider.discover(config.issuer)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    session.add(SsoAttempt(id=new_id(), org_id=config.org_id, state_hash=_digest(state), nonce=nonce,
                           provider_verifier=verifier, client=client, redirect_uri=redirect_uri if client == "app" else None,
                           app_state=app_state, code_challenge=code_challenge, created_at=now, expires_at=now + ATTEMPT_LIFETIME))
    session.commit()
    return provider.authorization_url(metadata, config.client_id, callback, state, nonce, verifier)


def _take_attempt(session: Session, state: str, now: datetime) -> SsoAttempt:
    attempt = session.scalar(select(SsoAttempt).where(SsoAttempt.state_hash == _digest(state)))
    if attempt is None or attempt.returned_at is not None or attempt.expires_at <= now:
        raise BadRequest("This sign-in is unknown, was already completed, or took too long; start again.",
                         code="sso_state_invalid")
    taken = session.execute(update(SsoAttempt).where(SsoAttempt.id == attempt.id, SsoAttempt.returned_at.is_(None))
                            .values(returned_at=now)).rowcount
    session.commit()
    if taken != 1:
        raise BadRequest("This sign-in was already completed; start again.", code="sso_state_invalid")
    return attempt


def finish(session: Session, state: str, code: str | None, error: str | None, issuer: str | None, callback: str,
           keyring: Keyring, now: datetime) -> tuple[SsoAttempt, str]:
    """The provider's return: verify its ID token, find (or create) the user, and mint the one-time code."""
    attempt = _take_attempt(session, state, now)
    config = session.scalar(select(OidcConfig).where(OidcConfig.org_id == attempt.org_id))
    if config is None:
        raise SignInRefused("Single sign-on was turned off meanwhile.", code="sso_not_configured", attempt=attempt)
    if error or not code:
        raise SignInRefused("The identity provider did not sign you in.", code="provider_denied", attempt=attempt)
    if issuer is not None and issuer != config.issuer:
        # RFC 9207: an answer from another provider than the one we sent the browser to (a mix-up attack).
        raise SignInRefused("The answer came from another identity provider.", code="provider_mixup", attempt=attempt)
    try:
        metadata = provider.discover(config.issuer)
        token = provider.redeem_code(metadata, config.client_id, client_secret(config, keyring), callback, code,
                                     attempt.provider_verifier)
        claims = provider.verify_id_token(token["id_token"], metadata, config.client_id, attempt.nonce, now)
    except (provider.ProviderError, provider.TokenRejected) as refused:
        raise SignInRefused(refused.detail, code=refused.code or "provider_refused", attempt=attempt) from None
    email = claims.get(config.email_claim)
    if not email and token.get("access_token"):
        email = provider.userinfo(metadata, token["access_token"]).get(config.email_claim)
    user = _match_user(session, config, email, claims, attempt, now)
    one_time = secrets.token_urlsafe(32)
    attempt.user_id = user.id
    attempt.code_hash = _digest(one_time)
    attempt.code_expires_at = now + CODE_LIFETIME
    session.commit()
    return attempt, one_time


def _match_user(session: Session, config: OidcConfig, email, claims: dict, attempt: SsoAttempt,
                now: datetime) -> User:
    """The organization's active user with this e-mail; a new agent when just-in-time creation is on."""
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is False:
        raise SignInRefused("The identity provider sent no verified e-mail address.", code="sso_no_email",
                            attempt=attempt)
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and user.org_id != config.org_id:
        raise SignInRefused("This account belongs to another organization.", code="sso_other_organization",
                            attempt=attempt)
    if user is not None and not user.active:
        raise SignInRefused("This account is deactivated.", code="sso_account_deactivated", attempt=attempt)
    if user is not None:
        return user
    domain = email.rpartition("@")[2]
    if not config.jit_enabled or (config.email_domains and domain not in config.email_domains):
        raise SignInRefused("There is no account for this address; ask your administrator.", code="sso_unknown_user",
                            attempt=attempt)
    name = claims.get("name") if isinstance(claims.get("name"), str) and claims.get("name") else email.split("@")[0]
    user = User(id=new_id(), org_id=config.org_id, email=email, name=name[:200], role="agent", password_hash=None,
                work_hours=default_work_hours(), created_at=now)
    session.add(user)
    session.flush()
    return user


def exchange(session: Session, code: str, verifier: str, now: datetime) -> tuple[User, str]:
    """The user and client ('app' or 'console') of a one-time code, spent here; its PKCE verifier must match."""
    refused = BadRequest("The code is not valid: it was used, it expired, or the verifier does not match.",
                         code="invalid_grant")
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARS:
        raise Invalid("The code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~.",
                      fields={"code_verifier": ["43-128 characters of A-Z a-z 0-9 - . _ ~"]})
    attempt = session.scalar(select(SsoAttempt).where(SsoAttempt.code_hash == _digest(code)))
    if attempt is None or attempt.code_used_at is not None or attempt.code_expires_at <= now:
        raise refused
    # Spent whatever the verifier: a code someone intercepted is not worth a second guess.
    spent = session.execute(update(SsoAttempt).where(SsoAttempt.id == attempt.id, SsoAttempt.code_used_at.is_(None))
                            .values(code_used_at=now)).rowcount
    session.commit()
    user = session.get(User, attempt.user_id)
    if spent != 1 or not secrets.compare_digest(s256(verifier), attempt.code_challenge) or user is None \
            or not user.active:
        raise refused
    return user, attempt.client


def purge_attempts(session: Session, now: datetime) -> int:
    """Forget sign-in attempts a day after their state and code stopped working (the retention job)."""
    cutoff = now - timedelta(days=1)
    return session.execute(delete(SsoAttempt).where(
        SsoAttempt.expires_at < cutoff,
        or_(SsoAttempt.code_expires_at.is_(None), SsoAttempt.code_expires_at < cutoff))).rowcount

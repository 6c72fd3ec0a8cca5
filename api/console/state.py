"""The console's per-browser state, kept in the signed, HttpOnly session cookie: tokens, CSRF, language, expiry.

The tokens never reach JavaScript (HttpOnly) and the cookie is only sent to /console (its path).
Expiry is enforced here on every request: an idle session and an old one both end, and ending one
also ends the sign-in on the server (the API revokes the refresh token).
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface

ACCESS, REFRESH, EXPIRES, STORED = "access", "refresh", "access_exp", "tokens_at"
SINCE, SEEN, CSRF, LANG = "since", "seen", "csrf", "lang"
SSO_VERIFIER = "sso_verifier"
FLASHES = "_flashes"


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def open_session(self, app: Flask, request):
        # Every request opens a session, and most are the phones' API calls with no console cookie: for them the
        # answer is the same empty session, without building the cookie's signer first.
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class SessionTokens:
    """The user's API token pair, read from and written to the session cookie (see client.TokenStore)."""

    @property
    def access_token(self) -> str | None:
        return session.get(ACCESS)

    @property
    def refresh_token(self) -> str | None:
        return session.get(REFRESH)

    @property
    def access_expires_at(self) -> float:
        return float(session.get(EXPIRES, 0))

    @property
    def stored_at(self) -> float:
        return float(session.get(STORED, 0))

    def store(self, pair: dict, now: float) -> None:
        session[ACCESS] = pair["access_token"]
        session[REFRESH] = pair["refresh_token"]
        session[EXPIRES] = now + int(pair["expires_in"])
        session[STORED] = now

    def forget(self) -> None:
        for key in (ACCESS, REFRESH, EXPIRES, STORED):
            session.pop(key, None)


def is_signed_in() -> bool:
    """Whether this browser holds a console sign-in (the API still decides whether it is valid)."""
    return bool(session.get(REFRESH))


def begin(now: float) -> None:
    """A fresh session for a new sign-in: nothing of the anonymous one carries over but the language."""
    language = session.get(LANG)
    session.clear()
    if language:
        session[LANG] = language
    session[SINCE] = session[SEEN] = now
    session[CSRF] = secrets.token_urlsafe(32)


def end() -> None:
    """Forget the sign-in (tokens, times, CSRF token); keep the language and pending messages."""
    keep = {key: session[key] for key in (LANG, FLASHES) if key in session}
    session.clear()
    session.update(keep)


def expired(now: float, idle: timedelta, lifetime: timedelta) -> bool:
    """Whether a signed-in session has been idle too long or has lived too long."""
    if not is_signed_in():
        return False
    seen, since = float(session.get(SEEN, 0)), float(session.get(SINCE, 0))
    return now - seen > idle.total_seconds() or now - since > lifetime.total_seconds()


def touch(now: float) -> None:
    """Record activity (the idle clock restarts)."""
    if is_signed_in():
        session[SEEN] = now


def csrf_token() -> str:
    """This session's CSRF token (created on first use, also for anonymous visitors: sign-in is a form too)."""
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(32)
    return session[CSRF]


def csrf_valid(presented: str | None) -> bool:
    """Whether a posted token matches the session's."""
    expected = session.get(CSRF)
    return bool(expected and presented) and hmac.compare_digest(expected.encode(), presented.encode())


def language() -> str | None:
    """The language the visitor chose explicitly, if any."""
    return session.get(LANG)


def choose_language(lang: str) -> None:
    session[LANG] = lang


def remember_sso_verifier(verifier: str) -> None:
    """Keep a single sign-on's PKCE verifier until the browser comes back from the provider."""
    session[SSO_VERIFIER] = verifier


def take_sso_verifier() -> str | None:
    """The pending single sign-on's verifier, forgotten as it is read (a code is exchanged once)."""
    return session.pop(SSO_VERIFIER, None)

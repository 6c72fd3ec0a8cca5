"""Authentication and authorization for the views: JWT loaders, role checks, API keys."""
from __future__ import annotations

import hashlib
import threading
import time
from copy import deepcopy
from functools import wraps

import jwt as pyjwt
from flask import current_app, g, request
from flask_jwt_extended import current_user, get_jwt
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import JWTDecodeError, UserLookupError
from flask_jwt_extended.internal_utils import (
    custom_verification_for_token,
    verify_token_not_blocklisted,
    verify_token_type,
)
from flask_jwt_extended.view_decorators import _decode_jwt_from_headers

from api.core.errors import problem
from api.core.extensions import jwt
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db, for_core_insert, write_intent
from wellbeing.core.errors import Forbidden, Unauthorized
from wellbeing.models import User
from wellbeing.org import identity

BEARER = [{"bearerAuth": []}]
API_KEY = [{"apiKey": []}]


def _unauthorized(detail: str):
    return problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


@jwt.unauthorized_loader
def _missing(reason: str):
    return _unauthorized("A bearer token is required.")


@jwt.invalid_token_loader
def _invalid(reason: str):
    return _unauthorized("The token is not valid.")


@jwt.expired_token_loader
def _expired(header: dict, payload: dict):
    return _unauthorized("The token has expired.")


@jwt.revoked_token_loader
def _revoked(header: dict, payload: dict):
    return _unauthorized("The token has been revoked.")


@jwt.user_lookup_error_loader
def _lookup_failed(header: dict, payload: dict):
    return _unauthorized("The token's user no longer exists.")


@jwt.needs_fresh_token_loader
def _needs_fresh(header: dict, payload: dict):
    return _unauthorized("A fresh sign-in is required.")


@jwt.token_verification_failed_loader
def _verification_failed(header: dict, payload: dict):
    return _unauthorized("The token is not valid.")


@jwt.token_in_blocklist_loader
def _revoked_session(header: dict, payload: dict) -> bool:
    # One query answers both questions: is the sign-in live, and who is it (the user loader below reuses it).
    sid = payload.get("sid")
    user = identity.active_session_user(db.session, sid, payload.get("sub"), utcnow()) if sid else None
    g.jwt_session_user = user
    return user is None


@jwt.user_lookup_loader
def _load_user(header: dict, payload: dict) -> User | None:
    user = g.pop("jwt_session_user", None)
    return user if user is not None and user.id == payload["sub"] else db.session.get(User, payload["sub"])


# ---------------------------------------------------------------------------------- one verification per request
# flask-jwt-extended's verify_jwt_in_request decodes a token four times (an unverified decode, its header, the
# verified decode, its header again), each base64-checking every character in Python. The phone sends the same
# access token for up to 15 minutes, so a verified token's claims are kept per process, keyed by a hash of the
# token and dropped when the token expires. Only the signature work is cached: the revocation check (a live
# sign-in, an active user) still runs against the database on every request.

VERIFIED_TOKENS_MAX = 4096  # per process; a full cache is cleared (one extra verification per live token)
_USER_COLUMNS = tuple(column.key for column in User.__table__.columns)


class _VerifiedTokens:
    """Verified tokens of one app: sha256(token) -> (expiry in epoch seconds, header, claims); and, for the
    routes whose write checks the sign-in itself (``login_required(signin_in_write=True)``), the token's user as
    last read from the database (a detached copy of its columns, only ever read)."""

    def __init__(self, limit: int = VERIFIED_TOKENS_MAX):
        self.limit = limit
        self.entries: dict[bytes, tuple[float, dict, dict]] = {}
        self.users: dict[bytes, User] = {}
        self.lock = threading.Lock()

    def user(self, key: bytes) -> User | None:
        return self.users.get(key) if key in self.entries else None

    def remember_user(self, key: bytes, user: User) -> None:
        if key in self.entries:
            self.users[key] = for_core_insert(User, **{column: getattr(user, column) for column in _USER_COLUMNS})

    def get(self, key: bytes, now: float) -> tuple[dict, dict] | None:
        hit = self.entries.get(key)
        if hit is None:
            return None
        expires, header, claims = hit
        if now >= expires:
            self.entries.pop(key, None)
            self.users.pop(key, None)
            return None  # verified again, and refused as expired by the decoder
        return header, claims

    def put(self, key: bytes, expires: float, header: dict, claims: dict) -> None:
        with self.lock:
            if len(self.entries) >= self.limit:
                now = time.time()
                for stale in [k for k, (until, _, _) in self.entries.items() if until <= now]:
                    del self.entries[stale]
                    self.users.pop(stale, None)
                if len(self.entries) >= self.limit:
                    self.entries.clear()
                    self.users.clear()
            self.entries[key] = (expires, header, claims)


def verified_tokens() -> _VerifiedTokens:
    """This app's cache of verified tokens (per app: tests run apps with different keys in one process)."""
    cache = current_app.extensions.get("verified_tokens")
    if cache is None:
        cache = current_app.extensions.setdefault("verified_tokens", _VerifiedTokens())
    return cache


def _token_key(encoded: str) -> bytes:
    return hashlib.sha256(encoded.encode()).digest()


def _decode_once(encoded: str, key: bytes) -> tuple[dict, dict]:
    """The token's header and claims, its signature, expiry, issuer and audience checked (once per token);
    ``key`` is ``_token_key(encoded)``, the token's entry in the cache."""
    cache = verified_tokens()
    now = time.time()
    hit = cache.get(key, now)
    if hit is not None:
        return hit[0], dict(hit[1])
    options = {"verify_aud": jwt_config.decode_audience is not None, "verify_sub": jwt_config.verify_sub}
    arguments = {"algorithms": jwt_config.decode_algorithms, "audience": jwt_config.decode_audience,
                 "issuer": jwt_config.decode_issuer, "leeway": jwt_config.leeway}
    try:
        decoded = pyjwt.api_jwt.decode_complete(encoded, jwt_config.decode_key, options=options, **arguments)
    except pyjwt.ExpiredSignatureError as error:
        # As flask-jwt-extended does: the expired-token handler is given the (otherwise valid) token.
        expired = pyjwt.api_jwt.decode_complete(encoded, jwt_config.decode_key, options=options | {"verify_exp": False},
                                                **arguments)
        error.jwt_header, error.jwt_data = expired["header"], expired["payload"]
        raise
    header, claims = decoded["header"], decoded["payload"]
    # The defaults flask-jwt-extended gives a decoded token.
    if jwt_config.identity_claim_key not in claims:
        raise JWTDecodeError(f"Missing claim: {jwt_config.identity_claim_key}")
    claims.setdefault("type", "access")
    claims.setdefault("fresh", False)
    claims.setdefault("jti", None)
    if "exp" in claims:
        leeway = jwt_config.leeway.total_seconds() if hasattr(jwt_config.leeway, "total_seconds") else jwt_config.leeway
        cache.put(key, float(claims["exp"]) + float(leeway), header, dict(claims))
    return header, claims


def verify_access(refresh: bool = False, verify_type: bool = True) -> User:
    """verify_jwt_in_request (header tokens), with one decode and the same errors and request state.

    The errors are flask-jwt-extended's own (missing header, bad signature, expired, wrong type, revoked,
    unknown user), so its handlers and the loaders above answer them as before.
    """
    encoded, _ = _decode_jwt_from_headers()
    header, claims = _decode_once(encoded, _token_key(encoded))
    if verify_type:
        verify_token_type(claims, refresh)
    verify_token_not_blocklisted(header, claims)
    custom_verification_for_token(header, claims)
    user = _load_user(header, claims)
    if user is None:
        raise UserLookupError(f"user_lookup returned None for {claims[jwt_config.identity_claim_key]}", header, claims)
    _signed_in(header, claims, user)
    return user


def _signed_in(header: dict, claims: dict, user: User) -> None:
    """The request state flask-jwt-extended's helpers (current_user, get_jwt) read."""
    g._jwt_extended_jwt_user = {"loaded_user": user}
    g._jwt_extended_jwt_header = header
    g._jwt_extended_jwt = claims
    g._jwt_extended_jwt_location = "headers"


# ------------------------------------------------------------------------------ the sign-in checked by the write
# POST /diary is the phone's hot path. Its sign-in check was a round trip of its own before the write; instead the
# write's own INSERT carries the check (identity.SigninGuard), and the user comes from the token's cache entry, as
# the database gave it at the token's last ordinary check. A revoked sign-in, a deactivated user, or a changed role
# or time zone make the guarded INSERT write nothing; the request then checks the sign-in the ordinary way (401 for
# a revoked one) and runs again with the fresh user. Whatever else ends the request (a 422, a 409, a database
# error) is answered only after the same ordinary check, so a revoked token never learns more than "401".

def signin_guard() -> identity.SigninGuard | None:
    """The guard the view's write must carry (inside ``login_required(signin_in_write=True)``), else None."""
    return g.get("signin_guard")


def _guarded(fn, roles: tuple[str, ...], verify_type: bool, check, args, kwargs):
    """Run the view with the sign-in checked by its write; ``check(remember=key)`` is the ordinary check."""
    encoded, _ = _decode_jwt_from_headers()
    key = _token_key(encoded)
    header, claims = _decode_once(encoded, key)
    if verify_type:
        verify_token_type(claims, False)
    user = verified_tokens().user(key)
    if user is None or (roles and user.role not in roles) or not claims.get("sid") or user.id != claims["sub"]:
        check(remember=key)  # the first request of a token (or one the ordinary check must answer)
        return fn(*args, **kwargs)
    custom_verification_for_token(header, claims)
    _signed_in(header, claims, user)
    guard = g.signin_guard = identity.SigninGuard(claims["sid"], user.id, user.role, user.timezone, utcnow())
    try:
        answer = fn(*args, **kwargs)
    except identity.SigninUnconfirmed:
        _unguarded(check, key)
        return fn(*args, **kwargs)
    except Exception:
        if not guard.confirmed:
            _unguarded(check, key)
        raise
    if not guard.confirmed:  # a way through the view that wrote nothing guarded: check before answering
        _unguarded(check, key)
    return answer


def _unguarded(check, key: bytes) -> None:
    """The ordinary sign-in check after a guarded view ended without its guarded write (401 if it has ended)."""
    g.signin_guard = None
    db.session.rollback()
    check(remember=key)


def _with_security(wrapper, fn, security):
    wrapper._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
    manual = wrapper._apidoc.setdefault("manual_doc", {})
    manual["security"] = security
    return wrapper


def _single_statements() -> None:
    """On PostgreSQL, run the request's statements in autocommit (unless a transaction is already open)."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def login_required(*roles: str, refresh: bool = False, any_token: bool = False, signin_in_write: bool = False):
    """A valid access token (or refresh token) whose user has one of ``roles`` (any role when empty).

    ``signin_in_write`` (POST /diary): the view's write is one self-contained statement followed by a commit, and
    it carries the sign-in check itself (``signin_guard()``; see above). On PostgreSQL the request runs in
    autocommit: the guarded write is its one round trip, with no BEGIN and no COMMIT of its own. A view that falls
    back to several statements (a replay, a conflict) rolls back first; its next transaction starts as usual.
    """

    def decorator(fn):
        def check(remember: bytes | None = None):
            if signin_in_write:
                _single_statements()
            # The sign-in check only reads. On SQLite it must not take the write lock a POST's own work
            # needs (that would serialize whole requests), so it runs in a reader transaction ended here;
            # PostgreSQL keeps the one transaction (a second connection checkout would cost a round trip).
            if db.engine.dialect.name == "sqlite":
                with write_intent(False):
                    user = verify_access(refresh=refresh, verify_type=not any_token)
                    db.session.commit()
            else:
                user = verify_access(refresh=refresh, verify_type=not any_token)
            if remember is not None:
                verified_tokens().remember_user(remember, user)
            if roles and current_user.role not in roles:
                raise Forbidden("Your role may not do this.")

        @wraps(fn)
        def wrapper(*args, **kwargs):
            if signin_in_write and not refresh:
                _single_statements()
                return _guarded(fn, roles, not any_token, check, args, kwargs)
            check()
            return fn(*args, **kwargs)

        return _with_security(wrapper, fn, BEARER)

    return decorator


def api_key_required(fn):
    """An organization API key as the bearer credential (integration endpoints only)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        key = identity.find_api_key(db.session, presented.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise Unauthorized("A valid organization API key is required.")
        g.api_key = key
        return fn(*args, **kwargs)

    return _with_security(wrapper, fn, API_KEY)


def token_claims() -> dict:
    """The verified token's claims (inside a login_required view)."""
    return get_jwt()


def api_key_or_login_required(*roles: str):
    """An organization API key, or a signed-in user with one of ``roles`` (integrations and admins alike).

    The view reads the caller's organization from ``caller_org_id()``.
    """

    def decorator(fn):
        signed_in = login_required(*roles)(fn)
        by_key = api_key_required(fn)

        @wraps(fn)
        def wrapper(*args, **kwargs):
            scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and presented.strip().startswith(identity.API_KEY_PREFIX):
                return by_key(*args, **kwargs)
            g.api_key = None
            return signed_in(*args, **kwargs)

        return _with_security(wrapper, fn, API_KEY + BEARER)

    return decorator


def caller_org_id() -> str:
    """The organization of the API key or the signed-in user of this request."""
    key = g.get("api_key")
    return key.org_id if key is not None else current_user.org_id

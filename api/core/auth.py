"""Authentication and authorization for the views: JWT loaders, role checks, API keys."""
from __future__ import annotations

from copy import deepcopy
from functools import wraps

from flask import g, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request

from api.core.errors import problem
from api.core.extensions import jwt
from wellbeing.org import identity
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db, write_intent
from wellbeing.core.errors import Forbidden, Unauthorized
from wellbeing.models import User

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


def _with_security(wrapper, fn, security):
    wrapper._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
    manual = wrapper._apidoc.setdefault("manual_doc", {})
    manual["security"] = security
    return wrapper


def login_required(*roles: str, refresh: bool = False, any_token: bool = False):
    """A valid access token (or refresh token) whose user has one of ``roles`` (any role when empty)."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            # The sign-in check only reads. On SQLite it must not take the write lock a POST's own work
            # needs (that would serialize whole requests), so it runs in a reader transaction ended here;
            # PostgreSQL keeps the one transaction (a second connection checkout would cost a round trip).
            if db.engine.dialect.name == "sqlite":
                with write_intent(False):
                    verify_jwt_in_request(refresh=refresh, verify_type=not any_token)
                    db.session.commit()
            else:
                verify_jwt_in_request(refresh=refresh, verify_type=not any_token)
            if roles and current_user.role not in roles:
                raise Forbidden("Your role may not do this.")
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

"""Talking to an OpenID provider: discovery, its signing keys (refetched on an unknown key id) and ID tokens."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from wellbeing.core.errors import DomainError

TIMEOUT = 5
# A provider's clock and ours may disagree a little: exp and iat are checked with this much slack.
LEEWAY = timedelta(seconds=120)
DISCOVERY_TTL = 3600
# An unknown key id refetches the JWKS, at most this often per provider (a flood of forged kids costs one fetch).
JWKS_REFETCH_SECONDS = 10
SCOPES = "openid email profile"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class ProviderError(DomainError):
    """The provider did not answer as an OpenID provider should (unreachable, bad discovery, bad keys)."""


class TokenRejected(DomainError):
    """An ID token that fails a check (signature, issuer, audience, expiry, nonce)."""


@dataclass
class _Cached:
    value: dict | KeySet
    fetched: float


_cache: dict[str, _Cached] = {}
_forced: dict[str, float] = {}
_lock = threading.Lock()


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderError(f"The provider did not answer at {url}: {type(error).__name__}.",
                            code="provider_unreachable") from None
    if not isinstance(body, dict):
        raise ProviderError(f"The provider's answer at {url} is not a JSON object.", code="provider_invalid")
    return body


def discover(issuer: str, fresh: bool = False) -> dict:
    """The provider's metadata (/.well-known/openid-configuration), checked and cached for an hour."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with _lock:
        cached = _cache.get(url)
    if cached and not fresh and time.monotonic() - cached.fetched < DISCOVERY_TTL:
        return cached.value
    metadata = _get_json(url)
    if metadata.get("issuer") != issuer:
        raise ProviderError(f"The provider calls itself {metadata.get('issuer')!r}, not {issuer!r}.",
                            code="provider_invalid")
    missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(name)]
    if missing:
        raise ProviderError(f"The provider's discovery document lacks {', '.join(missing)}.", code="provider_invalid")
    with _lock:
        _cache[url] = _Cached(metadata, time.monotonic())
    return metadata


def signing_keys(jwks_uri: str, fresh: bool = False) -> KeySet:
    """The provider's published keys (cached until a token names a key id they lack)."""
    with _lock:
        cached = _cache.get(jwks_uri)
        if fresh and cached and time.monotonic() - _forced.get(jwks_uri, -JWKS_REFETCH_SECONDS) < JWKS_REFETCH_SECONDS:
            return cached.value
        if fresh:
            _forced[jwks_uri] = time.monotonic()
    if cached and not fresh:
        return cached.value
    try:
        keys = KeySet.import_key_set(_get_json(jwks_uri))
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderError("The provider's JWKS holds no usable keys.", code="provider_invalid") from None
    with _lock:
        _cache[jwks_uri] = _Cached(keys, time.monotonic())
    return keys


def _kids(keys: KeySet) -> set[str]:
    return {key.kid for key in keys.keys if key.kid}


def authorization_url(metadata: dict, client_id: str, callback: str, state: str, nonce: str, verifier: str) -> str:
    """Where to send the browser: the authorization-code request with PKCE (S256), state and nonce."""
    client = OAuth2Session(client_id, scope=SCOPES, redirect_uri=callback, code_challenge_method="S256")
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=state, nonce=nonce,
                                             code_verifier=verifier)
    return url


def redeem_code(metadata: dict, client_id: str, client_secret: str, callback: str, code: str, verifier: str) -> dict:
    """The provider's token response for an authorization code (with our PKCE verifier)."""
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth_method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    client = OAuth2Session(client_id, client_secret, redirect_uri=callback, token_endpoint_auth_method=auth_method)
    try:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code", code=code,
                                   code_verifier=verifier, timeout=TIMEOUT)
    except Exception as error:  # authlib raises OAuthError, requests errors, or ValueError on a non-JSON answer
        raise ProviderError(f"The provider refused the authorization code: {type(error).__name__}.",
                            code="provider_refused") from None
    if "id_token" not in token:
        raise ProviderError("The provider's token response has no ID token.", code="provider_refused")
    return dict(token)


def userinfo(metadata: dict, access_token: str) -> dict:
    """The provider's userinfo for an access token ({} when it has no userinfo endpoint or fails)."""
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint:
        return {}
    try:
        response = requests.get(endpoint, timeout=TIMEOUT, headers={"Authorization": f"Bearer {access_token}"})
        return response.json() if response.ok else {}
    except (requests.RequestException, ValueError):
        return {}


def verify_id_token(id_token: str, metadata: dict, client_id: str, nonce: str, now: datetime) -> dict:
    """The ID token's claims once its signature (the provider's JWKS), iss, aud, azp, exp, iat and nonce check out."""
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        raise TokenRejected("The ID token is malformed.", code="id_token_invalid") from None
    keys = signing_keys(metadata["jwks_uri"])
    if kid is not None and kid not in _kids(keys):
        keys = signing_keys(metadata["jwks_uri"], fresh=True)  # the provider rotated its keys
    try:
        claims = jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError):
        raise TokenRejected("The ID token's signature does not verify with the provider's keys.",
                            code="id_token_invalid") from None
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    instant = now.timestamp()
    problems = [
        (claims.get("iss") != metadata["issuer"], "issuer"),
        (client_id not in audiences, "audience"),
        (len(audiences) > 1 and claims.get("azp") != client_id, "authorized party"),
        (not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < instant - LEEWAY.total_seconds(), "expiry"),
        (not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > instant + LEEWAY.total_seconds(), "issue time"),
        (claims.get("nonce") != nonce, "nonce"),
    ]
    failed = [name for bad, name in problems if bad]
    if failed:
        raise TokenRejected(f"The ID token fails the {failed[0]} check.", code="id_token_invalid")
    return claims

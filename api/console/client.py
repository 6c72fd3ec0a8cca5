"""The console's only way to data: our own JSON API, called in-process with the signed-in user's token.

Going through the API (not the domain functions or the database) means the console can show
nothing the API would not show that user: every role check and privacy rule holds by construction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask

from wellbeing.core.clock import utcnow

API_PREFIX = "/api/v1"
JSON_TYPES = ("application/json", "application/problem+json")
# Refresh a little before the access token runs out, so a call never starts with a token about to die.
REFRESH_MARGIN_SECONDS = 30
# And at least this often while in use: the server ends a console sign-in left unrefreshed for the idle timeout, so
# an active console must show its activity (a stolen cookie's refresh token then dies with the idle session).
REFRESH_EVERY_SECONDS = 300
_LOCATIONS = {"json", "query", "path", "headers", "form", "files"}


@dataclass(frozen=True)
class ApiResult:
    """One answer of the API: status, parsed JSON (or None) and the raw bytes (charts are images)."""

    status: int
    body: Any = None
    content: bytes = b""
    mimetype: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """The problem's human-readable detail (or its title)."""
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body.get("title") or "")
        return ""

    def field_errors(self) -> dict[str, list[str]]:
        """A 422's field errors as {"field": [...], "help_lines.0.phone": [...]}, without the location level."""
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        flat: dict[str, list[str]] = {}
        if isinstance(errors, dict):
            _flatten(errors, "", flat)
        return flat


def _flatten(errors: Any, prefix: str, into: dict[str, list[str]]) -> None:
    if isinstance(errors, list):
        into.setdefault(prefix or "_schema", []).extend(str(message) for message in errors)
        return
    if isinstance(errors, dict):
        for key, value in errors.items():
            key = str(key)
            if not prefix and key in _LOCATIONS:
                _flatten(value, "", into)
            else:
                _flatten(value, f"{prefix}.{key}" if prefix else key, into)
        return
    into.setdefault(prefix or "_schema", []).append(str(errors))


class TokenStore(Protocol):
    """Where the console keeps a user's token pair (the session cookie)."""

    access_token: str | None
    refresh_token: str | None
    access_expires_at: float
    stored_at: float

    def store(self, pair: dict, now: float) -> None: ...

    def forget(self) -> None: ...


class ApiClient:
    """Calls /api/v1 through the app's own WSGI stack, as the browser's user, from the browser's address."""

    def __init__(self, app: Flask, tokens: TokenStore, *, language: str, remote_addr: str, request_id: str,
                 base_url: str | None = None) -> None:
        self.app = app
        # The address the browser used, so URLs the API builds (the SSO callback, SCIM's base) are the public ones.
        self.base_url = base_url
        self.tokens = tokens
        self.language = language
        self.remote_addr = remote_addr
        self.request_id = request_id

    def get(self, path: str, query: dict | None = None) -> ApiResult:
        return self.request("GET", path, query=query)

    def post(self, path: str, json: dict | None = None, query: dict | None = None) -> ApiResult:
        return self.request("POST", path, json=json if json is not None else {}, query=query)

    def patch(self, path: str, json: dict, query: dict | None = None) -> ApiResult:
        return self.request("PATCH", path, json=json, query=query)

    def put(self, path: str, json: dict) -> ApiResult:
        return self.request("PUT", path, json=json)

    def delete(self, path: str) -> ApiResult:
        return self.request("DELETE", path)

    def sign_in(self, email: str, password: str) -> ApiResult:
        """POST /auth/token; on success the new pair replaces whatever was stored."""
        result = self._send("POST", "/auth/token", json={"email": email, "password": password, "client": "console"},
                            token=None)
        if result.ok:
            self.tokens.store(result.body, utcnow().timestamp())
        return result

    def sso_start(self, org: str, code_challenge: str) -> ApiResult:
        """GET /auth/sso/start for the console: a 302 to the provider (or the reason there is none)."""
        return self._send("GET", "/auth/sso/start", query={"org": org, "client": "console",
                                                           "code_challenge": code_challenge}, token=None)

    def sign_in_with_code(self, code: str, verifier: str) -> ApiResult:
        """POST /auth/token with a single sign-on's one-time code; on success the pair is stored."""
        result = self._send("POST", "/auth/token", json={"grant_type": "authorization_code", "code": code,
                                                         "code_verifier": verifier}, token=None)
        if result.ok:
            self.tokens.store(result.body, utcnow().timestamp())
        return result

    def sign_out(self) -> None:
        """POST /auth/logout (ends the sign-in on the server) and forget the tokens whatever the answer."""
        token = self.tokens.refresh_token or self.tokens.access_token
        if token:
            self._send("POST", "/auth/logout", token=token)
        self.tokens.forget()

    def request(self, method: str, path: str, *, json: dict | None = None, query: dict | None = None) -> ApiResult:
        """An authenticated call; an expired access token is refreshed once and the call repeated."""
        now = utcnow().timestamp()
        if self.tokens.access_token and (now >= self.tokens.access_expires_at - REFRESH_MARGIN_SECONDS
                                         or now >= self.tokens.stored_at + REFRESH_EVERY_SECONDS):
            self._refresh()
        result = self._send(method, path, json=json, query=query, token=self.tokens.access_token)
        if result.status == 401 and self._refresh():
            result = self._send(method, path, json=json, query=query, token=self.tokens.access_token)
        return result

    def _refresh(self) -> bool:
        refresh = self.tokens.refresh_token
        if not refresh:
            return False
        result = self._send("POST", "/auth/refresh", token=refresh)
        if not result.ok:
            self.tokens.forget()
            return False
        self.tokens.store(result.body, utcnow().timestamp())
        return True

    def _send(self, method: str, path: str, *, json: dict | None = None, query: dict | None = None,
              token: str | None) -> ApiResult:
        headers = {"Accept-Language": self.language, "X-Request-ID": self.request_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        query = {key: value for key, value in (query or {}).items() if value not in (None, "")}
        client = self.app.test_client(use_cookies=False)
        response = client.open(API_PREFIX + path, method=method, json=json, query_string=query, headers=headers,
                               environ_base={"REMOTE_ADDR": self.remote_addr}, base_url=self.base_url)
        body = response.get_json(silent=True) if response.mimetype in JSON_TYPES else None
        return ApiResult(response.status_code, body, response.get_data(), response.mimetype, dict(response.headers))

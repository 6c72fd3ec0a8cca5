"""Recovery connectors: one interface, one implementation per platform, each call's outcome as a Result.

`apply` puts the agent into the recovery state for the break; `restore` puts them back. Neither raises for
a platform failure (unreachable, refused, bad credentials): the Result says what went wrong, and the ledger
(wellbeing.contact_centre.recovery) records it and retries within the break's window.
"""
from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from wellbeing.prompts.channels import webhook

TIMEOUT = (3.0, 5.0)  # (connect, read) seconds: a recovery break lasts minutes, a request must not


@dataclass(frozen=True)
class Result:
    """One request's outcome: ok, or the reason it failed (and whether retrying can help)."""

    ok: bool
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class BreakRequest:
    """What a connector needs to know of one break."""

    break_id: str
    user_id: str
    platform_user_id: str | None
    minutes: int
    starts_at: datetime
    ends_at: datetime


class Connector(Protocol):
    """Changes an agent's state on the contact-centre platform."""

    name: str

    def apply(self, request: BreakRequest) -> Result: ...

    def restore(self, request: BreakRequest) -> Result: ...


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class WebhookConnector:
    """A generic signed webhook for any other platform: POST {"type": "recovery_break.start" | ".end", ...} signed
    exactly like prompt webhooks (X-Wellbeing-Signature: sha256=<hex HMAC-SHA256 of the body>), Idempotency-Key
    ``<break id>:start`` / ``<break id>:end``. Any 2xx applies; 408, 429 and 5xx are retried."""

    name = "webhook"

    def __init__(self, url: str, secret: str, allow_private: bool = False) -> None:
        self.url, self.secret, self.allow_private = url, secret, allow_private

    def apply(self, request: BreakRequest) -> Result:
        return self._post("recovery_break.start", request)

    def restore(self, request: BreakRequest) -> Result:
        return self._post("recovery_break.end", request)

    def _post(self, kind: str, request: BreakRequest) -> Result:
        body: dict[str, Any] = {"type": kind, "break_id": request.break_id, "user_id": request.user_id,
                                "platform_user_id": request.platform_user_id, "minutes": request.minutes,
                                "starts_at": _z(request.starts_at), "ends_at": _z(request.ends_at)}
        outcome = webhook.deliver(self.url, self.secret, body, f"{request.break_id}:{kind.rsplit('.', 1)[1]}",
                                  TIMEOUT, allow_private=self.allow_private)
        return Result(outcome.ok, None if outcome.ok else (outcome.error or f"HTTP {outcome.status}"),
                      outcome.permanent)


class AmazonConnectConnector:
    """Amazon Connect: PutUserStatus to the configured recovery agent status, then back to the available one.

    Signed with the organization's AWS credentials (SigV4, boto3). During a contact's after-contact work
    Amazon Connect applies the status when the work ends, which is exactly when the break should start.
    """

    name = "amazon_connect"

    def __init__(self, config: dict[str, Any], credentials: dict[str, str], endpoint_url: str | None = None) -> None:
        import boto3  # imported on use: only organizations using Amazon Connect need it loaded
        from botocore.config import Config

        self.instance_id = config["instance_id"]
        self.recovery_status_id = config["recovery_status_id"]
        self.available_status_id = config["available_status_id"]
        self.client = boto3.client(
            "connect", region_name=config.get("region") or "us-east-1", endpoint_url=endpoint_url or None,
            aws_access_key_id=credentials["access_key_id"], aws_secret_access_key=credentials["secret_access_key"],
            aws_session_token=credentials.get("session_token") or None,
            config=Config(connect_timeout=TIMEOUT[0], read_timeout=TIMEOUT[1], retries={"total_max_attempts": 1}))  # the ledger retries

    def apply(self, request: BreakRequest) -> Result:
        return self._status(request, self.recovery_status_id)

    def restore(self, request: BreakRequest) -> Result:
        return self._status(request, self.available_status_id)

    def _status(self, request: BreakRequest, status_id: str) -> Result:
        from botocore.exceptions import BotoCoreError, ClientError

        if not request.platform_user_id:
            return Result(False, "the agent has no amazon_connect id", permanent=True)
        try:
            self.client.put_user_status(UserId=request.platform_user_id, InstanceId=self.instance_id,
                                        AgentStatusId=status_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return Result(False, f"{code} (HTTP {status})"[:300], permanent=400 <= status < 500 and status not in (408, 429))
        except BotoCoreError as error:
            return Result(False, str(error)[:300])
        return Result(True)


class GenesysConnector:
    """Genesys Cloud: an OAuth client-credentials token from the login host, then the user presence API
    (PATCH /api/v2/users/{userId}/presences/purecloud) to the configured recovery presence and back to the
    available one. Tokens are cached per client until shortly before they expire."""

    name = "genesys"
    _tokens: dict[tuple[str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    def __init__(self, config: dict[str, Any], credentials: dict[str, str], login_url: str, api_url: str) -> None:
        self.recovery_presence = config["recovery_presence_id"]
        self.available_presence = config["available_presence_id"]
        self.client_id, self.client_secret = credentials["client_id"], credentials["client_secret"]
        self.login_url, self.api_url = login_url.rstrip("/"), api_url.rstrip("/")

    def apply(self, request: BreakRequest) -> Result:
        return self._presence(request, self.recovery_presence)

    def restore(self, request: BreakRequest) -> Result:
        return self._presence(request, self.available_presence)

    def _presence(self, request: BreakRequest, presence_id: str) -> Result:
        if not request.platform_user_id:
            return Result(False, "the agent has no genesys id", permanent=True)
        try:
            token = self._token()
            status, _ = _http("PATCH", f"{self.api_url}/api/v2/users/{quote(request.platform_user_id, safe='')}"
                                       "/presences/purecloud",
                              {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                              json.dumps({"presenceDefinition": {"id": presence_id}}).encode())
            if status == 401:  # the token was revoked early: one fresh one
                self._forget()
                token = self._token()
                status, _ = _http("PATCH", f"{self.api_url}/api/v2/users/"
                                           f"{quote(request.platform_user_id, safe='')}/presences/purecloud",
                                  {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                  json.dumps({"presenceDefinition": {"id": presence_id}}).encode())
        except _Failed as error:
            return Result(False, str(error), error.permanent)
        except OSError as error:
            return Result(False, f"Genesys Cloud unreachable: {error}"[:300])
        if 200 <= status < 300:
            return Result(True)
        return Result(False, f"presence API answered HTTP {status}", 400 <= status < 500 and status not in (408, 429))

    def _token(self) -> str:
        key = (self.login_url, self.client_id)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        status, body = _http("POST", f"{self.login_url}/oauth/token",
                             {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
                             b"grant_type=client_credentials")
        if status != 200:
            raise _Failed(f"OAuth token refused: HTTP {status}", permanent=status in (400, 401, 403))
        try:
            answer = json.loads(body)
            token, expires = answer["access_token"], int(answer.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise _Failed("OAuth token answer unreadable") from None
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(expires - 60, 0))
        return token

    def _forget(self) -> None:
        with self._lock:
            self._tokens.pop((self.login_url, self.client_id), None)


class _Failed(Exception):
    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _http(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=TIMEOUT[1])
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers={**headers, "User-Agent": "wellbeing-recovery/1"})
        response = connection.getresponse()
        return response.status, response.read(100_000)
    finally:
        connection.close()


def credentials_json(credentials: dict[str, str]) -> str:
    """The secret stored for a platform connector (encrypted by the caller)."""
    return json.dumps(credentials, sort_keys=True)

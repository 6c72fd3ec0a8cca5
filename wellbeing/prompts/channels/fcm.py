"""Firebase Cloud Messaging, HTTP v1 API: OAuth 2.0 access tokens from a service account, cached until shortly
before they expire, and one message per device token.

The token comes from google-auth (the service account's signed JWT assertion, sent to the `token_uri` of the
credentials file); the message goes through the channel transport, with its deadline, to `FCM_BASE_URL`.
"""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import google.auth.transport.requests
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account

from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult, classify, exchange

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
TOKEN_TIMEOUT = 10.0
# FCM's errorCode values that mean the registration token is no longer valid for this project
GONE = ("UNREGISTERED", "SENDER_ID_MISMATCH")


class _TokenRequest(google.auth.transport.requests.Request):
    """google-auth's requests transport with a bounded wait (its own default is two minutes)."""

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return super().__call__(url, method, body, headers, timeout=TOKEN_TIMEOUT, **kwargs)


class FcmClient:
    """Sends through FCM for one Firebase project, with the service account of `FCM_CREDENTIALS_FILE`."""

    def __init__(self, credentials_file: str, base_url: str) -> None:
        with open(credentials_file, encoding="utf-8") as file:
            info = json.load(file)
        self.project_id = info["project_id"]
        self.credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        self.url = f"{base_url.rstrip('/')}/v1/projects/{self.project_id}/messages:send"
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """A valid access token: the cached one until shortly before it expires (google-auth's margin), else new."""
        with self._lock:
            if not self.credentials.valid:
                self.credentials.refresh(_TokenRequest())
            return self.credentials.token

    def forget_token(self) -> None:
        with self._lock:
            self.credentials.token = None

    def send(self, address, message: dict[str, Any], ttl: timedelta, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
             deadline: float = DEFAULT_DEADLINE) -> DeliveryResult:
        """One message to the device's registration token."""
        try:
            token = self.access_token()
        except GoogleAuthError as exc:
            return DeliveryResult(ok=False, permanent=False, error=f"FCM sign-in failed: {exc.__class__.__name__}")
        body = json.dumps({"message": fcm_message(address.secret, message, ttl)}, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"}
        # The provider's address is the operator's setting, not a client's: private networks are fine (staging)
        reply = exchange(self.url, body, headers, timeout, deadline=deadline, allow_private=True, read_body=True)
        if isinstance(reply, DeliveryResult):
            return reply
        if reply.status == 401:
            self.forget_token()  # revoked or expired early: the next attempt signs in again
            return DeliveryResult(ok=False, permanent=False, status=401, error="FCM refused the access token")
        code = _error_code(reply.body)
        if code in GONE:
            return DeliveryResult(ok=False, permanent=True, gone=True, status=reply.status,
                                  error=f"FCM: {code}")
        result = classify(reply.status, reply.retry_after)
        if code and not result.ok:
            return DeliveryResult(ok=False, permanent=result.permanent, status=reply.status,
                                  retry_after=result.retry_after, error=f"FCM: {code} (HTTP {reply.status})")
        return result


def fcm_message(token: str, message: dict[str, Any], ttl: timedelta) -> dict[str, Any]:
    """The v1 `message`: a notification the phone shows, the same fields as string data for the app."""
    data = {key: str(value) for key, value in message.items() if value is not None and key not in ("title", "body")}
    android = {"priority": "high", "ttl": f"{max(int(ttl.total_seconds()), 0)}s"}
    if message.get("prompt_id"):
        android["collapse_key"] = message["prompt_id"]
    return {"token": token, "notification": {"title": message["title"], "body": message["body"]},
            "data": data, "android": android}


def _error_code(body: bytes) -> str | None:
    """FCM's errorCode (in the FcmError detail), else the error's status, else None."""
    try:
        error = json.loads(body or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        return None
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])[:40]
    return str(error["status"])[:40] if error.get("status") else None

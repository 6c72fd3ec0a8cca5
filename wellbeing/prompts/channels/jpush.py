"""JPush (极光推送) REST API v3: Basic authentication with the app key and master secret, one push per device.

Google's services are missing on most phones in mainland China; JPush reaches them.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult, classify, exchange

# "cannot find user by this audience": the registration id is unknown to JPush (the app was removed)
GONE = (1011,)
MAX_TTL = 10 * 24 * 3600


class JPushClient:
    """Pushes through one JPush application."""

    def __init__(self, app_key: str, master_secret: str, base_url: str) -> None:
        self.url = f"{base_url.rstrip('/')}/v3/push"
        self.authorization = "Basic " + base64.b64encode(f"{app_key}:{master_secret}".encode()).decode()

    def send(self, address, message: dict[str, Any], ttl: timedelta, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
             deadline: float = DEFAULT_DEADLINE) -> DeliveryResult:
        """One push to the device's registration id."""
        body = json.dumps(jpush_payload(address.secret, message, ttl), ensure_ascii=False).encode()
        headers = {"Authorization": self.authorization, "Content-Type": "application/json; charset=utf-8"}
        reply = exchange(self.url, body, headers, timeout, deadline=deadline, allow_private=True, read_body=True)
        if isinstance(reply, DeliveryResult):
            return reply
        code = _error_code(reply.body)
        if code in GONE:
            return DeliveryResult(ok=False, permanent=True, gone=True, status=reply.status,
                                  error=f"JPush {code}: registration id unknown")
        if reply.status == 401:
            return DeliveryResult(ok=False, permanent=False, status=401, error="JPush refused the app key or secret")
        result = classify(reply.status, reply.retry_after)
        if code is not None and not result.ok:
            return DeliveryResult(ok=False, permanent=result.permanent, status=reply.status,
                                  retry_after=result.retry_after, error=f"JPush {code} (HTTP {reply.status})")
        return result


def jpush_payload(registration_id: str, message: dict[str, Any], ttl: timedelta) -> dict[str, Any]:
    """The v3 push: one registration id, a notification for Android and iOS with the prompt as extras."""
    extras = {key: value for key, value in message.items() if value is not None and key not in ("title", "body")}
    options: dict[str, Any] = {"time_to_live": min(max(int(ttl.total_seconds()), 0), MAX_TTL),
                               "apns_production": True}
    if message.get("prompt_id"):
        options["apns_collapse_id"] = message["prompt_id"]
    return {
        "platform": ["android", "ios"],
        "audience": {"registration_id": [registration_id]},
        "notification": {
            "alert": message["body"],
            "android": {"alert": message["body"], "title": message["title"], "priority": 2, "extras": extras},
            "ios": {"alert": {"title": message["title"], "body": message["body"]}, "sound": "default",
                    "extras": extras},
        },
        "options": options,
    }


def _error_code(body: bytes) -> int | None:
    try:
        error = json.loads(body or b"{}").get("error") or {}
        return int(error["code"]) if "code" in error else None
    except (ValueError, TypeError, AttributeError):
        return None

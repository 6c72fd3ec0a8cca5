"""Web Push (RFC 8030): the payload encrypted for the subscription (RFC 8291, aes128gcm), signed with VAPID (RFC 8292).

The crypto is pywebpush's and py-vapid's; the POST goes through the webhook channel's transport, because a
subscription endpoint is a URL the client chose: it gets the same address checks and the same deadline.
"""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPusher

from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult, classify, exchange

# A VAPID token is valid at most 24 h (RFC 8292); ours 12 h, reused for an hour per push service
TOKEN_LIFETIME = 12 * 3600
TOKEN_REUSE = 3600
GONE = (404, 410)


class VapidSigner:
    """The service's VAPID key: signs the Authorization header for a push service's origin, cached per origin."""

    def __init__(self, vapid: Vapid02, subject: str) -> None:
        self.vapid, self.subject = vapid, subject
        self._tokens: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_setting(cls, value: str, subject: str) -> "VapidSigner":
        """From `VAPID_PRIVATE_KEY`: a PEM file's path, a PEM, or the base64url raw or DER private key."""
        if "-----BEGIN" in value:
            return cls(Vapid02.from_pem(value.encode()), subject)
        if Path(value).is_file():
            return cls(Vapid02.from_file(value), subject)
        return cls(Vapid02.from_string(value), subject)

    @staticmethod
    def generate(path: Path) -> None:
        """Write a new private key (PEM) to `path`, readable by the owner only."""
        vapid = Vapid02()
        vapid.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(vapid.private_pem())
        # Workers starting together: each file is whole, and the last one renamed is everyone's key
        os.replace(fresh, path)

    def public_key(self) -> str:
        """The application server key a browser subscribes with: base64url of the uncompressed P-256 point."""
        point = self.vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return base64.urlsafe_b64encode(point).rstrip(b"=").decode()

    def authorization(self, endpoint: str) -> str:
        """`vapid t=<JWT>,k=<public key>` for the endpoint's origin."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self._lock:
            cached = self._tokens.get(audience)
            if cached and cached[0] - now > TOKEN_LIFETIME - TOKEN_REUSE:
                return cached[1]
            expires = int(now) + TOKEN_LIFETIME
            header = self.vapid.sign({"aud": audience, "sub": self.subject, "exp": expires})["Authorization"]
            self._tokens[audience] = (expires, header)
            return header


def send(endpoint: str, keys: dict[str, str], message: dict[str, Any], signer: VapidSigner, ttl: timedelta, *,
         timeout: tuple[float, float] = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE,
         allow_private: bool = False) -> DeliveryResult:
    """Encrypt `message` for the subscription and POST it to its push service once."""
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    body = WebPusher({"endpoint": endpoint, "keys": keys}).encode(data, "aes128gcm")["body"]
    headers = {"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
               "TTL": str(max(int(ttl.total_seconds()), 0)), "Urgency": "high",
               "Authorization": signer.authorization(endpoint)}
    if message.get("prompt_id"):
        # A repeat of the same prompt replaces the undelivered one at the push service
        headers["Topic"] = message["prompt_id"].replace("-", "")[:32]
    reply = exchange(endpoint, body, headers, timeout, deadline=deadline, allow_private=allow_private)
    if isinstance(reply, DeliveryResult):
        return reply
    if reply.status in GONE:
        return DeliveryResult(ok=False, permanent=True, status=reply.status, gone=True,
                              error=f"subscription gone (HTTP {reply.status})")
    return classify(reply.status, reply.retry_after)

"""The push providers behind the device channels (Web Push, FCM, APNs, JPush), configured once per process."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from wellbeing.models import Device
from wellbeing.prompts.channels import webpush
from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult


@dataclass(frozen=True)
class DeviceAddress:
    """What a delivery needs of a device, read before the workers start (no ORM object crosses threads)."""

    id: str
    user_id: str
    channel: str
    url: str | None
    secret: str  # the webhook secret, the Web Push keys as JSON, or the provider token
    environment: str | None = None

    @classmethod
    def of(cls, device: Device, secret: str) -> "DeviceAddress":
        return cls(device.id, device.user_id, device.channel, device.url, secret, device.environment)


@dataclass(frozen=True)
class Providers:
    """The configured provider clients; a channel without one answers a retryable 'not configured'."""

    webpush: Any = None  # channels.webpush.VapidSigner
    fcm: Any = None  # channels.fcm.FcmClient
    apns: Any = None  # channels.apns.ApnsClient
    jpush: Any = None  # channels.jpush.JPushClient

    def send(self, address: DeviceAddress, message: dict[str, Any], ttl: timedelta, *,
             timeout: tuple[float, float] = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE,
             allow_private: bool = False) -> DeliveryResult:
        """One attempt through the device's provider; `ttl` is how long the provider may hold it for the phone."""
        client = getattr(self, address.channel, None)
        if client is None:
            return DeliveryResult(ok=False, permanent=False, error=f"{address.channel} is not configured")
        if address.channel == "webpush":
            return webpush.send(address.url, json.loads(address.secret), message, client, ttl, timeout=timeout,
                                deadline=deadline, allow_private=allow_private)
        return client.send(address, message, ttl, timeout=timeout, deadline=deadline)

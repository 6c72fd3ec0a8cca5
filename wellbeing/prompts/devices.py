"""Push targets of an agent: register (address checked, secret encrypted), list, remove, test; the flood caps."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.core.errors import Invalid, NotFound, Throttled
from wellbeing.core.idempotency import create_once
from wellbeing.models import Device, User
from wellbeing.prompts.channels.webhook import ADDRESS_REFUSED, WebhookURLError, check_url

# Consecutive permanent failures (4xx, a refused address) after which a device is disabled
DISABLE_AFTER = 5
MAX_DEVICES = 10
MAX_TESTS_PER_HOUR = 5
HOUR = timedelta(hours=1)


def secret_aad(device_id: str) -> bytes:
    """The associated data binding a device's encrypted secret to its row."""
    return f"devices:{device_id}:secret".encode()


def add_device(session: Session, user: User, data: Mapping[str, Any], fingerprint: str, keyring: Keyring,
               now: datetime, allow_private: bool, channels: frozenset[str] | None = None) -> tuple[Device, bool]:
    """Register a device after checking its address; idempotent on the client's id; at most MAX_DEVICES each.

    `channels` are the push channels this deployment has configured (the webhook needs none).
    """
    device_id = str(data["id"]) if data.get("id") else None

    def build() -> Device:
        channel = data["channel"]
        if channel != "webhook" and channels is not None and channel not in channels:
            raise Invalid(f"channel: {channel} is not configured on this service.",
                          fields={"channel": [f"{channel} is not configured on this service"]},
                          code="channel_not_configured")
        count = session.scalar(select(func.count()).select_from(Device).where(Device.user_id == user.id))
        if count >= MAX_DEVICES:
            raise Throttled(f"At most {MAX_DEVICES} devices per agent; remove one first.", retry_after=3600,
                            code="device_limit")
        url, secret, hint = _address(data, allow_private)
        new = device_id or new_id()
        return Device(id=new, user_id=user.id, channel=channel, url=url, hint=hint,
                      environment=data.get("environment") if channel == "apns" else None,
                      secret_ciphertext=keyring.encrypt(secret, secret_aad(new)), created_at=now)

    return create_once(session, Device, device_id, fingerprint, build, lambda stored: stored.user_id == user.id)


def _address(data: Mapping[str, Any], allow_private: bool) -> tuple[str | None, str, str]:
    """The device's URL, what is encrypted (secret, keys or token), and the masked hint shown back."""
    channel = data["channel"]
    if channel == "webhook":
        _check(data["url"], "url", allow_private)
        return data["url"], data["secret"], _mask_url(data["url"])
    if channel == "webpush":
        subscription = data["subscription"]
        _check(subscription["endpoint"], "subscription.endpoint", allow_private)
        keys = {"p256dh": subscription["keys"]["p256dh"], "auth": subscription["keys"]["auth"]}
        return subscription["endpoint"], json.dumps(keys), _mask_url(subscription["endpoint"])
    token = data["registration_id"] if channel == "jpush" else data["token"]
    return None, token, mask_token(token)


def _check(url: str, field: str, allow_private: bool) -> None:
    try:
        check_url(url, allow_private)
    except WebhookURLError:
        # Only that it is refused: what an internal name resolves to is none of the caller's business
        raise Invalid(f"{field}: {ADDRESS_REFUSED}.", fields={field: [ADDRESS_REFUSED]},
                      code="webhook_url_refused") from None


def mask_token(token: str) -> str:
    """The first and last four characters of a token, the rest elided."""
    return f"{token[:4]}…{token[-4:]}" if len(token) > 12 else "…" + token[-2:]


def _mask_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/…{path[-4:]}" if path else f"{scheme}://{host}"


def devices_query(user_id: str) -> Select:
    """The agent's devices (the caller orders and pages)."""
    return select(Device).where(Device.user_id == user_id)


def own_device(session: Session, user_id: str, device_id: str) -> Device:
    """One of the agent's devices; anyone else's is NotFound, exactly like a missing one."""
    device = session.get(Device, device_id) if _is_uuid(device_id) else None
    if device is None or device.user_id != user_id:
        raise NotFound("No such device.")
    return device


def remove_device(session: Session, user_id: str, device_id: str) -> None:
    """Forget one of the agent's devices; anyone else's is NotFound."""
    session.delete(own_device(session, user_id, device_id))
    session.commit()


def count_test(session: Session, device: Device, now: datetime) -> None:
    """Count a test notification against the device's hourly allowance (429 beyond it) and commit."""
    if device.tests_window_at is None or device.tests_window_at <= now - HOUR:
        device.tests_window_at, device.tests_in_window = now, 0
    if device.tests_in_window >= MAX_TESTS_PER_HOUR:
        wait = int((device.tests_window_at + HOUR - now).total_seconds()) + 1
        raise Throttled(f"At most {MAX_TESTS_PER_HOUR} test notifications per device and hour.", retry_after=wait,
                        code="test_limit")
    device.tests_in_window += 1
    session.commit()


def note_test(session: Session, device: Device, ok: bool, error: str | None, gone: bool, now: datetime) -> None:
    """Record a test notification's outcome on the device (a provider's 'gone' disables it)."""
    if ok:
        device.last_success_at = now
    else:
        device.last_error = (error or "failed")[:200]
        if gone and device.disabled_at is None:
            device.disabled_at, device.disabled_reason = now, device.last_error
    session.commit()


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False

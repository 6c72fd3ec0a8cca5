"""Push targets of an agent: register (URL checked, secret encrypted), list, remove."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id
from wellbeing.core.errors import Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import Device, User
from wellbeing.prompts.channels.webhook import WebhookURLError, check_url

# Consecutive permanent failures (4xx, a refused address) after which a device is disabled
DISABLE_AFTER = 5


def secret_aad(device_id: str) -> bytes:
    """The associated data binding a device's encrypted secret to its row."""
    return f"devices:{device_id}:secret".encode()


def add_device(session: Session, user: User, data: Mapping[str, Any], fingerprint: str, keyring: Keyring,
               now: datetime, allow_private: bool) -> tuple[Device, bool]:
    """Register a webhook target after checking its URL; idempotent on the client's id."""
    device_id = str(data["id"]) if data.get("id") else None

    def build() -> Device:
        try:
            check_url(data["url"], allow_private)
        except WebhookURLError as error:
            raise Invalid(f"url: {error}", fields={"url": [str(error)]}, code="webhook_url_refused") from None
        new = device_id or new_id()
        return Device(id=new, user_id=user.id, channel=data["channel"], url=data["url"],
                      secret_ciphertext=keyring.encrypt(data["secret"], secret_aad(new)), created_at=now)

    return create_once(session, Device, device_id, fingerprint, build, lambda stored: stored.user_id == user.id)


def devices_query(user_id: str) -> Select:
    """The agent's devices (the caller orders and pages)."""
    return select(Device).where(Device.user_id == user_id)


def remove_device(session: Session, user_id: str, device_id: str) -> None:
    """Forget one of the agent's devices; anyone else's is NotFound."""
    device = session.get(Device, device_id)
    if device is None or device.user_id != user_id:
        raise NotFound("No such device.")
    session.delete(device)
    session.commit()

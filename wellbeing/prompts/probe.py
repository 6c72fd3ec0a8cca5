"""A test notification to one device, now (POST /me/devices/{id}/test): counted, sent, its outcome recorded."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from wellbeing.core.errors import Conflict
from wellbeing.models import User
from wellbeing.prompts.channels.webhook import DeliveryResult
from wellbeing.prompts.devices import count_test, note_test, own_device, secret_aad
from wellbeing.prompts.dispatch import Channel
from wellbeing.prompts.notification import test_message
from wellbeing.prompts.providers import DeviceAddress

TEST_VALIDITY = timedelta(minutes=10)


def send_test_notification(session: Session, user: User, device_id: str, channel: Channel,
                           now: datetime) -> DeliveryResult:
    """Send a test notification to one of the agent's devices; 429 past 5 an hour, 409 for a disabled device."""
    device = own_device(session, user.id, device_id)
    if device.disabled_at is not None:
        raise Conflict("This device is disabled; register it again.", code="device_disabled")
    count_test(session, device, now)
    address = DeviceAddress.of(device, channel.keyring.decrypt(device.secret_ciphertext, secret_aad(device.id)))
    result = channel.deliver(address, None, test_message(device.id, user.locale, now + TEST_VALIDITY), TEST_VALIDITY)
    note_test(session, device, result.ok, result.error, result.gone, now)
    return result

"""What the push tests share: a browser's Web Push subscription, tough calls that trigger a prompt, a dispatch run."""
from __future__ import annotations

import base64
import os
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from api.core.keyring import keyring
from api.prompts.push import push_channel
from tests.prompts.helpers import API, MONDAY
from wellbeing.core.db import db
from wellbeing.models import Prompt
from wellbeing.prompts.dispatch import Channel, dispatch_due


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """The browser side of Web Push: its own P-256 key pair and auth secret, as PushManager.subscribe makes them."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


def register(world, body: dict, key: str = "agent") -> str:
    response = world.client.post(f"{API}/me/devices", json=body, headers=world.as_(key))
    assert response.status_code == 201, response.json
    return response.json["id"]


def api_key(world) -> dict:
    key = world.client.post(f"{API}/api-keys", json={"name": "CTI"}, headers=world.as_("admin")).json["key"]
    return {"Authorization": f"Bearer {key}"}


def two_tough_calls(world, key: str = "agent") -> None:
    """Two complaint calls in a row (the default threshold): a breathing prompt due at the second one's end."""
    headers = api_key(world)
    for minute in (0, 6):
        at = MONDAY + timedelta(minutes=minute)
        with time_machine.travel(at, tick=False):
            response = world.client.post(f"{API}/events/call-ended", headers=headers, json={
                "user_id": world.ids[key], "ended_at": at.isoformat(), "complaint": True, "duration_seconds": 300})
        assert response.status_code == 202, response.json


def tough_prompt(session, world, key: str = "agent") -> Prompt:
    [prompt] = session.scalars(select(Prompt).where(Prompt.user_id == world.ids[key],
                                                    Prompt.source == "tough_calls")).all()
    return prompt


def dispatch(app, now, settings: dict | None = None, **kwargs):
    """One dispatcher run: the app's channel, or one with these `settings` (and the app's push providers)."""
    with app.app_context():
        try:
            channel = push_channel()
            if settings is not None:
                channel = Channel(keyring(), **{"allow_private": True, "providers": channel.providers, **settings})
            return dispatch_due(db.session, now, channel, **kwargs)
        finally:
            db.session.remove()


@contextmanager
def providers(app, **clients):
    """The app's push channel with these provider clients for the duration (the test's local providers)."""
    with app.app_context():
        before = push_channel()
        app.extensions["wellbeing_push"] = replace(before, providers=replace(before.providers, **clients),
                                                   max_per_user_hour=10_000)
    try:
        yield
    finally:
        app.extensions["wellbeing_push"] = before

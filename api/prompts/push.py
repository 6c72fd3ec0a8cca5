"""The app's push channel: the dispatcher's settings and provider clients, built once per process from the config."""
from __future__ import annotations

from flask import current_app

from api.core.keyring import keyring
from wellbeing.prompts.channels.apns import ApnsClient
from wellbeing.prompts.channels.fcm import FcmClient
from wellbeing.prompts.channels.jpush import JPushClient
from wellbeing.prompts.channels.webpush import VapidSigner
from wellbeing.prompts.dispatch import Channel
from wellbeing.prompts.providers import Providers


def push_channel() -> Channel:
    """The channel the scheduler and the test notifications deliver through (provider tokens cached across runs)."""
    channel = current_app.extensions.get("wellbeing_push")
    if channel is None:
        config = current_app.config
        channel = current_app.extensions["wellbeing_push"] = Channel(
            keyring(), allow_private=config["ALLOW_PRIVATE_WEBHOOKS"], providers=_providers(config),
            deadline=config["PUSH_DELIVERY_DEADLINE_SECONDS"], max_per_user_hour=config["PUSH_MAX_PER_USER_HOUR"],
            workers=config["PUSH_WORKERS"])
    return channel


def vapid_signer() -> VapidSigner | None:
    """The Web Push key, or None where Web Push is not configured."""
    return push_channel().providers.webpush


def _providers(config) -> Providers:
    clients = {}
    if config["VAPID_PRIVATE_KEY"]:
        clients["webpush"] = VapidSigner.from_setting(config["VAPID_PRIVATE_KEY"], config["VAPID_SUBJECT"])
    if config["FCM_CREDENTIALS_FILE"]:
        clients["fcm"] = FcmClient(config["FCM_CREDENTIALS_FILE"], config["FCM_BASE_URL"])
    if all(config[name] for name in ("APNS_KEY_FILE", "APNS_KEY_ID", "APNS_TEAM_ID", "APNS_TOPIC")):
        clients["apns"] = ApnsClient.from_files(config["APNS_KEY_FILE"], config["APNS_KEY_ID"], config["APNS_TEAM_ID"],
                                                config["APNS_TOPIC"], config["APNS_BASE_URL"],
                                                config["APNS_SANDBOX_BASE_URL"], config["PUSH_CA_FILE"])
    if config["JPUSH_APP_KEY"] and config["JPUSH_MASTER_SECRET"]:
        clients["jpush"] = JPushClient(config["JPUSH_APP_KEY"], config["JPUSH_MASTER_SECRET"], config["JPUSH_BASE_URL"])
    return Providers(**clients)

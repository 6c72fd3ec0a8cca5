"""The data-encryption keyring of the running app, parsed once from DATA_KEYS."""
from __future__ import annotations

from flask import current_app

from wellbeing.core.crypto import Keyring, parse_data_keys


def keyring() -> Keyring:
    """The app's keyring: the first DATA_KEYS entry encrypts, every entry decrypts."""
    ring = current_app.extensions.get("wellbeing_keyring")
    if ring is None:
        ring = current_app.extensions["wellbeing_keyring"] = parse_data_keys(current_app.config["DATA_KEYS"])
    return ring

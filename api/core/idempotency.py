"""Fingerprints of create requests, so a replay can be told from a different body under the same id."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from flask import current_app


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, UUID, Decimal)):
        return str(value)
    raise TypeError(type(value).__name__)


def fingerprint(data: dict) -> str:
    """A keyed hash of the parsed request (keyed, so a password inside it cannot be guessed from the hash)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_plain).encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), canonical, hashlib.sha256).hexdigest()


def created(obj, was_created: bool):
    """201 for a new resource, 200 for a replay of the same create."""
    return obj, 201 if was_created else 200

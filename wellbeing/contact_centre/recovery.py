"""Recovery breaks: after a tough-call run at the agent's threshold, the platform takes the agent out of the queue
for a few minutes, then puts them back. The agent opts in, and may decline or end a break early.

The ledger row is the schedule: ``next_attempt_at`` is when its next step (apply, or restore) is due, so the
scheduler job ``run_recovery_breaks`` resumes after any restart; a claim lease keeps two schedulers apart.
Each request's outcome lands on the row (applied_at, restored_at, or failed_at with the reason). Applying is
retried within the break's window (a break that could not start in time is failed, "not applied"); restoring
is retried until it succeeds or RESTORE_GIVE_UP has passed, because an agent left out of the queue is worse.
Nothing here is shown to supervisors; the organization sees only the differentially private count.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wellbeing.contact_centre.connectors import (
    AmazonConnectConnector,
    BreakRequest,
    Connector,
    GenesysConnector,
    WebhookConnector,
)
from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id, write_intent
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.models import RecoveryBreak, RecoveryOptIn, RecoverySettings, User
from wellbeing.models.contact_centre import RECOVERY_CONNECTORS
from wellbeing.prompts.channels.webhook import WebhookURLError, check_url

DEFAULT_MINUTES = 2
LEASE = timedelta(seconds=30)
RETRY_FIRST = timedelta(seconds=5)
RETRY_CAP = timedelta(seconds=60)
RESTORE_GIVE_UP = timedelta(hours=2)
ACTIVE = ("requested", "applied")

ConnectorFactory = Callable[[RecoverySettings], Connector]


# --- the organization's settings -------------------------------------------------------------------------------

def settings_of(session: Session, org_id: str) -> dict[str, Any]:
    """The organization's recovery settings as the admin sees them (never the secret)."""
    row = session.get(RecoverySettings, org_id)
    if row is None:
        return {"enabled": False, "minutes": DEFAULT_MINUTES, "connector": None, "config": {}, "secret_set": False}
    return {"enabled": row.enabled, "minutes": row.minutes, "connector": row.connector, "config": dict(row.config),
            "secret_set": row.secret_ciphertext is not None}


_REQUIRED = {"webhook": ("url",), "amazon_connect": ("instance_id", "recovery_status_id", "available_status_id"),
             "genesys": ("recovery_presence_id", "available_presence_id")}
_SECRETS = {"webhook": ("secret",), "amazon_connect": ("access_key_id", "secret_access_key"),
            "genesys": ("client_id", "client_secret")}


def replace_settings(session: Session, org_id: str, data: dict[str, Any], keyring: Keyring, now: datetime,
                     allow_private: bool = False) -> dict[str, Any]:
    """Replace the settings; a secret left out keeps the stored one (for the same connector)."""
    row = session.get(RecoverySettings, org_id)
    connector, config, secret = data.get("connector"), dict(data.get("config") or {}), data.get("secret")
    errors: dict[str, list[str]] = {}
    if connector is not None and connector not in RECOVERY_CONNECTORS:
        errors["connector"] = ["must be one of " + ", ".join(RECOVERY_CONNECTORS)]
    elif connector is not None:
        for key in _REQUIRED[connector]:
            if not isinstance(config.get(key), str) or not config[key]:
                errors[f"config.{key}"] = ["required for this connector"]
        if connector == "webhook" and isinstance(config.get("url"), str):
            try:
                check_url(config["url"], allow_private)
            except WebhookURLError as error:
                errors["config.url"] = [str(error)]
        keeps_secret = row is not None and row.connector == connector and row.secret_ciphertext is not None
        if secret is None and not keeps_secret:
            errors["secret"] = ["required for this connector"]
        elif secret is not None:
            missing = [key for key in _SECRETS[connector] if not isinstance(secret.get(key), str) or not secret[key]]
            if missing:
                errors["secret"] = ["needs " + ", ".join(missing)]
    if data.get("enabled") and connector is None:
        errors["connector"] = ["a connector is needed to enable recovery breaks"]
    if errors:
        named = "; ".join(f"{path}: {messages[0]}" for path, messages in sorted(errors.items()))
        raise Invalid(f"Invalid recovery settings: {named}.", fields=errors, code="invalid_recovery_settings")
    with write_intent():
        if row is None:
            row = RecoverySettings(org_id=org_id)
            session.add(row)
        row.enabled = bool(data.get("enabled"))
        row.minutes = data.get("minutes") or DEFAULT_MINUTES
        row.connector = connector
        row.config = config
        if connector is None:
            row.secret_ciphertext = None
        elif secret is not None:
            row.secret_ciphertext = keyring.encrypt(json.dumps(secret, sort_keys=True), settings_aad(org_id))
        row.updated_at = now
        session.commit()
    return settings_of(session, org_id)


def secret_of(row: RecoverySettings, keyring: Keyring) -> dict[str, str]:
    """The connector's decrypted secret."""
    return json.loads(keyring.decrypt(row.secret_ciphertext, settings_aad(row.org_id))) if row.secret_ciphertext else {}


def connector_factory(keyring: Keyring, endpoints: dict[str, str | None],
                      allow_private: bool = False) -> ConnectorFactory:
    """Builds the connector an organization's settings name (endpoints: the platforms' base URLs, settings)."""

    def build(row: RecoverySettings) -> Connector:
        secret = secret_of(row, keyring)
        if row.connector == "webhook":
            return WebhookConnector(row.config["url"], secret["secret"], allow_private)
        if row.connector == "amazon_connect":
            return AmazonConnectConnector(row.config, secret, endpoints.get("amazon_connect"))
        if row.connector == "genesys":
            return GenesysConnector(row.config, secret, endpoints["genesys_login"], endpoints["genesys_api"])
        raise ValueError(f"no connector {row.connector!r}")

    return build


def settings_aad(org_id: str) -> bytes:
    """The associated data binding an organization's connector secret to its row."""
    return f"recovery_settings:{org_id}".encode()


# --- the agent's choice ----------------------------------------------------------------------------------------

def opted_in(session: Session, user_id: str) -> bool:
    row = session.get(RecoveryOptIn, user_id)
    return bool(row and row.opted_in)


def set_opt_in(session: Session, user: User, choice: bool, now: datetime) -> bool:
    with write_intent():
        row = session.get(RecoveryOptIn, user.id)
        if row is None:
            row = RecoveryOptIn(user_id=user.id)
            session.add(row)
        row.opted_in, row.updated_at = choice, now
        if not choice:
            # Opting out declines a break not yet applied and ends a running one
            for item in session.scalars(select(RecoveryBreak).where(RecoveryBreak.user_id == user.id,
                                                                    RecoveryBreak.status.in_(ACTIVE))):
                _stop(item, now)
        session.commit()
    return choice


# --- the ledger --------------------------------------------------------------------------------------------------

def request_recovery(session: Session, user: User, prompt_id: str | None, now: datetime) -> RecoveryBreak | None:
    """A tough-call run planned a breathing prompt now: ask for a recovery break starting now, if the organization
    enabled them, the agent opted in and no break of theirs is running. The caller commits (the prompt's
    transaction), so the prompt and the request stand or fall together."""
    settings = session.get(RecoverySettings, user.org_id)
    if settings is None or not settings.enabled or settings.connector is None or not opted_in(session, user.id):
        return None
    running = session.scalar(select(RecoveryBreak.id).where(
        RecoveryBreak.user_id == user.id, RecoveryBreak.status.in_(ACTIVE), RecoveryBreak.ends_at > now).limit(1))
    if running is not None:
        return None
    item = RecoveryBreak(id=new_id(), org_id=user.org_id, user_id=user.id, connector=settings.connector,
                         status="requested", minutes=settings.minutes, requested_at=now, starts_at=now,
                         ends_at=now + timedelta(minutes=settings.minutes), attempts=0, next_attempt_at=now,
                         prompt_id=prompt_id)
    session.add(item)
    session.flush()
    return item


def run_due(session: Session, now: datetime, connectors: ConnectorFactory, limit: int = 100) -> dict[str, int]:
    """Apply due requests and restore due breaks, each with its connector; returns the counts of each outcome
    (gave_up: the break is failed for good, the reason on its row)."""
    counts = {"applied": 0, "restored": 0, "retry": 0, "gave_up": 0}
    for break_id in _claim(session, now, limit):
        item = session.get(RecoveryBreak, break_id)
        settings = session.get(RecoverySettings, item.org_id)
        user = session.get(User, item.user_id)
        request = BreakRequest(item.id, item.user_id, (user.external_ids or {}).get(item.connector),
                               item.minutes, item.starts_at, item.ends_at)
        restoring = item.status == "applied"
        try:
            connector = connectors(settings) if settings is not None and settings.connector == item.connector else None
        except (KeyError, ValueError) as error:
            connector, reason = None, f"connector not configured: {error}"
        else:
            reason = "the organization changed its connector" if connector is None else None
        session.commit()  # the claim holds the row; no transaction stays open across the platform's answer
        if not restoring and now >= request.ends_at:
            # Nobody asked in time (the scheduler was down for the whole break): too late to take the agent out
            connector, reason = None, "the break's time had passed before it could be requested"
        if connector is None:
            result = None
        else:
            result = connector.restore(request) if restoring else connector.apply(request)
        with write_intent():
            item = session.get(RecoveryBreak, break_id)
            session.refresh(item)  # the agent may have declined or ended it meanwhile
            item.attempts += 1
            if result is not None and result.ok:
                if restoring:
                    item.status, item.restored_at, item.next_attempt_at = "restored", now, None
                    counts["restored"] += 1
                elif item.ended_early_at is not None or item.declined_at is not None:
                    item.status, item.next_attempt_at = "applied", now  # ended while the request was out
                    item.applied_at = now
                    counts["applied"] += 1
                else:
                    item.status, item.applied_at, item.next_attempt_at = "applied", now, item.ends_at
                    counts["applied"] += 1
            elif not restoring and item.status == "declined":
                pass  # declined while the request was out, and it did not apply: nothing to restore
            else:
                error = reason if result is None else result.error
                permanent = result is None or result.permanent
                retry_at = now + min(RETRY_FIRST * (2 ** min(item.attempts - 1, 6)), RETRY_CAP)
                deadline = item.ends_at + RESTORE_GIVE_UP if restoring else item.ends_at
                if permanent or retry_at >= deadline:
                    item.status, item.failed_at, item.next_attempt_at = "failed", now, None
                    item.failure_reason = (("restore failed: " if restoring else "not applied: ") + (error or ""))[:300]
                    counts["gave_up"] += 1
                else:
                    item.next_attempt_at, item.failure_reason = retry_at, (error or "")[:300]
                    counts["retry"] += 1
            session.commit()
    return counts


def _claim(session: Session, now: datetime, limit: int) -> list[str]:
    """Take due rows under a lease (their next_attempt_at moves on), SKIP LOCKED so schedulers share the work."""
    with write_intent():
        ids = session.scalars(select(RecoveryBreak.id).where(
            RecoveryBreak.status.in_(ACTIVE), RecoveryBreak.next_attempt_at <= now)
            .order_by(RecoveryBreak.next_attempt_at).limit(limit).with_for_update(skip_locked=True)).all()
        if ids:
            session.execute(update(RecoveryBreak).where(RecoveryBreak.id.in_(ids))
                            .values(next_attempt_at=now + LEASE))
        session.commit()
    return list(ids)


def own_breaks(session: Session, user_id: str, limit: int = 20) -> list[RecoveryBreak]:
    """The agent's latest recovery breaks (only theirs: nobody else reads a single break)."""
    return list(session.scalars(select(RecoveryBreak).where(RecoveryBreak.user_id == user_id)
                                .order_by(RecoveryBreak.requested_at.desc(), RecoveryBreak.id).limit(limit)))


def stop_break(session: Session, user_id: str, break_id: str, now: datetime) -> RecoveryBreak:
    """The agent declines a break not yet applied, or ends a running one early (restored at once)."""
    with write_intent():
        item = session.get(RecoveryBreak, break_id) if _is_id(break_id) else None
        if item is None or item.user_id != user_id:
            raise NotFound("No such recovery break.")
        if item.status not in ACTIVE:
            raise Conflict(f"A {item.status} recovery break cannot be stopped.", code="invalid_transition")
        _stop(item, now)
        session.commit()
    return item


def _stop(item: RecoveryBreak, now: datetime) -> None:
    if item.status == "requested":
        # Not applied (a request out to the platform right now is restored as soon as its answer arrives)
        item.status, item.declined_at, item.next_attempt_at = "declined", now, None
    else:
        item.ended_early_at = now
        item.ends_at = min(item.ends_at, now)
        item.next_attempt_at = now


def _is_id(value: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False

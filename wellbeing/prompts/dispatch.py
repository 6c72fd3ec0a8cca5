"""The dispatcher: claim due prompts in batches, deliver them outside any transaction, record the outcome.

A claim is a lease (``claimed_until``) taken by one conditional UPDATE: on PostgreSQL its subquery
locks the rows FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint batches; on SQLite the
UPDATE runs in a BEGIN IMMEDIATE transaction, so claimers serialize. A dispatcher that dies after
claiming leaves a lease that runs out, and the prompt is claimed again within its validity: delivery is
at least once, with the prompt id as the Idempotency-Key so a receiver can drop the rare repeat.
A prompt whose validity ends before it was sent is expired, never delivered late.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import write_intent
from wellbeing.models import Device, Prompt, PromptDelivery, PromptSettings
from wellbeing.prompts.channels.webhook import DEFAULT_TIMEOUT, DeliveryResult, deliver, retry_delay
from wellbeing.prompts.devices import DISABLE_AFTER, secret_aad

LIVE = ("scheduled", "snoozed")
LEASE = timedelta(seconds=60)
WORKERS = 16

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Channel:
    """How the dispatcher reaches devices: the webhook sender and its settings (tests swap in short timeouts)."""

    keyring: Keyring
    allow_private: bool = False
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    send: Callable[..., DeliveryResult] = deliver


def payload(prompt: Prompt) -> dict[str, Any]:
    """The JSON body a device receives; a questionnaire reminder names its instrument instead of an exercise."""
    body = {"id": prompt.id, "kind": prompt.kind, "exercise_id": prompt.exercise_id, "source": prompt.source,
            "due_at": _z(prompt.due_at), "valid_until": _z(prompt.valid_until)}
    if prompt.instrument_id is not None:
        body["instrument_id"] = prompt.instrument_id
    return body


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[str]:
    """Lease up to `limit` due prompts to this dispatcher and commit; returns their ids."""
    in_call = exists().where(PromptSettings.user_id == Prompt.user_id, PromptSettings.in_call_until > now)
    due = (select(Prompt.id)
           .where(Prompt.status.in_(LIVE), Prompt.next_attempt_at <= now, Prompt.valid_until > now,
                  or_(Prompt.claimed_until.is_(None), Prompt.claimed_until <= now), ~in_call)
           .order_by(Prompt.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
    stmt = (update(Prompt).where(Prompt.id.in_(due.scalar_subquery()))
            .values(claimed_until=now + lease, attempts=Prompt.attempts + 1).returning(Prompt.id))
    with write_intent():
        ids = list(session.scalars(stmt, execution_options={"synchronize_session": False}))
        session.commit()
    return ids


def dispatch_due(session: Session, now: datetime, channel: Channel, batch_size: int = 200,
                 lease: timedelta = LEASE, max_batches: int = 50) -> dict[str, int]:
    """Deliver every due prompt, a claimed batch at a time; returns counts of sent, retried and failed deliveries."""
    counts = {"claimed": 0, "sent": 0, "retry": 0, "deliveries": 0}
    for _ in range(max_batches):
        ids = claim_due(session, now, batch_size, lease)
        if not ids:
            break
        counts["claimed"] += len(ids)
        for key, value in _deliver_batch(session, ids, now, channel).items():
            counts[key] += value
    return counts


def expire_stale(session: Session, now: datetime) -> int:
    """Expire live prompts whose validity ended unsent (a lease in progress finishes first)."""
    stmt = (update(Prompt)
            .where(Prompt.status.in_(LIVE), Prompt.valid_until <= now,
                   or_(Prompt.claimed_until.is_(None), Prompt.claimed_until <= now))
            .values(status="expired", expired_at=now, claimed_until=None))
    with write_intent():
        count = session.execute(stmt, execution_options={"synchronize_session": False}).rowcount
        session.commit()
    return count


def _deliver_batch(session: Session, ids: list[str], now: datetime, channel: Channel) -> dict[str, int]:
    prompts = session.scalars(select(Prompt).where(Prompt.id.in_(ids))).all()
    devices: dict[str, list[Device]] = {}
    for device in session.scalars(select(Device).where(
            Device.user_id.in_({p.user_id for p in prompts}), Device.disabled_at.is_(None))):
        devices.setdefault(device.user_id, []).append(device)
    jobs = [(prompt, device, channel.keyring.decrypt(device.secret_ciphertext, secret_aad(device.id)))
            for prompt in prompts for device in devices.get(prompt.user_id, [])]
    # Nothing is held open while the receivers answer: the claim is committed, this is a fresh read
    session.commit()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda job: channel.send(job[1].url, job[2], payload(job[0]), job[0].id,
                                                         channel.timeout, allow_private=channel.allow_private), jobs))
    return _record(session, prompts, devices, list(zip(jobs, results)), now)


def _record(session: Session, prompts, devices, outcomes, now: datetime) -> dict[str, int]:
    """Log every attempt and settle each prompt: a few statements per batch, not a few per prompt."""
    counts = {"sent": 0, "retry": 0, "deliveries": len(outcomes)}
    by_prompt: dict[str, list[DeliveryResult]] = {}
    log = []
    with write_intent():
        for (prompt, device, _), result in outcomes:
            by_prompt.setdefault(prompt.id, []).append(result)
            log.append({"prompt_id": prompt.id, "device_id": device.id, "attempt": prompt.attempts, "at": now,
                        "ok": result.ok, "permanent": result.permanent, "status_code": result.status,
                        "error": (result.error or "")[:200] or None})
            _note_device(device, result, now)
        if log:
            session.execute(insert(PromptDelivery), log)
        sent = []
        for prompt in prompts:
            results = by_prompt.get(prompt.id, [])
            # The in-app inbox always has it: no device, or only devices that refuse for good, still counts as sent
            if not results or any(r.ok for r in results) or all(r.permanent for r in results):
                sent.append(prompt.id)
                continue
            wait = max([retry_delay(prompt.attempts)] + [r.retry_after for r in results if r.retry_after])
            session.execute(update(Prompt).where(Prompt.id == prompt.id, Prompt.status.in_(LIVE))
                            .values(next_attempt_at=now + wait, claimed_until=None),
                            execution_options={"synchronize_session": False})
            counts["retry"] += 1
        if sent:
            # A prompt the agent dismissed meanwhile stays dismissed
            session.execute(update(Prompt).where(Prompt.id.in_(sent), Prompt.status.in_(LIVE))
                            .values(status="sent", sent_at=now, claimed_until=None),
                            execution_options={"synchronize_session": False})
            counts["sent"] += len(sent)
        session.commit()
    return counts


def _note_device(device: Device, result: DeliveryResult, now: datetime) -> None:
    """Count a device's permanent failures in a row, disabling it at the limit; a success resets the count."""
    if result.ok and device.permanent_failures == 0 or not (result.ok or result.permanent):
        return
    device.permanent_failures = 0 if result.ok else device.permanent_failures + 1
    if device.permanent_failures >= DISABLE_AFTER and device.disabled_at is None:
        device.disabled_at = now


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

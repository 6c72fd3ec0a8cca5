"""The dispatcher: claim due prompts in batches, deliver them outside any transaction, record the outcome.

A claim is a lease (``claimed_until``) taken by one conditional UPDATE: on PostgreSQL its subquery
locks the rows FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint batches; on SQLite the
UPDATE runs in a BEGIN IMMEDIATE transaction, so claimers serialize. A dispatcher that dies after
claiming leaves a lease that runs out, and the prompt is claimed again within its validity: delivery is
at least once, with the prompt id as the Idempotency-Key so a receiver can drop the rare repeat.
A prompt whose validity ends before it was sent is expired, never delivered late.

No receiver can stall it: every delivery has an overall deadline, deliveries run on a bounded pool, and a
prompt is settled as soon as its own deliveries finish while the next batch is already being claimed, so
a slow device holds back nothing but its own prompt. A device that failed for the moment while another of
the agent's devices got the prompt is retried alone (``redeliver``) within the prompt's validity.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Integer, String, and_, bindparam, case, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import UTCDateTime, new_id, write_intent
from wellbeing.models import Device, Prompt, PromptDelivery, PromptSettings, User
from wellbeing.prompts.channels.webhook import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, DeliveryResult, deliver, retry_delay
from wellbeing.prompts.devices import DISABLE_AFTER, secret_aad
from wellbeing.prompts.notification import prompt_message
from wellbeing.prompts.providers import DeviceAddress, Providers

log = logging.getLogger(__name__)

LIVE = ("scheduled", "snoozed")
LEASE = timedelta(seconds=60)
# Deliveries in flight per dispatcher process. They wait on the network, not the CPU, and a push service that
# answers slowly holds a worker until the delivery deadline: with 32, the 100 slow devices of a 10,000-prompt
# burst held the whole pool for ~30 s and the healthy deliveries queued behind them (bench/push.py: 282/s with
# 32 workers, 1,226/s with 128). PUSH_WORKERS sets it.
WORKERS = 128
# Deliveries of one user in the last hour beyond which prompts reach only the in-app inbox
MAX_PER_USER_HOUR = 60
HOUR = timedelta(hours=1)
LIMITED = "hourly delivery limit reached; the prompt is in the in-app inbox"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Channel:
    """How the dispatcher reaches devices: the webhook sender, the push providers and the limits."""

    keyring: Keyring
    allow_private: bool = False
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    send: Callable[..., DeliveryResult] = deliver
    providers: Providers = field(default_factory=Providers)
    deadline: float = DEFAULT_DEADLINE
    max_per_user_hour: int = MAX_PER_USER_HOUR
    workers: int = WORKERS

    def deliver(self, address: DeviceAddress, prompt: Prompt | None, message: dict[str, Any],
                ttl: timedelta) -> DeliveryResult:
        """One attempt to one device: the webhook gets the prompt JSON, a push channel the notification."""
        if address.channel == "webhook":
            return self.send(address.url, address.secret, payload(prompt) if prompt else message,
                             message.get("prompt_id") or f"test-{new_id()}", self.timeout,
                             allow_private=self.allow_private, deadline=self.deadline)
        return self.providers.send(address, message, ttl, timeout=self.timeout, deadline=self.deadline,
                                   allow_private=self.allow_private)


def payload(prompt: Prompt) -> dict[str, Any]:
    """The JSON body a device receives; a questionnaire reminder names its instrument instead of an exercise."""
    body = {"id": prompt.id, "kind": prompt.kind, "exercise_id": prompt.exercise_id, "source": prompt.source,
            "due_at": _z(prompt.due_at), "valid_until": _z(prompt.valid_until)}
    if prompt.instrument_id is not None:
        body["instrument_id"] = prompt.instrument_id
    return body


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta = LEASE,
              redeliveries: bool = False, claimed_at: datetime | None = None) -> list[str]:
    """Lease up to `limit` due prompts to this dispatcher and commit; returns their ids.

    With `redeliveries`, the sent prompts one of whose devices waits for a retry instead. The lease runs from
    `claimed_at` (default `now`): a run claims as its pool frees up, and a claim made a minute into the run must
    not expire a minute early, or another dispatcher would send the same prompt again.
    """
    in_call = exists().where(PromptSettings.user_id == Prompt.user_id, PromptSettings.in_call_until > now)
    which = and_(Prompt.redeliver, Prompt.status == "sent") if redeliveries else Prompt.status.in_(LIVE)
    due = (select(Prompt.id)
           .where(which, Prompt.next_attempt_at <= now, Prompt.valid_until > now,
                  or_(Prompt.claimed_until.is_(None), Prompt.claimed_until <= now), ~in_call)
           .order_by(Prompt.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
    stmt = (update(Prompt).where(Prompt.id.in_(due.scalar_subquery()))
            .values(claimed_until=(claimed_at or now) + lease, attempts=Prompt.attempts + 1).returning(Prompt.id))
    with write_intent():
        ids = list(session.scalars(stmt, execution_options={"synchronize_session": False}))
        session.commit()
    return ids


def dispatch_due(session: Session, now: datetime, channel: Channel, batch_size: int = 200,
                 lease: timedelta = LEASE, max_batches: int = 50,
                 elapsed: Callable[[], float] | None = None) -> dict[str, int]:
    """Deliver every due prompt, claiming the next batch while deliveries run; returns counts.

    `now` is the run's clock (due, valid, recorded times); each lease runs from `now` plus the seconds the run has
    taken so far (`elapsed`, a monotonic stopwatch unless a test gives one).
    """
    run = _Run(session, now, channel)
    started = time.monotonic()

    def claimed_at() -> datetime:
        return now + timedelta(seconds=elapsed() if elapsed is not None else time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=channel.workers) as pool:
        run.pool = pool
        for ids in [claim_due(session, now, batch_size, lease, redeliveries=True, claimed_at=claimed_at())]:
            run.start(ids)
        batches = 0
        while True:
            # Claim more while the pool has room: a slow delivery occupies a worker, never the loop
            while batches < max_batches and len(run.inflight) < channel.workers * 2:
                ids = claim_due(session, now, batch_size, lease, claimed_at=claimed_at())
                if not ids:
                    batches = max_batches
                    break
                batches += 1
                run.start(ids)
            if not run.inflight:
                break
            done, _ = wait(list(run.inflight), return_when=FIRST_COMPLETED)
            run.finish(done)
    return run.counts


def expire_stale(session: Session, now: datetime) -> int:
    """Expire live prompts whose validity ended unsent (a lease in progress finishes first)."""
    stmt = (update(Prompt)
            .where(Prompt.status.in_(LIVE), Prompt.valid_until <= now,
                   or_(Prompt.claimed_until.is_(None), Prompt.claimed_until <= now))
            .values(status="expired", expired_at=now, claimed_until=None))
    with write_intent():
        count = session.execute(stmt, execution_options={"synchronize_session": False}).rowcount
        # A device still waiting for a retry gets nothing once the prompt's validity is over
        session.execute(update(Prompt).where(Prompt.redeliver, Prompt.valid_until <= now)
                        .values(redeliver=False), execution_options={"synchronize_session": False})
        session.commit()
    return count


class _Run:
    """One dispatch_due call: the prompts in flight, their deliveries' futures, the counts."""

    def __init__(self, session: Session, now: datetime, channel: Channel) -> None:
        self.session, self.now, self.channel = session, now, channel
        self.pool: ThreadPoolExecutor | None = None
        self.counts = {"claimed": 0, "sent": 0, "retry": 0, "deliveries": 0}
        self.inflight: dict[Future, str] = {}
        self.waiting: dict[str, int] = {}  # prompt id -> deliveries not finished yet
        self.prompts: dict[str, Prompt] = {}
        self.outcomes: dict[str, list[tuple[DeviceAddress, DeliveryResult]]] = {}
        self.unsent: dict[str, int] = {}  # user id -> deliveries started this run, not yet recorded

    def start(self, ids: list[str]) -> None:
        self.counts["claimed"] += len(ids)
        session, now = self.session, self.now
        prompts = session.scalars(select(Prompt).where(Prompt.id.in_(ids))).all()
        users = {p.user_id for p in prompts}
        locales = dict(session.execute(select(User.id, User.locale).where(User.id.in_(users))).all())
        devices: dict[str, list[Device]] = {}
        fresh = select(Device).where(Device.user_id.in_(users), Device.disabled_at.is_(None))
        for device in session.scalars(fresh.execution_options(populate_existing=True)):
            devices.setdefault(device.user_id, []).append(device)
        done = self._already_delivered([p.id for p in prompts if p.attempts > 1])
        hour = {user: sum(d.sends_in_window for d in held if d.sends_window_at and d.sends_window_at > now - HOUR)
                for user, held in devices.items()}
        jobs, settled = [], []
        for prompt in prompts:
            self.prompts[prompt.id] = prompt
            self.outcomes[prompt.id] = []
            targets = [d for d in devices.get(prompt.user_id, []) if (prompt.id, d.id) not in done]
            used = hour.get(prompt.user_id, 0) + self.unsent.get(prompt.user_id, 0)
            if targets and used + len(targets) > self.channel.max_per_user_hour:
                limited = DeliveryResult(ok=False, permanent=True, error=LIMITED)
                self.outcomes[prompt.id] = [(DeviceAddress.of(d, ""), limited) for d in targets]
                targets = []
            if not targets:
                settled.append(prompt.id)
                continue
            self.unsent[prompt.user_id] = self.unsent.get(prompt.user_id, 0) + len(targets)
            message = prompt_message(prompt, locales.get(prompt.user_id))
            for device in targets:
                address = DeviceAddress.of(device, self.channel.keyring.decrypt(device.secret_ciphertext,
                                                                                secret_aad(device.id)))
                jobs.append((prompt, address, message))
            self.waiting[prompt.id] = len(targets)
        # Nothing is held open while the receivers answer: the claim is committed, this is a fresh read
        session.commit()
        for prompt, address, message in jobs:
            future = self.pool.submit(self._attempt, address, prompt, message)
            self.inflight[future] = prompt.id
        if settled:
            self._record(settled)

    def _attempt(self, address: DeviceAddress, prompt: Prompt, message: dict) -> tuple[DeviceAddress, DeliveryResult]:
        try:
            return address, self.channel.deliver(address, prompt, message, prompt.valid_until - self.now)
        except Exception as exc:  # a provider's bug must not take the whole run down
            log.exception("delivery to device %s failed", address.id)
            return address, DeliveryResult(ok=False, permanent=False, error=f"failed: {exc.__class__.__name__}")

    def finish(self, done: set[Future]) -> None:
        settled = []
        for future in done:
            prompt_id = self.inflight.pop(future)
            address, result = future.result()
            self.outcomes[prompt_id].append((address, result))
            self.waiting[prompt_id] -= 1
            if not self.waiting[prompt_id]:
                del self.waiting[prompt_id]
                settled.append(prompt_id)
        if settled:
            self._record(settled)

    def _already_delivered(self, prompt_ids: list[str]) -> set[tuple[str, str]]:
        if not prompt_ids:
            return set()
        rows = self.session.execute(select(PromptDelivery.prompt_id, PromptDelivery.device_id).where(
            PromptDelivery.prompt_id.in_(prompt_ids), PromptDelivery.ok)).all()
        return {(p, d) for p, d in rows}

    def _record(self, settled: list[str]) -> None:
        """Log every attempt and settle each prompt: a few statements per group, not a few per prompt."""
        session, now = self.session, self.now
        log, notes, sent, redeliver = [], {}, [], []
        with write_intent():
            for prompt_id in settled:
                prompt, outcomes = self.prompts.pop(prompt_id), self.outcomes.pop(prompt_id)
                for address, result in outcomes:
                    log.append({"prompt_id": prompt.id, "device_id": address.id, "attempt": prompt.attempts,
                                "at": now, "ok": result.ok, "permanent": result.permanent,
                                "status_code": result.status, "error": (result.error or "")[:200] or None})
                    if result.error != LIMITED:
                        _note(notes, address, result, now)
                        self.unsent[address.user_id] -= 1
                        self.counts["deliveries"] += 1
                results = [r for _, r in outcomes]
                transient = [r for r in results if not (r.ok or r.permanent)]
                if prompt.status == "sent":  # a redelivery to the devices that had failed
                    if transient:
                        self._retry_later(prompt, transient, "sent")
                    else:
                        redeliver.append(prompt.id)
                    continue
                # The in-app inbox always has it: no device, or only devices that refuse for good, still counts
                if not transient or any(r.ok for r in results):
                    sent.append(prompt.id)
                    if transient:
                        self._retry_later(prompt, transient, LIVE, redeliver=True)
                    continue
                self._retry_later(prompt, transient, LIVE)
                self.counts["retry"] += 1
            if log:
                session.execute(insert(PromptDelivery), log)
            if notes:
                # In device order: concurrent dispatchers noting the same devices lock their rows in the same order
                # (in arrival order, two of them deadlocked on PostgreSQL).
                session.connection().execute(_NOTE, [notes[key] for key in sorted(notes)])
            if redeliver:
                session.execute(update(Prompt).where(Prompt.id.in_(redeliver))
                                .values(redeliver=False, claimed_until=None),
                                execution_options={"synchronize_session": False})
            if sent:
                # A prompt the agent dismissed meanwhile stays dismissed
                session.execute(update(Prompt).where(Prompt.id.in_(sent), Prompt.status.in_(LIVE))
                                .values(status="sent", sent_at=now, claimed_until=None),
                                execution_options={"synchronize_session": False})
                self.counts["sent"] += len(sent)
            session.commit()

    def _retry_later(self, prompt: Prompt, transient: list[DeliveryResult], statuses, redeliver: bool = False):
        wait_for = max([retry_delay(prompt.attempts)] + [r.retry_after for r in transient if r.retry_after])
        values: dict[str, Any] = {"next_attempt_at": self.now + wait_for}
        if redeliver:
            values["redeliver"] = True
        else:
            values["claimed_until"] = None
        statuses = (statuses,) if isinstance(statuses, str) else statuses
        self.session.execute(update(Prompt).where(Prompt.id == prompt.id, Prompt.status.in_(statuses))
                             .values(**values), execution_options={"synchronize_session": False})


def _note(notes: dict[str, dict], address: DeviceAddress, result: DeliveryResult, now: datetime) -> None:
    """Fold one attempt into the device's pending update (several prompts to one device in one group)."""
    note = notes.setdefault(address.id, {"d_id": address.id, "d_now": now, "d_hour_ago": now - HOUR, "d_sent": 0,
                                         "d_ok": False, "d_perm": 0, "d_gone": False, "d_error": None,
                                         "d_reason": None})
    note["d_sent"] += 1
    if result.ok:
        note.update(d_ok=True, d_perm=0)
        return
    note["d_error"] = (result.error or f"HTTP {result.status}")[:200]
    if result.gone:
        note.update(d_gone=True, d_reason=note["d_error"])
    elif result.permanent:
        note["d_perm"] += 1
        note["d_reason"] = note["d_reason"] or f"{DISABLE_AFTER} permanent failures in a row: {note['d_error']}"[:200]


def _param(name: str, kind) -> Any:
    return bindparam(name, type_=kind)


_SUCCEEDED = _param("d_ok", Boolean())
_DISABLING = and_(Device.disabled_at.is_(None),
                  or_(_param("d_gone", Boolean()),
                      and_(~_SUCCEEDED, Device.permanent_failures + _param("d_perm", Integer()) >= DISABLE_AFTER)))
_NEW_WINDOW = or_(Device.sends_window_at.is_(None), Device.sends_window_at <= _param("d_hour_ago", UTCDateTime()))
# One statement for every device touched by a group of settled prompts (executemany): the SET expressions all
# read the row as it was, so concurrent dispatchers add up instead of overwriting each other.
_NOTE = (update(Device).where(Device.id == bindparam("d_id")).values(
    last_success_at=case((_SUCCEEDED, _param("d_now", UTCDateTime())), else_=Device.last_success_at),
    last_error=case((_param("d_error", String()).is_(None), Device.last_error), else_=_param("d_error", String())),
    permanent_failures=case((_SUCCEEDED, _param("d_perm", Integer())),
                            else_=Device.permanent_failures + _param("d_perm", Integer())),
    disabled_at=case((_DISABLING, _param("d_now", UTCDateTime())), else_=Device.disabled_at),
    disabled_reason=case((_DISABLING, _param("d_reason", String())), else_=Device.disabled_reason),
    sends_in_window=case((_NEW_WINDOW, _param("d_sent", Integer())),
                         else_=Device.sends_in_window + _param("d_sent", Integer())),
    sends_window_at=case((_NEW_WINDOW, _param("d_now", UTCDateTime())), else_=Device.sends_window_at),
))


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

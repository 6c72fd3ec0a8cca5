"""Writing and reading diary entries: idempotent creates, batches from offline phones, edits from two devices.

Rules (docs/diary.md):
- A create is idempotent on the client's id: the same body replays (unchanged), another body is a conflict,
  and the id of a deleted entry stays taken (a phone replaying its queue cannot bring the entry back).
- Edits carry the client's clock (`updated_at`, default: the server's now). The later edit wins; an edit
  older than the stored one is refused as a conflict that names the stored revision, so the losing phone
  can show the agent both versions. Equal clocks with different content: the edit stored first wins.
- Notes are encrypted with the data keyring, bound to the entry id; plaintext exists only in memory.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from wellbeing.core.clock import REPORTED_FUTURE, REPORTED_PAST, reported_time_error
from wellbeing.core.crypto import Keyring
from wellbeing.core.db import for_core_insert, new_id
from wellbeing.core.errors import Conflict, Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.diary import rollup, vocabulary
from wellbeing.diary.writes import insert_entries, insert_unless_deleted
from wellbeing.models import DiaryEntry, DiaryTag, DiaryTombstone, User
from wellbeing.models.diary import TAG_KINDS
from wellbeing.org.identity import SigninGuard, SigninUnconfirmed

BACKDATE_LIMIT = REPORTED_PAST
FUTURE_TOLERANCE = REPORTED_FUTURE
NOTE_MAX = 2000
BATCH_MAX = 500
VOCABULARY_KIND = {"triggers": "triggers", "signals": "signals", "coping": "coping"}
EDITABLE = ("occurred_at", "emotion", "intensity", "triggers", "signals", "stress", "coping", "note", "after_call")


def note_aad(entry_id: str) -> bytes:
    """The associated data binding a note's ciphertext to its entry (a token moved to another row fails)."""
    return f"diary_entries.note:{entry_id}".encode()


@dataclass(frozen=True)
class BatchResult:
    """One entry's outcome in a batch: created, unchanged, or error with field errors and a code."""

    id: str | None
    status: str
    entry: DiaryEntry | None = None
    errors: dict | None = None
    code: str | None = None


def check_entry(data: Mapping[str, Any], now: datetime) -> None:
    """The rules a well-formed entry must also meet: known vocabulary keys and the time window. Raises Invalid."""
    errors: dict[str, list[str]] = {}
    if "emotion" in data and not vocabulary.is_known("emotions", data["emotion"]):
        errors["emotion"] = [f"Unknown emotion {data['emotion']!r}; GET /emotions lists the keys."]
    for kind in TAG_KINDS:
        keys = data.get(kind) or []
        unknown = [key for key in keys if not vocabulary.is_known(kind, key)]
        if unknown:
            errors[kind] = [f"Unknown {kind} key(s): {', '.join(map(repr, unknown))}; GET /emotions lists the keys."]
        elif len(set(keys)) != len(keys):
            errors[kind] = ["A key may appear only once."]
    if data.get("occurred_at") is not None:
        message = _window_error(data["occurred_at"], now)
        if message:
            errors["occurred_at"] = [message]
    if data.get("updated_at") is not None and data["updated_at"] > now + FUTURE_TOLERANCE:
        errors["updated_at"] = ["Must not lie more than 5 minutes in the future (is the device clock right?)."]
    if errors:
        code = "occurred_at_out_of_range" if set(errors) == {"occurred_at"} else "invalid_entry"
        raise Invalid("The entry breaks a diary rule: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                      fields=errors, code=code)


def _window_error(moment: datetime, now: datetime) -> str | None:
    return reported_time_error(moment, now)


def _build(user: User, data: Mapping[str, Any], entry_id: str, keyring: Keyring, now: datetime,
           for_session: bool = True) -> DiaryEntry:
    """A new entry and its tags; ``for_session=False`` for the hot paths, which insert it with Core statements and
    answer from it (``for_core_insert``: no unit-of-work bookkeeping)."""
    make = (lambda cls, **values: cls(**values)) if for_session else for_core_insert
    note = data.get("note")
    return make(
        DiaryEntry, id=entry_id, user_id=user.id, occurred_at=data["occurred_at"], emotion=data["emotion"],
        valence=vocabulary.valence(data["emotion"]), intensity=data["intensity"], stress=data.get("stress"),
        after_call=bool(data.get("after_call", False)),
        note_ciphertext=keyring.encrypt(note, note_aad(entry_id)) if note else None,
        client_updated_at=data["occurred_at"], revision=1, created_at=now, updated_at=now,
        request_fingerprint=None,
        tags=[make(DiaryTag, entry_id=entry_id, kind=kind, key=key, position=position)
              for kind in TAG_KINDS for position, key in enumerate(data.get(kind) or [])],
    )


def _refuse_deleted(session: Session, entry_id: str | None) -> None:
    if entry_id is not None and session.get(DiaryTombstone, entry_id) is not None:
        raise Conflict("This entry was deleted; its id cannot be used again.", code="entry_deleted")


def create_entry(session: Session, user: User, data: Mapping[str, Any], fingerprint: str, keyring: Keyring,
                 now: datetime, signin: SigninGuard | None = None) -> tuple[DiaryEntry, bool]:
    """Store one entry, idempotent on its client id; returns (entry, created).

    ``signin``: the caller's sign-in is checked by the INSERT itself (see ``SigninGuard``); when the INSERT does
    not happen, this raises ``SigninUnconfirmed`` before anything else is read or written.
    """
    check_entry(data, now)
    entry_id = str(data["id"]) if data.get("id") else None
    entry = _build(user, data, entry_id or new_id(), keyring, now, for_session=False)
    entry.request_fingerprint = fingerprint
    tz = ZoneInfo(user.timezone)
    # The hot path: one guarded INSERT tells a new id (stored) from a deleted one (nothing inserted); a stored
    # id fails on the primary key and is then answered like a replay (or a race lost to a concurrent create).
    stored = insert_unless_deleted(session, entry, tz, signin)
    if stored:
        return entry, True
    if stored is None:
        if signin is not None:
            raise SigninUnconfirmed()
        raise Conflict("This entry was deleted; its id cannot be used again.", code="entry_deleted")
    return create_once(session, DiaryEntry, entry_id, fingerprint,
                       lambda: _build(user, data, entry_id or new_id(), keyring, now),
                       lambda existing: existing.user_id == user.id,
                       after=lambda created: rollup.apply(session, user.id, rollup.entry_contribution(created, tz),
                                                          tz, now))


def create_batch(session: Session, user: User, items: list[tuple[Mapping[str, Any] | None, str | None, dict | None]],
                 keyring: Keyring, now: datetime) -> list[BatchResult]:
    """Store a batch; each item is (parsed entry, fingerprint, schema errors). Good entries never fail with bad ones.

    The new entries go in with one flush; if a concurrent request inserted one of the ids meanwhile, the
    batch falls back to one transaction per entry, which answers that entry like a replay.
    """
    results: list[BatchResult | None] = [None] * len(items)
    ids = [str(data["id"]) if data and data.get("id") else None for data, _, _ in items]
    repeated = {i for i in ids if i is not None and ids.count(i) > 1}
    fresh: list[tuple[int, DiaryEntry]] = []
    known = _known_ids(session, [i for i in ids if i is not None])
    for position, ((data, fingerprint, schema_errors), entry_id) in enumerate(zip(items, ids)):
        if schema_errors is not None:
            results[position] = BatchResult(entry_id, "error", errors=schema_errors, code="invalid_entry")
            continue
        if entry_id in repeated:
            results[position] = BatchResult(entry_id, "error", errors={"id": ["Appears more than once in this batch."]},
                                            code="duplicate_id_in_batch")
            continue
        try:
            check_entry(data, now)
            if entry_id in known:
                results[position] = _replayed(session, user, entry_id, fingerprint)
                continue
        except (Invalid, Conflict) as error:
            results[position] = BatchResult(entry_id, "error", errors=error.fields, code=error.code)
            continue
        entry = _build(user, data, entry_id or new_id(), keyring, now, for_session=False)
        entry.request_fingerprint = fingerprint
        fresh.append((position, entry))
    _insert_fresh(session, user, fresh, items, results, keyring, now)
    return [result for result in results if result is not None]


def _known_ids(session: Session, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    stored = session.scalars(select(DiaryEntry.id).where(DiaryEntry.id.in_(ids))).all()
    deleted = session.scalars(select(DiaryTombstone.id).where(DiaryTombstone.id.in_(ids))).all()
    return set(stored) | set(deleted)


def _replayed(session: Session, user: User, entry_id: str, fingerprint: str) -> BatchResult:
    _refuse_deleted(session, entry_id)
    existing = session.get(DiaryEntry, entry_id)
    if existing is None or existing.user_id != user.id or existing.request_fingerprint != fingerprint:
        raise Conflict("This id was already used for a different request.", code="id_conflict")
    return BatchResult(entry_id, "unchanged", entry=existing)


def _insert_fresh(session: Session, user: User, fresh: list[tuple[int, DiaryEntry]], items, results,
                  keyring: Keyring, now: datetime) -> None:
    if not fresh:
        return
    if insert_entries(session, [entry for _, entry in fresh], ZoneInfo(user.timezone)):
        for position, entry in fresh:
            results[position] = BatchResult(entry.id, "created", entry=entry)
        return
    # Someone else inserted one of these ids meanwhile: settle each entry on its own.
    for position, entry in fresh:
        data, fingerprint, _ = items[position]
        try:
            stored, was_created = create_entry(session, user, data | {"id": entry.id}, fingerprint, keyring, now)
        except (Invalid, Conflict) as error:
            results[position] = BatchResult(entry.id, "error", errors=error.fields, code=error.code)
        else:
            results[position] = BatchResult(stored.id, "created" if was_created else "unchanged", entry=stored)


def own_entry(session: Session, user_id: str, entry_id: str) -> DiaryEntry:
    """One of the user's entries; anyone else's (or a deleted one) is NotFound."""
    entry = session.get(DiaryEntry, entry_id)
    if entry is None or entry.user_id != user_id:
        raise NotFound("No such diary entry.")
    return entry


def entries_query(user_id: str, start: datetime | None, end: datetime | None) -> Select:
    """The user's entries with occurred_at in [start, end] (either end open); paginate newest first."""
    stmt = select(DiaryEntry).where(DiaryEntry.user_id == user_id)
    if start is not None:
        stmt = stmt.where(DiaryEntry.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(DiaryEntry.occurred_at <= end)
    return stmt


def update_entry(session: Session, user: User, entry_id: str, changes: Mapping[str, Any], keyring: Keyring,
                 now: datetime) -> DiaryEntry:
    """Apply an edit under the later-edit-wins rule; a stale edit is a Conflict naming the stored revision."""
    entry = own_entry(session, user.id, entry_id)
    check_entry(changes, now)
    # Without the device's clock the edit is the latest the server knows of: it wins.
    edited_at = changes.get("updated_at") or max(now, entry.client_updated_at + timedelta(milliseconds=1))
    fields = {key: value for key, value in changes.items() if key in EDITABLE}
    if not fields:
        raise Invalid("Nothing to change: send at least one field.", fields={"_schema": ["No field to change."]},
                      code="empty_patch")
    if _same_content(entry, fields, keyring):
        return entry
    if edited_at <= entry.client_updated_at:
        raise Conflict(
            "A later edit of this entry is already stored (from another device); reload it and edit again.",
            code="edit_conflict",
            current={"revision": entry.revision, "updated_at": entry.client_updated_at.isoformat()},
        )
    tz = ZoneInfo(user.timezone)
    totals = rollup.add({}, rollup.entry_contribution(entry, tz), -1)
    _apply(entry, fields, keyring)
    rollup.add(totals, rollup.entry_contribution(entry, tz))
    entry.client_updated_at = edited_at
    entry.revision += 1
    entry.updated_at = now
    session.flush()
    rollup.apply(session, user.id, totals, tz, now)
    session.commit()
    return entry


def _same_content(entry: DiaryEntry, fields: Mapping[str, Any], keyring: Keyring) -> bool:
    for key, value in fields.items():
        current = note_text(entry, keyring) if key == "note" else getattr(entry, key)
        if key in TAG_KINDS:
            value = list(value or [])
        if current != value:
            return False
    return True


def _apply(entry: DiaryEntry, fields: Mapping[str, Any], keyring: Keyring) -> None:
    for key, value in fields.items():
        if key == "note":
            entry.note_ciphertext = keyring.encrypt(value, note_aad(entry.id)) if value else None
        elif key in TAG_KINDS:
            entry.tags = [tag for tag in entry.tags if tag.kind != key] + [
                DiaryTag(kind=key, key=tag_key, position=position) for position, tag_key in enumerate(value or [])]
        elif key == "emotion":
            entry.emotion, entry.valence = value, vocabulary.valence(value)
        else:
            setattr(entry, key, value)


def delete_entry(session: Session, user: User, entry_id: str, now: datetime) -> None:
    """Delete one of the user's entries, leaving a tombstone of its id (no content)."""
    user_id = user.id
    entry = own_entry(session, user_id, entry_id)
    tz = ZoneInfo(user.timezone)
    rollup.apply(session, user_id, rollup.add({}, rollup.entry_contribution(entry, tz), -1), tz, now)
    session.delete(entry)
    session.add(DiaryTombstone(id=entry.id, user_id=user_id, deleted_at=now))
    session.commit()


def note_text(entry: DiaryEntry, keyring: Keyring) -> str | None:
    """The entry's note in plaintext (None without one)."""
    return keyring.decrypt(entry.note_ciphertext, note_aad(entry.id)) if entry.note_ciphertext else None


_DECRYPT = object()


def entry_view(entry: DiaryEntry, keyring: Keyring, note: Any = _DECRYPT) -> dict[str, Any]:
    """An entry as its owner sees it, the note decrypted (or given: the plaintext in hand on a create)."""
    return {
        "id": entry.id, "occurred_at": entry.occurred_at, "emotion": entry.emotion, "valence": entry.valence,
        "intensity": entry.intensity, "triggers": entry.triggers, "signals": entry.signals, "stress": entry.stress,
        "coping": entry.coping, "note": note_text(entry, keyring) if note is _DECRYPT else note, "after_call": entry.after_call,
        "revision": entry.revision, "updated_at": entry.client_updated_at, "created_at": entry.created_at,
        "stored_at": entry.updated_at,
    }


def entry_views(entries: Iterable[DiaryEntry], keyring: Keyring) -> list[dict[str, Any]]:
    return [entry_view(entry, keyring) for entry in entries]

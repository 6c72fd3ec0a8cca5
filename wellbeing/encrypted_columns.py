"""Every column that holds ciphertext, and key rotation over all of them.

A feature that encrypts a column registers it in ENCRYPTED_COLUMNS with the associated data its tokens
are bound to; `rotate_keys` then re-encrypts it under the primary key with everything else. A test
checks that every column named like ``*_ciphertext`` in the schema is registered.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import TOKEN_VERSION, Keyring
from wellbeing.counseling.views import notes_aad, reason_aad
from wellbeing.diary.entries import note_aad
from wellbeing.contact_centre.recovery import settings_aad
from wellbeing.models import CounselingCase, Device, DiaryEntry, OidcConfig, RecoverySettings, ShiftFeed
from wellbeing.org.sso.config import secret_aad as client_secret_aad
from wellbeing.prompts.devices import secret_aad
from wellbeing.shifts.feeds import feed_aad


@dataclass(frozen=True)
class EncryptedColumn:
    """A text column of AES-GCM tokens and the associated data of a row's token."""

    model: Any
    column: str
    aad: Callable[[Any], bytes]

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.column}"


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(DiaryEntry, "note_ciphertext", lambda row: note_aad(row.id)),
    EncryptedColumn(CounselingCase, "reason_ciphertext", lambda row: reason_aad(row.id)),
    EncryptedColumn(CounselingCase, "hr_notes_ciphertext", lambda row: notes_aad(row.id)),
    EncryptedColumn(Device, "secret_ciphertext", lambda row: secret_aad(row.id)),
    EncryptedColumn(ShiftFeed, "url_ciphertext", lambda row: feed_aad(row.id)),
    EncryptedColumn(RecoverySettings, "secret_ciphertext", lambda row: settings_aad(row.org_id)),
    EncryptedColumn(OidcConfig, "client_secret_ciphertext", lambda row: client_secret_aad(row.id)),
)


def rotate_keys(session: Session, keyring: Keyring, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every token not under the primary key, a committed batch at a time; returns rows per column.

    Safe to interrupt and run again: a batch is committed whole, and rows already under the primary key
    are skipped. Old keys must stay in DATA_KEYS until this has finished.
    """
    current = f"{TOKEN_VERSION}.{keyring.primary}.%"
    counts: dict[str, int] = {}
    for spec in ENCRYPTED_COLUMNS:
        column = getattr(spec.model, spec.column)
        pk = spec.model.__mapper__.primary_key[0]
        after = ""
        counts[spec.name] = 0
        while True:
            rows = session.scalars(select(spec.model).where(column.is_not(None), ~column.like(current), pk > after)
                                   .order_by(pk).limit(batch_size)).all()
            if not rows:
                break
            for row in rows:
                setattr(row, spec.column, keyring.rotate(getattr(row, spec.column), spec.aad(row)))
            session.commit()
            counts[spec.name] += len(rows)
            after = getattr(rows[-1], pk.key)
    return counts

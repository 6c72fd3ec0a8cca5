"""Emotion-diary entries, their vocabulary tags, and tombstones of deleted entries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wellbeing.core.clock import utcnow
from wellbeing.core.db import UTCDateTime, db, id_column_type, new_id

TAG_KINDS = ("triggers", "signals", "coping")


class DiaryEntry(db.Model):
    """One diary entry: how the agent felt, how strongly, and why. The note is stored encrypted only."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        CheckConstraint("intensity BETWEEN 1 AND 10", name="intensity_range"),
        CheckConstraint("stress IS NULL OR stress BETWEEN 0 AND 10", name="stress_range"),
        CheckConstraint("valence IN ('positive', 'neutral', 'negative')", name="valence_known"),
        Index("ix_diary_entries_user_occurred", "user_id", "occurred_at", "id"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    emotion: Mapped[str] = mapped_column(String(32))
    # The emotion's valence when written, kept beside it so insights group in SQL without the vocabulary.
    valence: Mapped[str] = mapped_column(String(8))
    intensity: Mapped[int] = mapped_column(SmallInteger)
    stress: Mapped[int | None] = mapped_column(SmallInteger)
    after_call: Mapped[bool] = mapped_column(default=False)
    note_ciphertext: Mapped[str | None] = mapped_column(Text)  # AES-GCM token bound to the entry id; never plaintext
    # The client's clock at its last edit: the later edit wins (docs/diary.md, "Edits from two devices").
    client_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    tags: Mapped[list[DiaryTag]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="(DiaryTag.kind, DiaryTag.position)")

    def keys(self, kind: str) -> list[str]:
        """The entry's vocabulary keys of one kind (triggers, signals or coping), in the order given."""
        return [tag.key for tag in self.tags if tag.kind == kind]

    @property
    def triggers(self) -> list[str]:
        return self.keys("triggers")

    @property
    def signals(self) -> list[str]:
        return self.keys("signals")

    @property
    def coping(self) -> list[str]:
        return self.keys("coping")


class DiaryTag(db.Model):
    """One trigger, signal or coping key of an entry: a row each, so insights can group by it in SQL."""

    __tablename__ = "diary_tags"
    __table_args__ = (
        CheckConstraint("kind IN ('triggers', 'signals', 'coping')", name="kind_known"),
        Index("ix_diary_tags_kind_key", "kind", "key"),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("diary_entries.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)

    entry: Mapped[DiaryEntry] = relationship(back_populates="tags")


class DiaryTombstone(db.Model):
    """The id of a deleted entry, so a phone that replays its create after the delete cannot bring it back.

    It holds no content, and goes with the organization's retention period (at least 30 days, the backdating limit).
    """

    __tablename__ = "diary_tombstones"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DiaryRollup(db.Model):
    """Derived: one agent's diary summed per local day, per dimension and key, so insights read a year as a few
    thousand small rows instead of every entry with its tags (wellbeing/diary/rollup.py keeps it in step).

    ``day`` counts local days since 1970-01-01 in the agent's zone; ``dimension`` is ``day`` (key ''), ``hour``
    (the local hour '0'..'23'), ``emotion``, or a tag kind (triggers, signals, coping) with the key as ``key``.
    Every figure is an integer sum, so adding and subtracting entries never drifts.
    """

    __tablename__ = "diary_rollups"
    __table_args__ = (
        CheckConstraint("dimension IN ('day', 'hour', 'emotion', 'triggers', 'signals', 'coping')",
                        name="dimension_known"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    negatives: Mapped[int] = mapped_column(Integer)
    intensity_sum: Mapped[int] = mapped_column(Integer)
    signed_sum: Mapped[int] = mapped_column(Integer)  # intensity signed by valence (neutral counts 0)
    stress_sum: Mapped[int] = mapped_column(Integer)
    stress_count: Mapped[int] = mapped_column(Integer)  # entries with a stress value

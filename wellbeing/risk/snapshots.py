"""Burnout-risk snapshots: gather an agent's latest scores, run the model, keep each result that changed.

A snapshot holds from its computed_at until the agent's next one, so the risk "as of" any moment is the
latest snapshot at or before it. An unchanged result adds no row (the periodic recomputation would
otherwise add one per agent per run).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wellbeing.core.db import write_intent
from wellbeing.diary.insights import risk_signals
from wellbeing.diary.signals import DIARY_DAYS
from wellbeing.models import Assessment, DiaryEntry, RiskSnapshot, User
from wellbeing.risk.model import (
    LOOKBACK,
    MODEL_VERSION,
    SCREENING_NOTICE,
    DiarySignals,
    Phq4Screen,
    RiskInputs,
    RiskResult,
    TimedScore,
    compute_risk,
)

# The stored scale that feeds each questionnaire input of the model.
SCALE_INPUTS = {
    ("cbi", "work"): "cbi_work",
    ("cbi", "client"): "cbi_client",
    ("pss10", "total"): "pss10",
    ("who5", "percent"): "who5_percent",
    ("burnout1", "score"): "burnout1",
    ("brs", "mean"): "brs_mean",
}
PHQ4 = "phq4"
MODEL_INSTRUMENTS = frozenset({instrument for instrument, _ in SCALE_INPUTS} | {PHQ4})
_COMPARED = ("level", "score", "unrounded_score", "factors", "flags", "confidence", "model_version", "expires_at")


@dataclass(frozen=True)
class ScoredRecord:
    """A stored questionnaire result as the model reads it."""

    assessment_id: str
    instrument_id: str
    unrounded: Mapping[str, float]
    completed_at: datetime


def diary_signals(session: Session, user_id: str, now: datetime) -> DiarySignals | None:
    """The diary half of the model's inputs (the last DIARY_DAYS days), grouped in SQL."""
    return risk_signals(session, user_id, now)


def gather_inputs(records: Iterable[ScoredRecord], diary: DiarySignals | None) -> tuple[RiskInputs, dict[str, Any]]:
    """The latest score of each model input (each scale on its own) and a summary of where each came from."""
    chosen: dict[str, tuple[ScoredRecord, Any]] = {}
    for record in sorted(records, key=lambda r: (r.completed_at, r.assessment_id), reverse=True):
        for (instrument_id, scale), name in SCALE_INPUTS.items():
            if record.instrument_id == instrument_id and scale in record.unrounded and name not in chosen:
                chosen[name] = (record, TimedScore(record.unrounded[scale], record.completed_at))
        if record.instrument_id == PHQ4 and PHQ4 not in chosen and {"anxiety", "depression"} <= set(record.unrounded):
            screen = Phq4Screen(int(record.unrounded["anxiety"]), int(record.unrounded["depression"]), record.completed_at)
            chosen[PHQ4] = (record, screen)
    inputs = RiskInputs(**{name: value for name, (_, value) in chosen.items()}, diary=diary)
    summary: dict[str, Any] = {
        name: {"assessment_id": record.assessment_id, "completed_at": record.completed_at.isoformat()}
        | ({"value": value.value} if isinstance(value, TimedScore) else {"anxiety": value.anxiety, "depression": value.depression})
        for name, (record, value) in chosen.items()
    }
    summary["diary"] = asdict(diary) if diary is not None else None
    return inputs, summary


def snapshot_from(user_id: str, result: RiskResult, inputs_summary: dict[str, Any]) -> RiskSnapshot:
    """A (not yet stored) snapshot of a model result."""
    return RiskSnapshot(
        user_id=user_id, computed_at=result.computed_at, level=result.level, score=result.score,
        unrounded_score=result.unrounded_score, factors=[asdict(factor) for factor in result.factors],
        flags=list(result.flags), confidence=result.confidence, model_version=result.model_version,
        inputs=inputs_summary, expires_at=result.expires_at,
    )


def same_result(a: RiskSnapshot, b: RiskSnapshot) -> bool:
    """Whether two snapshots say the same (their times and inputs aside)."""
    return all(getattr(a, field) == getattr(b, field) for field in _COMPARED)


def latest_snapshot(session: Session, user_id: str) -> RiskSnapshot | None:
    """The user's newest stored snapshot."""
    return session.scalar(
        select(RiskSnapshot).where(RiskSnapshot.user_id == user_id)
        .order_by(RiskSnapshot.computed_at.desc(), RiskSnapshot.id.desc()).limit(1)
    )


def snapshot_risk(session: Session, user_id: str, now: datetime, diary: DiarySignals | None = None) -> RiskSnapshot:
    """Run the model for the user now and add a snapshot if the result changed; the caller commits.

    `diary` None reads the diary signals through diary_signals.
    """
    # Per-user lock (PostgreSQL): two results saved at once are both seen by the later computation. NO KEY
    # UPDATE, because the new result's foreign key already holds KEY SHARE on this row (FOR UPDATE would deadlock).
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    snapshot = _compute(session, user_id, now, diary)
    latest = latest_snapshot(session, user_id)
    if latest is not None and same_result(latest, snapshot):
        return latest
    session.add(snapshot)
    session.flush()
    return snapshot


def recompute_risk(session: Session, user_id: str, now: datetime, diary: DiarySignals | None = None) -> RiskSnapshot:
    """Recompute the user's burnout risk now (after new inputs, or on a schedule) and commit any new snapshot."""
    snapshot = snapshot_risk(session, user_id, now, diary)
    session.commit()
    return snapshot


def risk_report(session: Session, user_id: str, now: datetime, lang: str) -> dict[str, Any]:
    """GET /me/risk: the latest snapshot with the screening notice, unless it is no longer current.

    Without a snapshot, or when the stored one has expired (an input left its recency window) or was computed by an
    older model version, the model runs now on what exists (not stored: a read never writes; the hourly
    refresh_stale_risk job stores it): a 90-day-old CBI reads as insufficient_data, never as the old "low".
    """
    snapshot = latest_snapshot(session, user_id)
    if snapshot is None or not is_current(snapshot, now):
        snapshot = _compute(session, user_id, now, None)
    body = {field: getattr(snapshot, field) for field in (*_COMPARED, "computed_at")}
    return body | {"notice": SCREENING_NOTICE.get(lang, SCREENING_NOTICE["en"])}


def is_current(snapshot: RiskSnapshot, now: datetime) -> bool:
    """Whether a stored result still holds now: computed by this model version, and none of its inputs expired."""
    return snapshot.model_version == MODEL_VERSION and (snapshot.expires_at is None or snapshot.expires_at > now)


def refresh_stale_risk(session: Session, now: datetime, batch_size: int = 500) -> int:
    """Recompute every agent whose latest result is no longer current (expired inputs or an older model version).

    The scheduler runs it hourly, so a stale score is replaced (often by insufficient_data) within the hour and
    never carried into a trend period as if it were fresh. Returns the agents recomputed.
    """
    latest = (select(RiskSnapshot.user_id, func.max(RiskSnapshot.computed_at).label("at"))
              .group_by(RiskSnapshot.user_id).subquery())
    stale = select(RiskSnapshot.user_id).join(latest, (latest.c.user_id == RiskSnapshot.user_id)
                                              & (latest.c.at == RiskSnapshot.computed_at)).where(
        or_(RiskSnapshot.expires_at <= now, RiskSnapshot.model_version != MODEL_VERSION))
    users = sorted(set(session.scalars(stale)))
    session.commit()
    for start in range(0, len(users), batch_size):
        with write_intent():
            for user_id in users[start:start + batch_size]:
                snapshot_risk(session, user_id, now)
            session.commit()
    return len(users)


def _compute(session: Session, user_id: str, now: datetime, diary: DiarySignals | None) -> RiskSnapshot:
    records = _recent_records(session, user_id, now)
    signals = diary if diary is not None else diary_signals(session, user_id, now)
    inputs, summary = gather_inputs(records, signals)
    return snapshot_from(user_id, compute_risk(inputs, now), summary)


def _recent_records(session: Session, user_id: str, now: datetime) -> list[ScoredRecord]:
    rows = session.execute(
        select(Assessment.id, Assessment.instrument_id, Assessment.unrounded, Assessment.completed_at).where(
            Assessment.user_id == user_id,
            Assessment.instrument_id.in_(MODEL_INSTRUMENTS),
            Assessment.completed_at >= now - LOOKBACK,
        )
    )
    return [ScoredRecord(*row) for row in rows]


def refresh_diary_risk(session: Session, now: datetime) -> int:
    """Recompute the risk of every agent whose diary window changed lately (new entries, or entries ageing out).

    The model reads the last DIARY_DAYS days, so anyone with an entry in the last DIARY_DAYS + 1 days may
    have a new result; snapshot_risk stores one only when it differs. Returns the agents recomputed.
    """
    since = now - timedelta(days=DIARY_DAYS + 1)
    users = session.scalars(select(DiaryEntry.user_id).where(DiaryEntry.occurred_at >= since)
                            .group_by(DiaryEntry.user_id)).all()
    session.commit()
    with write_intent():  # each agent's read-then-write runs as a writer (SQLite: BEGIN IMMEDIATE)
        for user_id in users:
            recompute_risk(session, user_id, now)
    return len(users)

"""Demo questionnaire history that follows each demo agent's strain (see demo.agent_strain), stored with its risk snapshots."""
from __future__ import annotations

import random
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from wellbeing.assessments.catalog import DEFAULT_ENABLED, instrument_catalog
from wellbeing.assessments.instruments import Instrument
from wellbeing.assessments.scoring import score_answers
from wellbeing.core.db import new_id
from wellbeing.models import Assessment, RiskSnapshot

# How strongly strain shows in each default instrument's answers: burnout measures track it closely, the
# depression/anxiety screen much less (most strained agents are not depressed). All three are scored so that
# a higher option value means more burden, apart from their reverse items, which _answers turns round.
SENSITIVITY = {"cbi": 1.0, "burnout1": 0.9, "phq4": 0.45}
RESPONSE_RATE = 0.85  # share of due questionnaires an agent actually answers
ANSWER_NOISE = 0.15  # standard deviation of one answer around the agent's level (0..1 scale)
BATCH = 5_000


SnapshotRows = Callable[[str, list[dict[str, Any]], datetime], list[dict[str, Any]]]


def seed_assessment_history(session: Session, strains: Sequence[tuple[str, float]], now: datetime, months: int,
                            seed: int, snapshot_rows: SnapshotRows) -> tuple[int, int]:
    """Bulk-insert each agent's results (every recall period over `months` months) and their risk snapshots.

    `strains` pairs each agent's user id with demo.agent_strain; `snapshot_rows` (the risk feature's
    wellbeing.risk.demo.snapshot_rows) turns an agent's results into snapshot rows. Returns (results,
    snapshots) inserted.
    """
    catalog = instrument_catalog()
    instruments = [catalog[key] for key in sorted(DEFAULT_ENABLED)]
    start = now - timedelta(days=30 * months)
    results: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    totals = [0, 0]
    for position, (user_id, strain) in enumerate(strains):
        rng = random.Random(f"{seed}:assessments:{position}")
        rows = sorted(_history(user_id, strain, instruments, start, now, rng), key=lambda row: row["completed_at"])
        results += rows
        snapshots += snapshot_rows(user_id, rows, now)
        if len(results) >= BATCH:
            _flush(session, results, snapshots, totals)
    _flush(session, results, snapshots, totals)
    session.commit()
    return totals[0], totals[1]


def _history(user_id: str, strain: float, instruments: list[Instrument], start: datetime, now: datetime,
             rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for instrument in instruments:
        level = strain * SENSITIVITY[instrument.id]
        moment = start + timedelta(days=rng.uniform(0, instrument.recall_days))
        while moment < now:
            if rng.random() < RESPONSE_RATE:
                rows.append(_result(user_id, instrument, _answers(instrument, level, rng), moment))
            # About once a recall period, never sooner than the instrument's minimum interval (as the API enforces).
            moment += timedelta(days=max(instrument.recall_days + rng.uniform(-2, 2), instrument.min_interval_days))
    return rows


def _answers(instrument: Instrument, level: float, rng: random.Random) -> dict[str, int]:
    """One answer per item near `level` (0 = least burden, 1 = most); reverse items are answered the other way."""
    reversed_items = set().union(*(scale.reverse_items for scale in instrument.scales.values()))
    answers = {}
    for item in instrument.items:
        values = sorted(item.values)
        latent = min(1.0, max(0.0, rng.gauss(level, ANSWER_NOISE)))
        index = round(latent * (len(values) - 1))
        answers[item.id] = values[len(values) - 1 - index] if item.id in reversed_items else values[index]
    return answers


def _result(user_id: str, instrument: Instrument, answers: dict[str, int], at: datetime) -> dict[str, Any]:
    result = score_answers(instrument, answers)
    return {
        "id": new_id(), "user_id": user_id, "instrument_id": instrument.id, "instrument_version": result.instrument_version,
        "answers": answers, "scores": result.scores, "unrounded": result.unrounded, "bands": result.bands,
        "alerts": [asdict(alert) for alert in result.alerts], "completed_at": at, "created_at": at,
        "support_offered_at": at if result.alerts else None,
    }


def _flush(session: Session, results: list[dict[str, Any]], snapshots: list[dict[str, Any]], totals: list[int]) -> None:
    if results:
        session.execute(insert(Assessment), results)
    if snapshots:
        session.execute(insert(RiskSnapshot), snapshots)
    totals[0] += len(results)
    totals[1] += len(snapshots)
    results.clear()
    snapshots.clear()

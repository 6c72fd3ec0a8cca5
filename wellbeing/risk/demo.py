"""Demo risk snapshots: the ones the risk model would have stored after each demo questionnaire result."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from wellbeing.models import RiskSnapshot
from wellbeing.risk.model import compute_risk
from wellbeing.risk.snapshots import ScoredRecord, gather_inputs, same_result, snapshot_from


def snapshot_rows(user_id: str, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The snapshots recompute_risk would have stored after each result, and once more now."""
    records = [ScoredRecord(row["id"], row["instrument_id"], row["unrounded"], row["completed_at"]) for row in rows]
    stored, latest = [], None
    for count, moment in enumerate([*(record.completed_at for record in records), now]):
        inputs, summary = gather_inputs(records[:count + 1], None)
        snapshot = snapshot_from(user_id, compute_risk(inputs, moment), summary)
        if latest is None or not same_result(latest, snapshot):
            stored.append(snapshot)
            latest = snapshot
    columns = [column.key for column in RiskSnapshot.__table__.columns if column.key != "id"]
    return [{key: getattr(snapshot, key) for key in columns} for snapshot in stored]

"""What the diary tells the burnout-risk model: the window it reads and the signals it gives."""
from __future__ import annotations

from dataclasses import dataclass

DIARY_DAYS = 14


@dataclass(frozen=True)
class DiarySignals:
    """The agent's diary over the DIARY_DAYS days before `now`."""

    entry_count: int
    negative_share: float  # 0..1, entries with a negative emotion
    mean_negative_intensity: float | None  # 1..10 over negative entries; None when there were none
    tough_call_triggers: int  # entries tagged customer_complaint or abusive_customer

"""Burnout-risk model heuristic-blend-v2: a versioned screening indicator, not a diagnosis (docs/risk-model.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Callable, Collection, Iterable

from wellbeing.core.numbers import round_half_up
from wellbeing.diary.signals import DIARY_DAYS, DiarySignals

# v2 (2026-12): a fresh CBI work or client scale in its "high" band (>= 50) makes the level at least moderate.
# Stored results keep the version they were computed with.
MODEL_VERSION = "heuristic-blend-v2"
# One line on every result screen: what the number is, and that it is the agent's alone.
SCREENING_NOTICE = {
    "en": "A screening indicator for your own self-care, not a diagnosis. Only you can see it.",
    "zh-CN": "这是供您自我关照的筛查指标，不是诊断。只有您本人可以看到。",
}

# Nominal weights (sum 1). A missing or stale input's weight is shared out proportionally among the others.
# Arbitrary until validated against sick leave and turnover intent; see docs/risk-model.md.
WEIGHTS = {
    "cbi_occupational": Fraction("0.50"),
    "pss10": Fraction("0.15"),
    "who5": Fraction("0.15"),
    "burnout1": Fraction("0.05"),
    "brs": Fraction("0.05"),
    "diary_negative_share": Fraction("0.05"),
    "diary_negative_intensity": Fraction("0.03"),
    "diary_tough_calls": Fraction("0.02"),
}
LEVELS = ((Fraction(90), "very_high"), (Fraction(75), "high"), (Fraction(50), "moderate"))
VERY_HIGH_CBI = 75  # with burnout1 at or over VERY_HIGH_BURNOUT1: very_high whatever the score
HIGH_BAND_CBI = 50  # the CBI's own "high" band: a fresh scale there is never reported as low
VERY_HIGH_BURNOUT1 = 4
PHQ4_POSITIVE = 3  # published GAD-2 / PHQ-2 screening cut-off
PHQ4_WINDOW_DAYS = 21
MIN_DIARY_ENTRIES = 3
TOUGH_CALL_TRIGGERS = frozenset({"customer_complaint", "abusive_customer"})


@dataclass(frozen=True)
class TimedScore:
    value: float  # the unrounded scale score
    completed_at: datetime


@dataclass(frozen=True)
class Phq4Screen:
    anxiety: int
    depression: int
    completed_at: datetime


@dataclass(frozen=True)
class DiaryPoint:
    occurred_at: datetime
    negative: bool
    intensity: int
    triggers: Collection[str] = ()


@dataclass(frozen=True)
class RiskInputs:
    """Each agent's latest score per scale; stale ones are ignored by compute_risk, so pass them as they are."""

    cbi_work: TimedScore | None = None
    cbi_client: TimedScore | None = None
    pss10: TimedScore | None = None
    who5_percent: TimedScore | None = None
    burnout1: TimedScore | None = None
    brs_mean: TimedScore | None = None
    phq4: Phq4Screen | None = None
    diary: DiarySignals | None = None


@dataclass(frozen=True)
class RiskFactor:
    name: str
    value: float  # risk points 0..100 (higher = more risk), one decimal
    weight: float  # effective weight after redistribution; the weights of a result sum to 1
    input_value: float  # the input as given (scale score, share, count)


@dataclass(frozen=True)
class RiskResult:
    level: str  # low | moderate | high | very_high | insufficient_data
    score: float | None  # 0..100, one decimal; None when insufficient_data
    unrounded_score: float | None
    factors: tuple[RiskFactor, ...]
    model_version: str
    confidence: float  # share of the nominal weight that had fresh data, 0..1
    flags: tuple[str, ...]  # clinical screen flags (PHQ-4), never part of the score, never for supervisors
    computed_at: datetime
    # When the first timed input the result used leaves its recency window: the result is current until then.
    # None when no timed input was used (an insufficient_data result without flags).
    expires_at: datetime | None = None


@dataclass(frozen=True)
class _Timed:
    name: str
    fields: tuple[str, ...]  # several fields: the highest fresh one counts
    window_days: int
    valid: tuple[int, int]
    points: Callable[[Fraction], Fraction]


# Recency windows: the recall or re-administration period plus a grace, so a normal rhythm never blinks an input out.
_TIMED = (
    _Timed("cbi_occupational", ("cbi_work", "cbi_client"), 35, (0, 100), lambda v: v),
    _Timed("pss10", ("pss10",), 35, (0, 40), lambda v: v * Fraction(5, 2)),
    _Timed("who5", ("who5_percent",), 21, (0, 100), lambda v: 100 - v),
    _Timed("burnout1", ("burnout1",), 21, (1, 5), lambda v: (v - 1) * 25),
    _Timed("brs", ("brs_mean",), 120, (1, 5), lambda v: (5 - v) * 25),
)
# No questionnaire score older than this can count: callers need not load anything before it.
LOOKBACK = timedelta(days=max(spec.window_days for spec in _TIMED))


def compute_risk(inputs: RiskInputs, now: datetime) -> RiskResult:
    """Screening indicator, not a diagnosis: blend recent scores and diary signals into a 0..100 level.

    Without a CBI work or client score from the last 35 days the level is insufficient_data, never low.
    PHQ-4 only raises flags; it never enters the score.
    """
    _require_aware(now)
    terms = _fresh_inputs(inputs, now) | _diary_terms(inputs.diary)
    present = sum((WEIGHTS[name] for name in terms), Fraction(0))
    flags = _phq4_flags(inputs.phq4, now)
    confidence = round_half_up(present, 2)
    expires_at = _expiry(inputs, now, bool(flags))
    if "cbi_occupational" not in terms:
        return RiskResult("insufficient_data", None, None, (), MODEL_VERSION, confidence, flags, now, expires_at)
    score = sum((WEIGHTS[name] * points for name, (_, points) in terms.items()), Fraction(0)) / present
    factors = tuple(
        RiskFactor(name, round_half_up(points, 1), round_half_up(WEIGHTS[name] / present, 4), float(value))
        for name, (value, points) in terms.items()
    )
    burnout1 = terms.get("burnout1", (None, None))[0]
    level = _level(score, terms["cbi_occupational"][0], burnout1)
    return RiskResult(level, round_half_up(score, 1), float(score), factors, MODEL_VERSION, confidence, flags, now,
                      expires_at)


def _expiry(inputs: RiskInputs, now: datetime, flagged: bool) -> datetime | None:
    """The first moment a timed input used now (a fresh score, or a PHQ-4 that raised a flag) ages out."""
    ends = [timed.completed_at + timedelta(days=spec.window_days) for spec in _TIMED for field in spec.fields
            if (timed := getattr(inputs, field)) is not None and _fresh(spec, timed, now) is not None]
    if flagged:
        ends.append(inputs.phq4.completed_at + timedelta(days=PHQ4_WINDOW_DAYS))
    return min(ends, default=None)


def _fresh_inputs(inputs: RiskInputs, now: datetime) -> dict[str, tuple[Fraction, Fraction]]:
    """(input value, risk points) per timed input that is inside its recency window."""
    terms = {}
    for spec in _TIMED:
        values = [_fresh(spec, getattr(inputs, field), now) for field in spec.fields]
        fresh = [value for value in values if value is not None]
        if fresh:
            terms[spec.name] = (max(fresh), spec.points(max(fresh)))
    return terms


def _fresh(spec: _Timed, timed: TimedScore | None, now: datetime) -> Fraction | None:
    if timed is None:
        return None
    _require_aware(timed.completed_at)
    value = _in_range(spec.name, timed.value, *spec.valid)
    return value if now - timed.completed_at <= timedelta(days=spec.window_days) else None


def _diary_terms(diary: DiarySignals | None) -> dict[str, tuple[Fraction, Fraction]]:
    if diary is None:
        return {}
    entries = diary.entry_count
    if entries < 0 or diary.tough_call_triggers < 0:
        raise ValueError("diary counts must not be negative")
    if entries < MIN_DIARY_ENTRIES:
        return {}
    share = _in_range("negative_share", diary.negative_share, 0, 1)
    if diary.mean_negative_intensity is None:
        intensity, intensity_points = Fraction(0), Fraction(0)
    else:
        intensity = _in_range("mean_negative_intensity", diary.mean_negative_intensity, 1, 10)
        intensity_points = (intensity - 1) * Fraction(100, 9)
    tough = Fraction(diary.tough_call_triggers)
    return {
        "diary_negative_share": (share, share * 100),
        "diary_negative_intensity": (intensity, intensity_points),
        "diary_tough_calls": (tough, min(Fraction(1), tough / entries) * 100),
    }


def _phq4_flags(phq4: Phq4Screen | None, now: datetime) -> tuple[str, ...]:
    if phq4 is None:
        return ()
    _require_aware(phq4.completed_at)
    anxiety = _in_range("phq4 anxiety", phq4.anxiety, 0, 6)
    depression = _in_range("phq4 depression", phq4.depression, 0, 6)
    if now - phq4.completed_at > timedelta(days=PHQ4_WINDOW_DAYS):
        return ()
    flags = [("phq4_anxiety_positive", anxiety), ("phq4_depression_positive", depression)]
    return tuple(flag for flag, value in flags if value >= PHQ4_POSITIVE)


def _level(score: Fraction, cbi: Fraction, burnout1: Fraction | None) -> str:
    """The level of a blended score; `cbi` is the higher fresh CBI scale (work or client)."""
    if cbi >= VERY_HIGH_CBI and burnout1 is not None and burnout1 >= VERY_HIGH_BURNOUT1:
        return "very_high"
    level = next((level for edge, level in LEVELS if score >= edge), "low")
    # Benign other inputs must not pull a burnout score in the CBI's high band down to "low" (CBI 55 gave 32.4).
    return "moderate" if level == "low" and cbi >= HIGH_BAND_CBI else level


def _in_range(name: str, value: float, low: int, high: int) -> Fraction:
    if isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be within {low}..{high}, got {value!r}")
    return Fraction(value)


def _require_aware(moment: datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")


def summarize_diary(entries: Iterable[DiaryPoint], now: datetime) -> DiarySignals:
    """Diary signals over the DIARY_DAYS days up to now (entries after now are left out)."""
    _require_aware(now)
    start = now - timedelta(days=DIARY_DAYS)
    recent = [entry for entry in entries if start < entry.occurred_at <= now]
    negative = [entry.intensity for entry in recent if entry.negative]
    return DiarySignals(
        entry_count=len(recent),
        negative_share=len(negative) / len(recent) if recent else 0.0,
        mean_negative_intensity=sum(negative) / len(negative) if negative else None,
        tough_call_triggers=sum(1 for entry in recent if TOUGH_CALL_TRIGGERS & set(entry.triggers)),
    )

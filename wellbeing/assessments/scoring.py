"""Score questionnaire answers exactly as the instrument file says: reversals, sums, means, scaling, bands, alerts."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from wellbeing.assessments.instruments import Instrument, Item, Scale
from wellbeing.core.errors import Invalid
from wellbeing.core.numbers import round_half_up

MISSING = "an answer is required"
UNKNOWN = "unknown item"


class AnswerError(Invalid):
    """Answers that cannot be scored; `errors` maps each offending item id (or "answers") to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("Some answers cannot be scored.", fields=errors, code="invalid_answers")

    @property
    def errors(self) -> dict[str, list[str]]:
        """The per-item messages under the scorer's own name for them (what callers of score_answers read)."""
        return self.fields


@dataclass(frozen=True)
class Alert:
    """An alert rule that fired: what to show (kind) and the value that fired it."""

    rule_id: str
    kind: str  # "signpost" or "crisis"
    on: str  # "scale" or "item"
    target: str
    value: float
    op: str
    threshold: float


@dataclass(frozen=True)
class ScoreResult:
    """Scores per scale; a scale short of its missing-data minimum is absent from every dict."""

    instrument_id: str
    instrument_version: str
    scores: dict[str, int | float]  # rounded half up to the scale's display_decimals
    unrounded: dict[str, float]
    bands: dict[str, str]  # scales without bands are absent
    alerts: tuple[Alert, ...]


def score_answers(instrument: Instrument, answers: Mapping[str, int | None]) -> ScoreResult:
    """Score one questionnaire response; raise AnswerError for unknown items, invalid values or missing answers.

    `answers` maps item ids to option values as given (never pre-reversed); None means unanswered.
    Bands and alerts are decided on the exact unrounded score.
    """
    given = _validated(instrument, answers)
    exact = {}
    for scale in instrument.scales.values():
        value = _scale_value(instrument, scale, given)
        if value is not None:
            exact[scale.name] = value
    if not exact:
        raise AnswerError({"answers": ["too few answers to score any scale"]})
    bands = {name: band for name, value in exact.items() if (band := instrument.scales[name].band_for(value))}
    return ScoreResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        scores={name: round_half_up(value, instrument.scales[name].display_decimals) for name, value in exact.items()},
        unrounded={name: float(value) for name, value in exact.items()},
        bands=bands,
        alerts=_alerts(instrument, exact, given),
    )


def _validated(instrument: Instrument, answers: Mapping[str, int | None]) -> dict[str, int]:
    items = {item.id: item for item in instrument.items}
    errors: dict[str, list[str]] = {}
    for item_id, value in answers.items():
        if item_id not in items:
            errors[item_id] = [UNKNOWN]
        elif value is not None and not _is_option(items[item_id], value):
            errors[item_id] = [f"must be one of {', '.join(str(v) for v in sorted(items[item_id].values))}"]
    if instrument.required == "all":
        for item_id in items:
            if answers.get(item_id) is None:
                errors[item_id] = [MISSING]
    if errors:
        raise AnswerError(errors)
    return {item_id: value for item_id, value in answers.items() if value is not None}


def _is_option(item: Item, value: object) -> bool:
    # bool is an int in Python, but true is not an option value.
    return isinstance(value, int) and not isinstance(value, bool) and value in item.values


def _scale_value(instrument: Instrument, scale: Scale, given: dict[str, int]) -> Fraction | None:
    """The exact score, or None when fewer items are answered than the scale's published minimum."""
    items = {item.id: item for item in instrument.items}
    answered = [item_id for item_id in scale.items if item_id in given]
    if len(answered) < scale.min_answered:
        return None
    scored = [
        items[item_id].reversed(given[item_id]) if item_id in scale.reverse_items else given[item_id]
        for item_id in answered
    ]
    return scale.formula.apply(scored)


def _alerts(instrument: Instrument, exact: dict[str, Fraction], given: dict[str, int]) -> tuple[Alert, ...]:
    fired = []
    for rule in instrument.alerts:
        value = exact.get(rule.target) if rule.on == "scale" else given.get(rule.target)
        if value is not None and rule.fires(Fraction(value)):
            fired.append(Alert(rule.id, rule.kind, rule.on, rule.target, float(value), rule.op, float(rule.value)))
    return tuple(fired)


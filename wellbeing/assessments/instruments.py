"""Questionnaire instruments as data: load and check the survey files, localize them, hint when one is due."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from wellbeing.core.language import DEFAULT_LANGUAGE, resolve_language

SURVEYS_DIR = Path(__file__).resolve().parents[2] / "surveys"
SCHEMA_PATH = SURVEYS_DIR / "instrument.schema.json"

Localized = dict[str, str]
_INTERVAL = re.compile(r"^([\[(])(-?[0-9.]+), (-?[0-9.]+)([\])])$")


class InstrumentFileError(ValueError):
    """A survey file that is not valid JSON, breaks the schema or contradicts itself."""

    def __init__(self, file: Path, json_path: str, message: str) -> None:
        super().__init__(f"{file.name}: {json_path}: {message}")
        self.file = file
        self.json_path = json_path


@dataclass(frozen=True)
class Option:
    value: int
    label: Localized


@dataclass(frozen=True)
class Item:
    id: str
    text: Localized
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    def reversed(self, answer: int) -> int:
        """Reverse-score an answer: lowest + highest option value - answer."""
        return min(self.values) + max(self.values) - answer


@dataclass(frozen=True)
class Band:
    key: str
    label: Localized
    lower: Fraction
    lower_closed: bool
    upper: Fraction
    upper_closed: bool

    def contains(self, value: Fraction) -> bool:
        above = value >= self.lower if self.lower_closed else value > self.lower
        below = value <= self.upper if self.upper_closed else value < self.upper
        return above and below


@dataclass(frozen=True)
class Formula:
    aggregate: str  # "sum" or "mean" of the scored items
    multiplier: Fraction = Fraction(1)
    offset: Fraction = Fraction(0)

    def apply(self, scored: list[int]) -> Fraction:
        base = Fraction(sum(scored))
        if self.aggregate == "mean":
            base /= len(scored)
        return base * self.multiplier + self.offset


@dataclass(frozen=True)
class Scale:
    name: str
    items: tuple[str, ...]
    reverse_items: frozenset[str]
    formula: Formula
    min_answered: int
    display_decimals: int
    bands: tuple[Band, ...]
    bands_source: str | None
    bands_informal: bool

    def band_for(self, value: Fraction) -> str | None:
        return next((band.key for band in self.bands if band.contains(value)), None)


@dataclass(frozen=True)
class AlertRule:
    id: str
    on: str  # "scale" or "item"
    target: str
    op: str  # ">=" or "<="
    value: Fraction
    kind: str  # "signpost" or "crisis"

    def fires(self, value: Fraction) -> bool:
        return value >= self.value if self.op == ">=" else value <= self.value


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    name: Localized
    instructions: Localized
    recall_text: Localized
    recall_days: int
    recall_published: bool
    min_interval_days: int
    reminder_days: int  # default retake rhythm; an organization may override it (catalog.reminder_rhythm)
    required: str  # "all" or "per_scale_minimum"
    items: tuple[Item, ...]
    scales: dict[str, Scale]
    alerts: tuple[AlertRule, ...]
    license: dict[str, Any]
    citation: str
    translation: dict[str, Any]
    notes: str | None = None


def load_catalog(directory: Path = SURVEYS_DIR) -> dict[str, Instrument]:
    """Load every instrument file in a directory, keyed by id; raise InstrumentFileError on the first bad file."""
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    catalog = {}
    for path in sorted(directory.glob("*.json")):
        if not path.name.endswith(".schema.json"):
            instrument = _load_file(path, validator)
            catalog[instrument.id] = instrument
    return catalog


def _load_file(path: Path, validator: Draft202012Validator) -> Instrument:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstrumentFileError(path, "$", f"not valid JSON: {exc}") from exc
    error = best_match(validator.iter_errors(doc))
    if error is not None:
        raise InstrumentFileError(path, error.json_path, error.message)
    # The checks run in order and stop at the first problem, so each may rely on the ones before it.
    problem = next(_semantic_problems(doc, path.stem), None)
    if problem is not None:
        raise InstrumentFileError(path, *problem)
    return _build(doc)


def _semantic_problems(doc: dict[str, Any], stem: str) -> Iterator[tuple[str, str]]:
    """What the schema cannot say: ids, cross references, missing-data rules, band coverage, alert targets."""
    if doc["id"] != stem:
        yield "$.id", f"{doc['id']!r} must equal the file name {stem!r}"
    sets = doc["option_sets"]
    for name, options in sets.items():
        values = [option["value"] for option in options]
        if len(set(values)) != len(values):
            yield f"$.option_sets.{name}", "option values must be unique"
    if doc["default_option_set"] not in sets:
        yield "$.default_option_set", f"unknown option set {doc['default_option_set']!r}"
    for index, item in enumerate(doc["items"]):
        if item["id"] != str(index + 1):
            yield f"$.items[{index}].id", f"expected {str(index + 1)!r}: ids are 1, 2, ... in published order"
        if item.get("option_set", doc["default_option_set"]) not in sets:
            yield f"$.items[{index}].option_set", f"unknown option set {item['option_set']!r}"
    scored: set[str] = set()
    for name, scale in doc["scales"].items():
        yield from _scale_problems(doc, name, scale)
        scored.update(scale["items"])
    for index, item in enumerate(doc["items"]):
        if item["id"] not in scored:
            yield f"$.items[{index}]", "item belongs to no scale, so it would never be scored"
    for index, rule in enumerate(doc["alerts"]):
        known = doc["scales"] if rule["on"] == "scale" else {item["id"] for item in doc["items"]}
        if rule["target"] not in known:
            yield f"$.alerts[{index}].target", f"unknown {rule['on']} {rule['target']!r}"
    if doc["required"] == "all" and any(s["missing"]["rule"] != "all_required" for s in doc["scales"].values()):
        yield "$.required", "'all' contradicts a scale with a min_answered rule"
    if doc["min_interval_days"] > doc["recall_period"]["days"]:
        yield "$.min_interval_days", "exceeds recall_period.days: the instrument would be due before it may be answered"
    if doc["reminder_days"] < doc["min_interval_days"]:
        yield "$.reminder_days", "is shorter than min_interval_days: the reminder would ask for a retake that is refused"


def _scale_problems(doc: dict[str, Any], name: str, scale: dict[str, Any]) -> Iterator[tuple[str, str]]:
    at = f"$.scales.{name}"
    item_ids = {item["id"] for item in doc["items"]}
    for index, item_id in enumerate(scale["items"]):
        if item_id not in item_ids:
            yield f"{at}.items[{index}]", f"unknown item {item_id!r}"
    for index, item_id in enumerate(scale["reverse_items"]):
        if item_id not in scale["items"]:
            yield f"{at}.reverse_items[{index}]", f"reverse item {item_id!r} is not in the scale's items"
    missing, formula = scale["missing"], scale["formula"]
    if missing["rule"] == "min_answered":
        if missing["min"] > len(scale["items"]):
            yield f"{at}.missing.min", f"{missing['min']} exceeds the scale's {len(scale['items'])} items"
        # A sum over fewer items is not comparable with a full sum, so partial answers need a mean.
        if formula.get("of", formula["type"]) == "sum" and missing["min"] < len(scale["items"]):
            yield f"{at}.missing", "a sum cannot be scored from some of its items; use a mean or all_required"
    if "bands" in scale:
        yield from _band_problems(doc, at, scale)


def _band_problems(doc: dict[str, Any], at: str, scale: dict[str, Any]) -> Iterator[tuple[str, str]]:
    low, high = _scale_range(doc, scale)
    ranges = scale["bands"]["ranges"]
    keys = [entry["key"] for entry in ranges]
    if len(set(keys)) != len(keys):
        yield f"{at}.bands.ranges", "band keys must be unique"
    bands = [_band(entry) for entry in ranges]
    for index, band in enumerate(bands):
        where = f"{at}.bands.ranges[{index}].interval"
        if band.lower > band.upper or (band.lower == band.upper and not (band.lower_closed and band.upper_closed)):
            yield where, "empty interval: edges out of order"
        elif index == 0 and (band.lower != low or not band.lower_closed):
            yield where, f"first band must start at the scale minimum, closed: [{float(low):g}, ..."
        elif index > 0 and (band.lower != bands[index - 1].upper or band.lower_closed == bands[index - 1].upper_closed):
            yield where, "must start where the previous band ends, with exactly one of them including the edge"
    if bands and (bands[-1].upper != high or not bands[-1].upper_closed):
        where = f"{at}.bands.ranges[{len(bands) - 1}].interval"
        yield where, f"last band must end at the scale maximum, closed: ..., {float(high):g}]"


def _scale_range(doc: dict[str, Any], scale: dict[str, Any]) -> tuple[Fraction, Fraction]:
    """Lowest and highest score the scale can take; reversing an item keeps its range."""
    values = {item["id"]: [option["value"] for option in _options_of(doc, item)] for item in doc["items"]}
    lows = sorted(min(values[item_id]) for item_id in scale["items"])
    highs = sorted(max(values[item_id]) for item_id in scale["items"])
    # The extremes come from the fewest answers allowed, taken from the lowest (highest) items.
    fewest = scale["missing"]["min"] if scale["missing"]["rule"] == "min_answered" else len(lows)
    formula = _formula(scale["formula"])
    ends = (formula.apply(lows[:fewest]), formula.apply(highs[len(highs) - fewest:]))
    return min(ends), max(ends)


def _options_of(doc: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["option_sets"][item.get("option_set", doc["default_option_set"])]


def _formula(spec: dict[str, Any]) -> Formula:
    if spec["type"] != "scaled":
        return Formula(spec["type"])
    return Formula(spec["of"], _exact(spec["multiplier"]), _exact(spec["offset"]))


def _band(entry: dict[str, Any]) -> Band:
    opening, lower, upper, closing = _INTERVAL.match(entry["interval"]).groups()
    return Band(entry["key"], entry["label"], Fraction(lower), opening == "[", Fraction(upper), closing == "]")


def _exact(number: int | float) -> Fraction:
    # Through the shortest decimal text, so 4.3 in a file means exactly 43/10, not its binary neighbour.
    return Fraction(repr(number))


def _build(doc: dict[str, Any]) -> Instrument:
    items = tuple(
        Item(item["id"], item["text"], tuple(Option(o["value"], o["label"]) for o in _options_of(doc, item)))
        for item in doc["items"]
    )
    scales = {name: _build_scale(name, spec) for name, spec in doc["scales"].items()}
    alerts = tuple(
        AlertRule(rule["id"], rule["on"], rule["target"], rule["op"], _exact(rule["value"]), rule["kind"])
        for rule in doc["alerts"]
    )
    recall = doc["recall_period"]
    return Instrument(
        doc["id"], doc["version"], doc["name"], doc["instructions"], recall["text"], recall["days"],
        recall["published"], doc["min_interval_days"], doc["reminder_days"], doc["required"], items, scales, alerts, doc["license"], doc["citation"],
        doc["translation"], doc.get("notes"),
    )


def _build_scale(name: str, spec: dict[str, Any]) -> Scale:
    missing = spec["missing"]
    bands = spec.get("bands")
    return Scale(
        name=name,
        items=tuple(spec["items"]),
        reverse_items=frozenset(spec["reverse_items"]),
        formula=_formula(spec["formula"]),
        min_answered=missing["min"] if missing["rule"] == "min_answered" else len(spec["items"]),
        display_decimals=spec["display_decimals"],
        bands=tuple(_band(entry) for entry in bands["ranges"]) if bands else (),
        bands_source=bands["source"] if bands else None,
        bands_informal=bands["informal"] if bands else False,
    )


def localize(instrument: Instrument, lang: str | None) -> dict[str, Any]:
    """The instrument in one language as plain JSON-ready data for GET /instruments/{id}."""
    lang = resolve_language(lang)
    return {
        "id": instrument.id,
        "version": instrument.version,
        "language": lang,
        "name": instrument.name[lang],
        "instructions": instrument.instructions[lang],
        "recall_period": {"text": instrument.recall_text[lang], "days": instrument.recall_days},
        "items_count": len(instrument.items),
        "items_required": instrument.required == "all",
        "items": [
            {
                "id": item.id,
                "text": item.text[lang],
                "options": [{"value": option.value, "label": option.label[lang]} for option in item.options],
            }
            for item in instrument.items
        ],
        "scales": [
            {
                "name": scale.name,
                "informal_bands": scale.bands_informal,
                "bands": [{"key": band.key, "label": band.label[lang]} for band in scale.bands],
            }
            for scale in instrument.scales.values()
        ],
        "license": dict(instrument.license),
        "citation": instrument.citation,
        "translation": _translation(instrument, lang),
    }


def _translation(instrument: Instrument, lang: str) -> dict[str, Any] | None:
    """Provenance of the text shown, for a translated language only (English is the source text)."""
    if lang == DEFAULT_LANGUAGE:
        return None
    provenance = instrument.translation[lang]
    disclaimer = provenance.get("disclaimer")
    return {"status": provenance["status"], "disclaimer": disclaimer[lang] if disclaimer else None}


def next_due(instrument: Instrument, last_completed_at: datetime | None, now: datetime) -> datetime:
    """When to offer the instrument again: a recall period after the last completion; now if never taken or overdue."""
    return _after(last_completed_at, timedelta(days=instrument.recall_days), now)


def available_from(instrument: Instrument, last_completed_at: datetime | None, now: datetime) -> datetime:
    """From when a new answer is accepted: the minimum interval after the last completion; now if that has passed."""
    return _after(last_completed_at, min_interval(instrument), now)


def min_interval(instrument: Instrument) -> timedelta:
    """The shortest time between two answers of the instrument by one person."""
    return timedelta(days=instrument.min_interval_days)


def _after(last_completed_at: datetime | None, interval: timedelta, now: datetime) -> datetime:
    for moment in (last_completed_at, now):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("datetimes must be timezone-aware")
    if last_completed_at is None:
        return now
    return max(last_completed_at + interval, now)

"""The diary vocabularies (emotions, triggers, signals, coping) in English and Chinese."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from wellbeing.core.language import LANGUAGES, Language

KINDS = ("emotions", "triggers", "signals", "coping")
VALENCES = ("positive", "neutral", "negative")

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Term:
    """One vocabulary entry: its key, labels per language, and kind-specific attributes."""

    key: str
    labels: Mapping[str, str]
    valence: str | None = None
    tough_call: bool = False


def parse_vocabulary(data: Mapping[str, Any]) -> dict[str, tuple[Term, ...]]:
    """Validate raw vocabulary data and return the terms per kind; raises ValueError naming the problem."""
    if set(data) != set(KINDS):
        raise ValueError(f"vocabulary: expected exactly the kinds {KINDS}, got {sorted(data)}")
    return {kind: _parse_kind(kind, data[kind]) for kind in KINDS}


def _parse_kind(kind: str, items: list[Mapping[str, Any]]) -> tuple[Term, ...]:
    seen: set[str] = set()
    terms = []
    for item in items:
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"vocabulary {kind}: invalid key {key!r}")
        if key in seen:
            raise ValueError(f"vocabulary {kind}: duplicate key {key!r}")
        seen.add(key)
        terms.append(Term(key, _labels(kind, key, item.get("label")), _valence(kind, key, item),
                          item.get("tough_call") is True))
    return tuple(terms)


def _labels(kind: str, key: str, labels: Any) -> dict[str, str]:
    if not isinstance(labels, Mapping) or set(labels) != set(LANGUAGES):
        raise ValueError(f"vocabulary {kind}.{key}: label needs exactly the languages {LANGUAGES}")
    for lang, text in labels.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"vocabulary {kind}.{key}: empty {lang} label")
    return dict(labels)


def _valence(kind: str, key: str, item: Mapping[str, Any]) -> str | None:
    value = item.get("valence")
    if kind != "emotions":
        if value is not None:
            raise ValueError(f"vocabulary {kind}.{key}: only emotions have a valence")
        return None
    if value not in VALENCES:
        raise ValueError(f"vocabulary emotions.{key}: valence must be one of {VALENCES}, got {value!r}")
    return value


_TERMS = parse_vocabulary(json.loads(
    resources.files("wellbeing.diary").joinpath("vocabulary.json").read_text(encoding="utf-8")))
_INDEX = {kind: {term.key: term for term in terms} for kind, terms in _TERMS.items()}
_VALENCE = {t.key: str(t.valence) for t in _TERMS["emotions"]}
_NEGATIVE = frozenset(key for key, value in _VALENCE.items() if value == "negative")
_TOUGH_CALL = frozenset(t.key for t in _TERMS["triggers"] if t.tough_call)


def vocabulary(lang: Language) -> dict[str, list[dict[str, str]]]:
    """The localized vocabularies for `GET /emotions`; emotions also carry their valence."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    result: dict[str, list[dict[str, str]]] = {}
    for kind, terms in _TERMS.items():
        result[kind] = [_localized(term, lang) for term in terms]
    return result


def _localized(term: Term, lang: Language) -> dict[str, str]:
    entry = {"key": term.key, "label": term.labels[lang]}
    if term.valence is not None:
        entry["valence"] = term.valence
    return entry


def is_known(kind: str, key: str) -> bool:
    """Whether `key` is in the vocabulary `kind` (one of "emotions", "triggers", "signals", "coping")."""
    if kind not in _INDEX:
        raise ValueError(f"unknown vocabulary kind {kind!r}; expected one of {KINDS}")
    return key in _INDEX[kind]


def valence(emotion: str) -> str:
    """The valence ("positive", "neutral" or "negative") of an emotion key; KeyError if unknown."""
    return _VALENCE[emotion]


def negative_emotions() -> frozenset[str]:
    """The keys of every negative emotion."""
    return _NEGATIVE


def tough_call_triggers() -> frozenset[str]:
    """Triggers that mark a tough call (complaints, abusive customers), for markers and breathing prompts."""
    return _TOUGH_CALL


def signed_intensity(emotion: str, intensity: int) -> int:
    """The intensity signed by valence: +intensity if positive, -intensity if negative, 0 if neutral."""
    sign = {"positive": 1, "neutral": 0, "negative": -1}[valence(emotion)]
    return sign * intensity

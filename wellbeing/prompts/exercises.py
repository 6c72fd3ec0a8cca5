"""Breathing and break exercises: the catalog in exercises.json, validated at load and localized."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from wellbeing.core.errors import NotFound
from wellbeing.core.language import DEFAULT_LANGUAGE, LANGUAGES

KINDS = ("breathing", "break")
CATALOG_PATH = Path(__file__).parent / "exercises.json"


class ExerciseDataError(ValueError):
    """The exercise catalog file is inconsistent; raised at load so a bad file never reaches a user."""


def list_exercises(lang: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """All exercises in catalog order (breathing, then breaks), localized to `lang`."""
    catalog = _catalog()
    return [_localize(exercise, catalog["safety_notes"], lang) for exercise in catalog["exercises"]]


def get_exercise(exercise_id: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """One exercise localized to `lang`; NotFound for an id not in the catalog."""
    catalog = _catalog()
    for exercise in catalog["exercises"]:
        if exercise["id"] == exercise_id:
            return _localize(exercise, catalog["safety_notes"], lang)
    raise NotFound(f"no exercise {exercise_id!r}")


def validate_catalog(data: dict[str, Any]) -> None:
    """Raise ExerciseDataError unless every text has both languages and the phases add up to each duration."""
    notes = data.get("safety_notes", {})
    for kind in KINDS:
        _check_text(notes.get(kind), f"safety_notes.{kind}")
    seen: set[str] = set()
    for exercise in data.get("exercises", []):
        _check_exercise(exercise)
        if exercise["id"] in seen:
            raise ExerciseDataError(f"duplicate exercise id {exercise['id']!r}")
        seen.add(exercise["id"])
    if not seen:
        raise ExerciseDataError("the catalog has no exercises")


@cache
def _catalog() -> dict[str, Any]:
    data = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    validate_catalog(data)
    return data


def _check_exercise(exercise: dict[str, Any]) -> None:
    where = f"exercise {exercise.get('id')!r}"
    if not isinstance(exercise.get("id"), str) or not exercise["id"]:
        raise ExerciseDataError(f"{where}: missing id")
    if exercise.get("kind") not in KINDS:
        raise ExerciseDataError(f"{where}: kind must be one of {KINDS}")
    for field in ("title", "instructions"):
        _check_text(exercise.get(field), f"{where}.{field}")
    if not exercise.get("source"):
        raise ExerciseDataError(f"{where}: missing source")
    phases = exercise.get("phases") or []
    if not phases:
        raise ExerciseDataError(f"{where}: no phases")
    for phase in phases:
        if not _positive_int(phase.get("seconds")) or not phase.get("key"):
            raise ExerciseDataError(f"{where}: every phase needs a key and positive whole seconds")
        _check_text(phase.get("label"), f"{where}.phases.{phase['key']}")
    cycles = exercise.get("cycles")
    if not _positive_int(cycles):
        raise ExerciseDataError(f"{where}: cycles must be a positive whole number")
    total = sum(phase["seconds"] for phase in phases) * cycles
    if total != exercise.get("duration_seconds"):
        raise ExerciseDataError(
            f"{where}: phases x cycles add up to {total} s, not duration_seconds {exercise.get('duration_seconds')}"
        )


def _check_text(text: Any, where: str) -> None:
    if not isinstance(text, dict) or set(text) != set(LANGUAGES):
        raise ExerciseDataError(f"{where}: needs exactly the languages {LANGUAGES}")
    if not all(isinstance(value, str) and value.strip() for value in text.values()):
        raise ExerciseDataError(f"{where}: empty text")


def _positive_int(value: Any) -> bool:
    # bool is an int subclass; `true` in JSON must not pass for 1
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _localize(exercise: dict[str, Any], safety_notes: dict[str, Any], lang: str) -> dict[str, Any]:
    # Unknown languages fall back to English, as the API's Accept-Language rule does
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    cycle_seconds = sum(phase["seconds"] for phase in exercise["phases"])
    localized = {
        "id": exercise["id"],
        "kind": exercise["kind"],
        "title": exercise["title"][lang],
        "instructions": exercise["instructions"][lang],
        "phases": [
            {"key": phase["key"], "label": phase["label"][lang], "seconds": phase["seconds"]}
            for phase in exercise["phases"]
        ],
        "cycles": exercise["cycles"],
        "cycle_seconds": cycle_seconds,
        "duration_seconds": exercise["duration_seconds"],
        "safety_note": safety_notes[exercise["kind"]][lang],
        "source": exercise["source"],
    }
    if exercise["kind"] == "breathing":
        localized["breaths_per_minute"] = round(60 / cycle_seconds, 2)
    return localized

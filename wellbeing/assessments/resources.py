"""Help resources: the organization's own lines first, then the national ones of its country (surveys/resources/).

The national lines are data, one file per country (``surveys/resources/CN.json``), checked against
``country.schema.json`` at start-up like the instrument files: adding a country is adding a file.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from wellbeing.assessments.instruments import SURVEYS_DIR
from wellbeing.core.language import resolve_language
from wellbeing.models import Organization
from wellbeing.org.countries import is_country_code, org_country

RESOURCES_DIR = SURVEYS_DIR / "resources"
SCHEMA_PATH = RESOURCES_DIR / "country.schema.json"
# What GET /org warns an admin about: agents would see no line of the organization's own, or no national one.
NO_OWN_LINES = "no_own_help_lines"
NO_NATIONAL_LINES = "no_national_help_lines"

Localized = dict[str, str]


class ResourceFileError(ValueError):
    """A national resources file that is not valid JSON, breaks the schema or contradicts itself."""

    def __init__(self, file: Path, json_path: str, message: str) -> None:
        super().__init__(f"{file.name}: {json_path}: {message}")
        self.file = file
        self.json_path = json_path


@dataclass(frozen=True)
class NationalLine:
    """A help line every organization of the country shows after its own."""

    id: str
    name: Localized
    hours: Localized
    confidential: bool
    emergency: bool
    source: str
    phone: str | None = None
    url: str | None = None


def load_national_lines(directory: Path = RESOURCES_DIR) -> dict[str, tuple[NationalLine, ...]]:
    """Every country file in a directory, keyed by country code; raise ResourceFileError on the first bad file."""
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    countries: dict[str, tuple[NationalLine, ...]] = {}
    for path in sorted(directory.glob("*.json")):
        if not path.name.endswith(".schema.json"):
            doc = _load_file(path, validator)
            countries[doc["country"]] = tuple(_line(entry) for entry in doc["resources"])
    return countries


def _load_file(path: Path, validator: Draft202012Validator) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResourceFileError(path, "$", f"not valid JSON: {exc}") from exc
    error = best_match(validator.iter_errors(doc))
    if error is not None:
        raise ResourceFileError(path, error.json_path, error.message)
    problem = next(_semantic_problems(doc, path.stem), None)
    if problem is not None:
        raise ResourceFileError(path, *problem)
    return doc


def _semantic_problems(doc: dict[str, Any], stem: str) -> Iterator[tuple[str, str]]:
    """The file is its country's; ids start with its code (so they are unique across countries) and are unique."""
    if doc["country"] != stem:
        yield "$.country", f"{doc['country']!r} must equal the file name {stem!r}"
    if not is_country_code(doc["country"]):
        yield "$.country", f"{doc['country']!r} is not an ISO 3166-1 alpha-2 code"
    prefix = doc["country"].lower() + "_"
    seen: set[str] = set()
    for index, entry in enumerate(doc["resources"]):
        if not entry["id"].startswith(prefix):
            yield f"$.resources[{index}].id", f"must start with {prefix!r}"
        if entry["id"] in seen:
            yield f"$.resources[{index}].id", f"duplicate id {entry['id']!r}"
        seen.add(entry["id"])


def _line(entry: dict[str, Any]) -> NationalLine:
    return NationalLine(entry["id"], entry["name"], entry["hours"], entry["confidential"], entry["emergency"],
                        entry["source"], entry.get("phone"), entry.get("url"))


@functools.cache
def national_catalog() -> dict[str, tuple[NationalLine, ...]]:
    """Every country's national lines, loaded and checked once per process (a bad file raises ResourceFileError)."""
    return load_national_lines()


def national_lines(country: str | None) -> tuple[NationalLine, ...]:
    """The national lines of a country; none for a country without a file (or no country)."""
    return national_catalog().get(country or "", ())


def help_resources(org: Organization, lang: str) -> list[dict[str, Any]]:
    """The organization's own lines in their stored order, then its country's national lines, in one language.

    Each is a ``help_line`` with an id (``org_<position>`` for the organization's, the data file's for national
    ones), its origin, whether it is a confidential route outside the organization and whether it is an
    emergency service.
    """
    lang = resolve_language(lang)
    own = [_own(position, line, lang) for position, line in enumerate(org.help_lines or [], start=1)]
    return own + [_national(line, lang) for line in national_lines(org_country(org))]


def confidential_ids(resources: list[Mapping[str, Any]]) -> list[str]:
    """Ids of the confidential routes among the resources (contacted directly; nobody at work is told)."""
    return [resource["id"] for resource in resources if resource.get("confidential")]


def help_line_warnings(org: Organization) -> list[str]:
    """What an admin should fix so that agents always see help: no lines of the organization's own, no national ones."""
    warnings = []
    if not org.help_lines:
        warnings.append(NO_OWN_LINES)
    if not national_lines(org_country(org)):
        warnings.append(NO_NATIONAL_LINES)
    return warnings


def _own(position: int, line: Mapping[str, Any], lang: str) -> dict[str, Any]:
    resource = {
        "type": "help_line", "id": f"org_{position}", "origin": "organization",
        "name": (line.get("names") or {}).get(lang) or line["name"], "phone": line["phone"],
        "hours": line.get("hours", ""), "confidential": bool(line.get("confidential", False)), "emergency": False,
    }
    if line.get("url"):
        resource["url"] = line["url"]
    return resource


def _national(line: NationalLine, lang: str) -> dict[str, Any]:
    resource = {
        "type": "help_line", "id": line.id, "origin": "national", "name": line.name[lang], "hours": line.hours[lang],
        "confidential": line.confidential, "emergency": line.emergency, "source": line.source,
    }
    resource.update({key: value for key, value in (("phone", line.phone), ("url", line.url)) if value})
    return resource

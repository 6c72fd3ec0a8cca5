"""Countries (ISO 3166-1 alpha-2) and an organization's country: set by an admin, else the one its time zone names."""
from __future__ import annotations

import functools
import zoneinfo
from importlib import resources

from wellbeing.models import Organization

# The IANA tables shipped with the pinned tzdata package: the same database zoneinfo validates zone names with.
_TABLES = resources.files("tzdata") / "zoneinfo"


def _rows(name: str) -> list[list[str]]:
    text = (_TABLES / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code the time zone database knows (iso3166.tab)."""
    return frozenset(row[0] for row in _rows("iso3166.tab"))


def is_country_code(code: str) -> bool:
    """True for an upper-case ISO 3166-1 alpha-2 code such as ``CN``."""
    return code in country_codes()


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Zone name -> country, from zone.tab (one country per zone), plus every link to one of those zones.

    zone.tab lists canonical zones only; a link (``PRC``, ``Asia/Chongqing``) is stored by tzdata as a copy of its
    target's file, so a link whose bytes equal exactly one listed zone's belongs to that zone's country.
    """
    listed = {row[2]: row[0] for row in _rows("zone.tab")}
    by_bytes: dict[bytes, set[str]] = {}
    for zone, country in listed.items():
        by_bytes.setdefault(_zone_bytes(zone), set()).add(country)
    countries = dict(listed)
    for zone in _all_zone_files():
        if zone not in countries:
            candidates = by_bytes.get(_zone_bytes(zone), set())
            if len(candidates) == 1:
                countries[zone] = next(iter(candidates))
    return countries


def _zone_bytes(zone: str) -> bytes:
    return (_TABLES.joinpath(*zone.split("/"))).read_bytes()


def _all_zone_files() -> list[str]:
    return [zone for zone in zoneinfo.available_timezones() if _TABLES.joinpath(*zone.split("/")).is_file()]


def country_for_timezone(zone: str | None) -> str | None:
    """The country an IANA zone belongs to (``Asia/Shanghai`` -> ``CN``); None for ``UTC`` and other non-places."""
    return _zone_countries().get(zone or "")


def org_country(org: Organization) -> str | None:
    """The organization's country: the admin's choice, else the one its time zone names (None if it names none)."""
    return org.country or country_for_timezone(org.timezone)

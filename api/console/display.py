"""How the console shows values: times in the signed-in user's own zone, role names, safe redirect targets."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from markupsafe import Markup, escape

from api.console.i18n import N_, gettext

ROLE_LABELS = {"agent": N_("Agent"), "supervisor": N_("Supervisor"), "hr": N_("HR"), "admin": N_("Admin")}
ROLES = tuple(ROLE_LABELS)
CONSOLE_PATH = "/console/"
# Region/City zones for pickers (the API accepts any IANA name; these are the ones people choose from).
TIMEZONES = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(("Etc/", "SystemV/")))


def parse_time(value: str) -> datetime | None:
    """An RFC 3339 time as the API returns it (UTC with Z), or None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else None


def local_time(value: str | None, zone: str | None) -> Markup:
    """A ``<time>`` element showing the instant in the user's zone (the UTC instant stays machine-readable)."""
    instant = parse_time(value) if value else None
    if instant is None:
        return Markup("—")
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = instant.astimezone(tz)
    label = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value, tz.key, label)


def role_label(role: str | None) -> str:
    """The role's name in the current language."""
    return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else str(escape(role or ""))


def role_options() -> list[tuple[str, str]]:
    """(value, label) pairs of every role for a select."""
    return [(role, role_label(role)) for role in ROLES]


def timezone_options(current: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs of the time zones for a select, including ``current`` if it is an unusual one."""
    zones = TIMEZONES if not current or current in TIMEZONES else sorted([*TIMEZONES, current])
    return [(zone, zone) for zone in zones]


def safe_next(target: str | None) -> str | None:
    """A console path to return to after signing in or switching language; anything else (other hosts) is None."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(CONSOLE_PATH) or target.startswith("//"):
        return None
    return target

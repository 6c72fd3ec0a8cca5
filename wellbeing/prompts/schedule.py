"""Pure prompt planner: when an agent gets breathing and break prompts and questionnaire reminders, in their own zone."""

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Literal, Sequence
from zoneinfo import ZoneInfo

UTC = timezone.utc
Kind = Literal["breathing", "break"]
Segment = tuple[datetime, datetime]

# A prompt not sent within its validity expires: a breathing prompt an hour late is noise
VALIDITY: dict[str, timedelta] = {"breathing": timedelta(minutes=10), "break": timedelta(minutes=15)}
# No breathing or break validity exceeds this gap, so an agent never has two exercises open at once
MIN_GAP = timedelta(minutes=15)
# A questionnaire reminder is no interruption: it may wait out a long call, though never past its allowed stretch
REMINDER_VALIDITY = timedelta(hours=2)
VALIDITY["questionnaire"] = REMINDER_VALIDITY
# ...and does not greet the agent at the first minute of a shift
REMINDER_SETTLE = timedelta(minutes=30)
MAX_JITTER_SECONDS = 120
_KIND_KEYS: dict[str, str] = {"breathing": "breathing", "break": "breaks"}  # kind -> settings key
SCHEDULED_EXERCISE: dict[str, str] = {"breathing": "resonance", "break": "micro_break"}
TOUGH_CALL_EXERCISE = "cyclic_sighing"
TOUGH_CALL_COOLDOWN = timedelta(minutes=30)
# The prompt belongs right after the call: a run reported later than this is left alone
TOUGH_CALL_FRESHNESS = timedelta(minutes=10)
# Calls further back than this are a different stretch of the day, not part of the run
TOUGH_CALL_LOOKBACK = timedelta(hours=2)
# No break prompt this close to a break the workforce-management schedule already gives the agent
SCHEDULED_BREAK_MARGIN = timedelta(minutes=20)

_DEFAULT_SETTINGS: dict[str, Any] = {
    "breathing": {"enabled": True, "every_minutes": 120},
    "breaks": {"enabled": True, "every_minutes": 55, "minutes": 5},
    "after_tough_calls": {"enabled": True, "threshold": 2},
    "max_per_day": 12,
}
SETTING_LIMITS = _LIMITS = {
    "breathing.every_minutes": (15, 480),
    "breaks.every_minutes": (15, 480),
    "breaks.minutes": (1, 30),
    "after_tough_calls.threshold": (1, 10),
    "max_per_day": (0, 48),
}
_SWITCHES = ("breathing.enabled", "breaks.enabled", "after_tough_calls.enabled")
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@dataclass(frozen=True)
class PlannedPrompt:
    """One prompt to materialize: due at `due_at`, expired if not sent by `valid_until` (both aware UTC)."""

    kind: Kind
    due_at: datetime
    valid_until: datetime
    exercise_id: str
    trigger: Literal["schedule", "tough_calls"] = "schedule"


@dataclass(frozen=True)
class ShiftActivity:
    """A scheduled stretch inside a shift that is not work time for prompts: break, meal, meeting or training."""

    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    """One shift imported from workforce management (aware instants)."""

    start: datetime
    end: datetime
    activities: tuple[ShiftActivity, ...] = ()


@dataclass(frozen=True)
class AgentSchedule:
    """Everything the planner needs to know about one agent; hours are `{"days", "start", "end"}` in local time.

    `shifts` are the imported shifts and `covered` the stretches the imports speak for: inside a covered
    stretch only the shifts are working time; outside every covered stretch the work hours still apply.
    """

    agent_id: str
    timezone: str
    settings: dict[str, Any]
    work_hours: dict[str, Any]
    quiet_hours: dict[str, Any] | None = None
    shifts: tuple[Shift, ...] = ()
    covered: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class _Window:
    """A stretch of working time: naive local wall-clock bounds, its allowed UTC segments, and the UTC
    stretches near a scheduled break where no break prompt goes."""

    start: datetime
    end: datetime
    segments: list[Segment]
    near_breaks: list[Segment]


@dataclass(frozen=True)
class CallEvent:
    """A finished call as the contact-center system reported it."""

    ended_at: datetime
    complaint: bool
    abusive: bool


@dataclass(frozen=True)
class _Hours:
    days: frozenset[int]
    start: time
    end: time


def default_prompt_settings() -> dict[str, Any]:
    """A fresh copy of the prompt settings a new agent starts with (research/instruments.md §8.3)."""
    return copy.deepcopy(_DEFAULT_SETTINGS)


def validate_settings(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors of a prompt-settings dict keyed by dotted path, empty when valid."""
    errors: dict[str, list[str]] = {}
    for path, (low, high) in _LIMITS.items():
        value = _lookup(settings, path)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[path] = [f"must be a whole number from {low} to {high}"]
    for path in _SWITCHES:
        if not isinstance(_lookup(settings, path), bool):
            errors[path] = ["must be true or false"]
    return errors


def agent_jitter(agent_id: str) -> timedelta:
    """The agent's fixed offset of 0-120 s, derived from the id so replanning lands on the same second."""
    digest = hashlib.sha256(agent_id.encode("utf-8")).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (MAX_JITTER_SECONDS + 1))


def plan_prompts(schedule: AgentSchedule, start: datetime, end: datetime) -> list[PlannedPrompt]:
    """Scheduled prompts due in [start, end), sorted; the same inputs always give the same rows."""
    start, end = _as_utc(start), _as_utc(end)
    settings = _checked_settings(schedule.settings)
    zone = ZoneInfo(schedule.timezone)
    # Whole work windows are planned, then filtered, so a horizon cut mid-shift changes nothing
    first = start.astimezone(zone).date() - timedelta(days=1)
    prompts: list[PlannedPrompt] = []
    for window in _working_windows(schedule, zone, first, end.astimezone(zone).date()):
        planned = _walk(settings, window, zone, agent_jitter(schedule.agent_id))
        prompts.extend(prompt for prompt in planned if start <= prompt.due_at < end)
    return sorted(prompts, key=lambda prompt: prompt.due_at)


@dataclass(frozen=True)
class ReminderSlot:
    """Where a work window has room for a questionnaire reminder: its local day and the UTC instants."""

    day: date
    due_at: datetime
    valid_until: datetime


def reminder_slots(schedule: AgentSchedule, start: datetime, end: datetime) -> list[ReminderSlot]:
    """One slot per work window, due in [start, end): REMINDER_SETTLE (plus the agent's jitter) into the window,
    or the start of the first allowed stretch after it, outside quiet hours; valid to the end of that stretch.

    `day` is the local calendar day of the due time, which the one-reminder-a-day rule counts by.
    """
    start, end = _as_utc(start), _as_utc(end)
    zone = ZoneInfo(schedule.timezone)
    slots = []
    for window in _working_windows(schedule, zone, start.astimezone(zone).date() - timedelta(days=1),
                                   end.astimezone(zone).date()):
        earliest = _to_utc(window.start, zone) + REMINDER_SETTLE + agent_jitter(schedule.agent_id)
        for segment_start, segment_end in window.segments:
            due = max(segment_start, earliest)
            if due < segment_end:
                if start <= due < end:
                    slots.append(ReminderSlot(due.astimezone(zone).date(), due,
                                              min(due + REMINDER_VALIDITY, segment_end)))
                break
    return sorted(slots, key=lambda slot: slot.due_at)


def allowed_until(schedule: AgentSchedule, moment: datetime) -> datetime | None:
    """The end of the allowed stretch (inside work hours, outside quiet hours) that `moment` falls in, or None."""
    found = _window_at(_as_utc(moment), schedule)
    return None if found is None else found[1]


def tough_call_prompt(
    now: datetime,
    schedule: AgentSchedule,
    calls: Iterable[CallEvent],
    existing_due: Sequence[datetime] = (),
    last_tough_prompt_at: datetime | None = None,
    cooldown: timedelta = TOUGH_CALL_COOLDOWN,
) -> PlannedPrompt | None:
    """A cyclic-sighing prompt due now after a run of tough calls, or None when the rules say not now.

    `existing_due` are the due times of the agent's other live prompts (for the daily cap and the
    minimum gap); `last_tough_prompt_at` is when the previous tough-call prompt was due. Calls
    that ended before that prompt were already answered by it and do not count again.
    """
    now = _as_utc(now)
    settings = _checked_settings(schedule.settings)
    rule = settings["after_tough_calls"]
    if not rule["enabled"]:
        return None
    if last_tough_prompt_at is not None and now - _as_utc(last_tough_prompt_at) < cooldown:
        return None
    if _tough_run(calls, now, last_tough_prompt_at) < rule["threshold"]:
        return None
    found = _window_at(now, schedule)
    if found is None:
        return None
    (window_start, window_end), segment_end = found
    due = [_as_utc(moment) for moment in existing_due]
    if sum(window_start <= moment < window_end for moment in due) >= settings["max_per_day"]:
        return None
    if any(abs(moment - now) < MIN_GAP for moment in due):
        return None
    valid_until = min(now + VALIDITY["breathing"], segment_end)
    return PlannedPrompt("breathing", now, valid_until, TOUGH_CALL_EXERCISE, trigger="tough_calls")


def _walk(settings: dict[str, Any], window: _Window, zone: ZoneInfo, jitter: timedelta) -> list[PlannedPrompt]:
    """Step each kind through the work window in wall-clock time, breaks first on a tie, at most the cap."""
    window_start, window_end, segments = window.start, window.end, window.segments
    every = {kind: timedelta(minutes=settings[key]["every_minutes"]) for kind, key in _KIND_KEYS.items()}
    length = {"breathing": timedelta(0), "break": timedelta(minutes=settings["breaks"]["minutes"])}
    enabled = [kind for kind, key in _KIND_KEYS.items() if settings[key]["enabled"]]
    next_wall = {kind: window_start + jitter + every[kind] for kind in enabled}
    prompts: list[PlannedPrompt] = []
    last_wall: datetime | None = None
    while next_wall and len(prompts) < settings["max_per_day"]:
        kind = min(next_wall, key=lambda k: (next_wall[k], k != "break"))
        wall = next_wall[kind] if last_wall is None else max(next_wall[kind], last_wall + MIN_GAP)
        if wall >= window_end:
            del next_wall[kind]
            continue
        next_wall[kind] = wall + every[kind]
        due = _to_utc(wall, zone)
        segment = _segment_fitting(segments, due, length[kind])
        if segment is not None and kind == "break" and _overlaps(window.near_breaks, due, due + length[kind]):
            segment = None
        # Checked in UTC: on a spring-forward night two wall times can land on the same instant
        if segment is None or (prompts and due < prompts[-1].due_at + MIN_GAP):
            continue
        prompts.append(PlannedPrompt(kind, due, min(due + VALIDITY[kind], segment[1]), SCHEDULED_EXERCISE[kind]))
        last_wall = wall
    return prompts


def _segment_fitting(segments: list[Segment], due: datetime, length: timedelta) -> Segment | None:
    for segment_start, segment_end in segments:
        if segment_start <= due < segment_end and due + length <= segment_end:
            return segment_start, segment_end
    return None


def _segments(
    window_start: datetime, window_end: datetime, quiet_hours: dict[str, Any] | None, zone: ZoneInfo
) -> list[Segment]:
    """The work window minus quiet hours, as UTC intervals."""
    pieces = [(window_start, window_end)]
    if quiet_hours is not None:
        quiet = _parse_hours(quiet_hours, "quiet_hours")
        for quiet_start, quiet_end in _windows(quiet, window_start.date() - timedelta(days=1), window_end.date()):
            pieces = [
                piece
                for start, end in pieces
                for piece in ((start, min(end, quiet_start)), (max(start, quiet_end), end))
                if piece[0] < piece[1]
            ]
    return [(_to_utc(start, zone), _to_utc(end, zone)) for start, end in pieces]


def _window_at(now: datetime, schedule: AgentSchedule) -> tuple[Segment, datetime] | None:
    """The work window (UTC) around `now` and the end of the allowed stretch `now` is in, if any."""
    zone = ZoneInfo(schedule.timezone)
    today = now.astimezone(zone).date()
    for window in _working_windows(schedule, zone, today - timedelta(days=1), today):
        bounds = (_to_utc(window.start, zone), _to_utc(window.end, zone))
        if bounds[0] <= now < bounds[1]:
            segment = _segment_fitting(window.segments, now, timedelta(0))
            return None if segment is None else (bounds, segment[1])
    return None


def _working_windows(schedule: AgentSchedule, zone: ZoneInfo, first: date, last: date) -> list[_Window]:
    """The agent's working windows starting on the local days first..last: imported shifts (minus their
    activities) inside the covered stretches, the work hours outside them; quiet hours taken out of both."""
    work = _parse_hours(schedule.work_hours, "work_hours")
    covered = sorted((_as_utc(a), _as_utc(b)) for a, b in schedule.covered)
    windows: list[_Window] = []
    for window_start, window_end in _windows(work, first, last):
        for piece_start, piece_end in _subtract([(_to_utc(window_start, zone), _to_utc(window_end, zone))], covered):
            local_start = window_start if piece_start == _to_utc(window_start, zone) else _to_wall(piece_start, zone)
            local_end = window_end if piece_end == _to_utc(window_end, zone) else _to_wall(piece_end, zone)
            segments = _segments(local_start, local_end, schedule.quiet_hours, zone)
            windows.append(_Window(local_start, local_end, segments, []))
    for shift in schedule.shifts:
        shift_start, shift_end = _as_utc(shift.start), _as_utc(shift.end)
        local_start, local_end = _to_wall(shift_start, zone), _to_wall(shift_end, zone)
        if not first <= local_start.date() <= last or local_end <= local_start:
            continue
        off = sorted((_as_utc(activity.start), _as_utc(activity.end)) for activity in shift.activities)
        # Clipped to the shift's own instants (a wall time repeated by a fall-back night reads as its first one)
        segments = _subtract(_segments(local_start, local_end, schedule.quiet_hours, zone),
                             [(shift_start - timedelta(days=2), shift_start), (shift_end, shift_end + timedelta(days=2)),
                              *off])
        near = [(_as_utc(a.start) - SCHEDULED_BREAK_MARGIN, _as_utc(a.end) + SCHEDULED_BREAK_MARGIN)
                for a in shift.activities if a.kind in ("break", "meal")]
        windows.append(_Window(local_start, local_end, segments, near))
    return sorted(windows, key=lambda window: _to_utc(window.start, zone))


def _subtract(pieces: list[Segment], holes: Iterable[Segment]) -> list[Segment]:
    """The UTC intervals `pieces` with every interval of `holes` taken out."""
    for hole_start, hole_end in holes:
        pieces = [piece for start, end in pieces
                  for piece in ((start, min(end, hole_start)), (max(start, hole_end), end)) if piece[0] < piece[1]]
    return pieces


def _overlaps(stretches: list[Segment], start: datetime, end: datetime) -> bool:
    return any(a < end and start < b for a, b in stretches) or any(a <= start < b for a, b in stretches)


def _to_wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """An instant as naive local wall-clock time."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _tough_run(calls: Iterable[CallEvent], now: datetime, since: datetime | None) -> int:
    """How many of the latest calls, newest first, were complaint or abusive calls in a row."""
    oldest = now - TOUGH_CALL_LOOKBACK if since is None else max(now - TOUGH_CALL_LOOKBACK, _as_utc(since))
    recent = sorted((call for call in calls if oldest < _as_utc(call.ended_at) <= now), key=lambda c: c.ended_at)
    if not recent or now - _as_utc(recent[-1].ended_at) > TOUGH_CALL_FRESHNESS:
        return 0
    run = 0
    for call in reversed(recent):
        if not (call.complaint or call.abusive):
            break
        run += 1
    return run


def _windows(hours: _Hours, first: date, last: date) -> list[Segment]:
    """Naive local wall-clock windows starting on the days first..last; one ending before it starts crosses midnight."""
    windows = []
    day = first
    while day <= last:
        if day.isoweekday() in hours.days:
            end_day = day if hours.end > hours.start else day + timedelta(days=1)
            windows.append((datetime.combine(day, hours.start), datetime.combine(end_day, hours.end)))
        day += timedelta(days=1)
    return windows


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time as UTC: a repeated time takes its first occurrence (fold=0); a time skipped
    by a DST jump moves forward minute by minute to the jump (keeping its seconds, so the jitter holds).

    Unlike zoneinfo's own reading of a skipped time (an hour later), this never runs backwards past
    the wall times after the jump, so a prompt never leaves the window it was planned in.
    """
    while not _exists(wall, zone):
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _parse_hours(hours: dict[str, Any], name: str) -> _Hours:
    days, start, end = hours.get("days"), hours.get("start"), hours.get("end")
    if not isinstance(days, list) or not days or not all(type(day) is int and 1 <= day <= 7 for day in days):
        raise ValueError(f"{name}.days must list ISO weekdays 1..7")
    if not all(isinstance(value, str) and _HH_MM.fullmatch(value) for value in (start, end)) or start == end:
        raise ValueError(f"{name}.start and .end must be different HH:MM times")
    return _Hours(frozenset(days), time.fromisoformat(start), time.fromisoformat(end))


def _checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    errors = validate_settings(settings)
    if errors:
        raise ValueError(f"invalid prompt settings: {errors}")
    return settings


def _lookup(settings: Any, path: str) -> Any:
    for key in path.split("."):
        settings = settings.get(key) if isinstance(settings, dict) else None
    return settings


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)

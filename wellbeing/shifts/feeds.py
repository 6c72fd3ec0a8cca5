"""iCalendar shift feeds: the common export of workforce-management tools, per agent or per organization.

The refresh job (``refresh_feeds``, every few minutes) asks each due feed with a conditional GET (If-None-Match /
If-Modified-Since); 304 changes nothing. A new calendar is expanded with ``recurring-ical-events`` (RRULE,
RDATE, EXDATE, RECURRENCE-ID overrides, TZID) over the window [yesterday, +28 days) and replaces the imported
shifts of each agent it names over that window (so an idempotent import, replanning only on a change).

- A feed per agent: every event is that agent's.
- A feed per organization: each event names its agents as ATTENDEE (mailto: their e-mail); events naming no agent
  of the organization are skipped and counted.
- An event whose SUMMARY or CATEGORIES say break, meal (lunch), meeting or training is an activity inside the
  shift that contains it; any other event is a shift.
A failure (unreachable, HTTP error, not a calendar, a shift the import refuses) is stored on the feed with the
number of consecutive failures, shown to the admin, and retried with a growing delay.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlsplit

import icalendar
import recurring_ical_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from wellbeing.core.crypto import Keyring
from wellbeing.core.db import new_id, write_intent
from wellbeing.core.errors import Invalid, NotFound
from wellbeing.core.idempotency import create_once
from wellbeing.models import ShiftFeed, User
from wellbeing.shifts.imports import replace_shifts

UTC = timezone.utc
REFRESH = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)
WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER = timedelta(days=28)
MAX_BYTES = 5_000_000
TIMEOUT = 10.0
ACTIVITY_WORDS = {"break": ("break", "休息"), "meal": ("meal", "lunch", "dinner", "午餐", "用餐", "晚餐"),
                  "meeting": ("meeting", "会议"), "training": ("training", "coaching", "培训")}
_WORDS = re.compile(r"[a-z]+|[^\x00-\x7f]+")


class FeedError(Exception):
    """The feed could not be read or imported; the message is what the admin sees."""


# --- the admin's feeds -------------------------------------------------------------------------------------------

def add_feed(session: Session, org_id: str, data: dict, fingerprint: str, keyring: Keyring, now: datetime,
             allow_private: bool = False) -> tuple[ShiftFeed, bool]:
    """Register a feed (idempotent on the client's id); it is read at the next refresh."""
    url, user_id = data["url"], data.get("user_id")
    try:
        host = check_feed_url(url, allow_private)
    except FeedError as error:
        raise Invalid(f"The feed URL is not acceptable: {error}", fields={"url": [str(error)]},
                      code="invalid_feed_url") from None
    if user_id is not None:
        user = session.get(User, str(user_id))
        if user is None or user.org_id != org_id or user.role != "agent":
            raise Invalid("user_id must name an agent of your organization.",
                          fields={"user_id": ["must name an agent of your organization"]})
    feed_id = str(data["id"]) if data.get("id") else new_id()

    def build() -> ShiftFeed:
        return ShiftFeed(id=feed_id, org_id=org_id, user_id=str(user_id) if user_id else None,
                         url_ciphertext=keyring.encrypt(url, feed_aad(feed_id)), url_host=host, created_at=now,
                         next_check_at=now, failures=0)

    with write_intent():
        return create_once(session, ShiftFeed, feed_id, fingerprint, build, lambda stored: stored.org_id == org_id)


def feeds_of(session: Session, org_id: str) -> list[ShiftFeed]:
    return list(session.scalars(select(ShiftFeed).where(ShiftFeed.org_id == org_id)
                                .order_by(ShiftFeed.created_at, ShiftFeed.id)))


def get_feed(session: Session, org_id: str, feed_id: str) -> ShiftFeed:
    feed = session.get(ShiftFeed, feed_id) if len(feed_id) <= 36 else None
    if feed is None or feed.org_id != org_id:
        raise NotFound("No such shift feed.")
    return feed


def remove_feed(session: Session, org_id: str, feed_id: str) -> None:
    """Stop reading the feed (the shifts it imported stay until replaced or purged)."""
    with write_intent():
        session.delete(get_feed(session, org_id, feed_id))
        session.commit()


def feed_status(feed: ShiftFeed) -> str:
    """pending (never read), ok, or failing (the last try failed)."""
    if feed.last_checked_at is None:
        return "pending"
    return "failing" if feed.last_error else "ok"


# --- the refresh job ---------------------------------------------------------------------------------------------

def refresh_feeds(session: Session, now: datetime, keyring: Keyring, allow_private: bool = False,
                  limit: int = 50) -> dict[str, int]:
    """Read every due feed once; returns how many were unchanged (304), imported, or unreadable (the error on the feed)."""
    counts = {"unchanged": 0, "imported": 0, "unreadable": 0}
    with write_intent():
        due = session.scalars(select(ShiftFeed.id).where(ShiftFeed.next_check_at <= now)
                              .order_by(ShiftFeed.next_check_at).limit(limit).with_for_update(skip_locked=True)).all()
        for feed_id in due:  # claimed: another scheduler looks again only after a refresh period
            session.get(ShiftFeed, feed_id).next_check_at = now + REFRESH
        session.commit()
    for feed_id in due:
        feed = session.get(ShiftFeed, feed_id)
        if feed is None:  # removed by the admin meanwhile
            continue
        url = keyring.decrypt(feed.url_ciphertext, feed_aad(feed.id))
        etag, modified = feed.etag, feed.last_modified
        session.commit()
        try:
            answer = fetch(url, etag, modified, allow_private)
            outcome = "unchanged" if answer is None else _import(session, feed_id, answer[0], now)
        except FeedError as error:
            session.rollback()
            _failed(session, feed_id, str(error), now)
            counts["unreadable"] += 1
            continue
        with write_intent():
            feed = session.get(ShiftFeed, feed_id)
            if feed is not None:
                if answer is not None:
                    feed.etag, feed.last_modified = answer[1], answer[2]
                feed.last_checked_at = feed.last_success_at = now
                feed.last_error, feed.failures, feed.next_check_at = None, 0, now + REFRESH
            session.commit()
        counts[outcome] += 1
    return counts


def fetch(url: str, etag: str | None, modified: str | None, allow_private: bool = False,
          ) -> tuple[bytes, str | None, str | None] | None:
    """GET the feed, conditionally; None when it did not change (304), else (body, ETag, Last-Modified)."""
    check_feed_url(url, allow_private)
    request = urllib.request.Request(url, headers={"User-Agent": "wellbeing-shift-feed/1",
                                                   "Accept": "text/calendar"})
    if etag:
        request.add_header("If-None-Match", etag)
    if modified:
        request.add_header("If-Modified-Since", modified)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise FeedError("the feed is larger than 5 MB")
            return body, response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None
        raise FeedError(f"HTTP {error.code} from the feed") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FeedError(f"the feed could not be reached: {getattr(error, 'reason', error)}") from None


def parse_feed(body: bytes, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime, tuple[str, ...]]]:
    """Every event occurrence in [start, end): (kind, start, end, attendee e-mails), kind "shift" or an activity.

    All-day events (dates, not times) are no shifts and are skipped.
    """
    try:
        calendar = icalendar.Calendar.from_ical(body)
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except Exception as error:  # the parsers raise many kinds of errors on a broken calendar
        raise FeedError(f"not a readable iCalendar feed: {error}"[:300]) from None
    events = []
    for event in occurrences:
        begin, finish, duration = event.get("DTSTART"), event.get("DTEND"), event.get("DURATION")
        if begin is None or not isinstance(begin.dt, datetime) or (finish is None and duration is None):
            continue
        first = begin.dt
        last = finish.dt if finish is not None else first + duration.dt
        if not isinstance(last, datetime):
            continue
        if first.tzinfo is None or last.tzinfo is None:
            continue  # a floating time names no instant
        attendees = event.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        emails = tuple(str(a).split(":", 1)[-1].strip().lower() for a in attendees if str(a).lower().startswith("mailto:"))
        events.append((_kind(event), first.astimezone(UTC), last.astimezone(UTC), emails))
    return sorted(events, key=lambda e: (e[1], e[2]))


def check_feed_url(url: str, allow_private: bool = False) -> str:
    """The URL's host, if it is http(s) to an address a feed may live at (never link-local or cloud metadata)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError("must be an http or https URL")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise FeedError(f"{parts.hostname} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_link_local or address.is_multicast or address.is_reserved or address.is_unspecified:
            raise FeedError(f"{parts.hostname} resolves to a refused address")
        if (address.is_private or address.is_loopback) and not allow_private:
            raise FeedError(f"{parts.hostname} resolves to a private address")
    return parts.hostname[:255]


def _import(session: Session, feed_id: str, body: bytes, now: datetime) -> str:
    feed = session.get(ShiftFeed, feed_id)
    org_id, user_id = feed.org_id, feed.user_id
    session.commit()
    import_calendar(session, org_id, user_id, body, now)
    return "imported"


def import_calendar(session: Session, org_id: str, user_id: str | None, body: bytes, now: datetime) -> int:
    """Import one calendar over the window [yesterday, +28 days): the agent's (user_id) or the organization's
    (agents by ATTENDEE). Returns the agents whose shifts changed; FeedError names agents whose shifts were refused."""
    start = datetime.combine((now - WINDOW_BEFORE).date(), time(0), UTC)
    end = start + WINDOW_BEFORE + WINDOW_AFTER
    events = parse_feed(body, start, end)
    if user_id is not None:
        per_user = {user_id: events}
    else:
        emails = {e for event in events for e in event[3]}
        users = dict(session.execute(select(User.email, User.id).where(
            User.org_id == org_id, User.role == "agent", User.email.in_(emails))).all()) if emails else {}
        per_user = defaultdict(list)
        for event in events:
            for email in event[3]:
                if email in users:
                    per_user[users[email]].append(event)
    session.commit()
    problems, changed = [], 0
    for agent_id, mine in per_user.items():
        try:
            changed += replace_shifts(session, org_id, agent_id, start, end, _shifts(mine, start, end), "ical", now)[1]
        except (Invalid, NotFound) as error:
            session.rollback()
            problems.append(f"{agent_id}: {error.detail}")
    if problems:
        raise FeedError(("some shifts were refused: " + "; ".join(problems))[:500])
    return changed


def _shifts(events, start: datetime, end: datetime) -> list[dict]:
    """Shift events with the activity events that fall inside them; shifts starting outside the window dropped."""
    shifts = [{"start": s, "end": e, "activities": []} for kind, s, e, _ in events if kind == "shift" and start <= s < end]
    for kind, s, e, _ in events:
        if kind == "shift":
            continue
        for shift in shifts:
            if shift["start"] <= s and e <= shift["end"] and s < e:
                shift["activities"].append({"kind": kind, "start": s, "end": e})
                break
    return shifts


def _kind(event) -> str:
    words = str(event.get("SUMMARY", "")).lower()
    categories = event.get("CATEGORIES")
    for group in categories if isinstance(categories, list) else [categories] if categories else []:
        words += " " + " ".join(str(c).lower() for c in getattr(group, "cats", [group]))
    tokens = _WORDS.findall(words)
    for kind, names in ACTIVITY_WORDS.items():
        # Whole English words ("breakfast shift" is a shift); Chinese names anywhere in a run of CJK text
        if any(name in tokens if name.isascii() else any(name in token for token in tokens) for name in names):
            return kind
    return "shift"


def _failed(session: Session, feed_id: str, message: str, now: datetime) -> None:
    with write_intent():
        feed = session.get(ShiftFeed, feed_id)
        if feed is not None:
            feed.failures += 1
            feed.last_checked_at, feed.last_error = now, message[:500]
            feed.next_check_at = now + min(REFRESH * (2 ** min(feed.failures - 1, 10)), MAX_BACKOFF)
        session.commit()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere, past the address check: it is an error the admin sees."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} not followed", headers, fp)


def feed_aad(feed_id: str) -> bytes:
    """The associated data binding a feed's encrypted URL to its row."""
    return f"shift_feed:{feed_id}".encode()

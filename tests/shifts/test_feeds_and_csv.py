"""iCalendar feeds (per agent and per organization, conditional GET, failure state) and the admin's CSV upload."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from api.scheduler import refresh_shift_feeds
from tests.prompts.helpers import API
from wellbeing.core.db import db
from wellbeing.models import Prompt, Shift, ShiftFeed

UTC = timezone.utc
FIXTURES = Path(__file__).parent.parent / "fixtures" / "ical"
SUNDAY = datetime(2030, 3, 3, 12, 0, tzinfo=UTC)


class FeedServer:
    """A WFM tool's calendar export: serves a file with an ETag, answers 304 to a matching If-None-Match."""

    def __init__(self, body: bytes) -> None:
        self.body, self.etag, self.mode = body, '"v1"', "ok"
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append({"if_none_match": self.headers.get("If-None-Match"),
                                        "if_modified_since": self.headers.get("If-Modified-Since")})
                if server.mode == "fail":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.send_header("ETag", server.etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", server.etag)
                self.send_header("Last-Modified", "Fri, 01 Mar 2030 00:00:00 GMT")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/schedule.ics?token=s3cret"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed_server():
    servers = []

    def make(name: str) -> FeedServer:
        servers.append(FeedServer((FIXTURES / name).read_bytes()))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _refresh(app, now):
    with app.app_context():
        try:
            return refresh_shift_feeds(db.session, now)
        finally:
            db.session.remove()


def _add_feed(world, url, user_id=None):
    response = world.client.post(f"{API}/org/shift-feeds", json={"url": url, "user_id": user_id},
                                 headers=world.as_("admin"))
    assert response.status_code == 201, response.json
    return response.json


def _my_shifts(world, key="agent"):
    with time_machine.travel(SUNDAY, tick=False):
        response = world.client.get(f"{API}/me/shifts", query_string={
            "from": "2030-03-03T00:00:00Z", "to": "2030-03-12T00:00:00Z"}, headers=world.login(key))
    assert response.status_code == 200, response.json
    return response.json["shifts"]


def test_an_agents_feed_is_read_with_recurrences_exceptions_and_zones_then_asked_conditionally(
        app, world, session, feed_server):
    world.client.patch(f"{API}/me", json={"timezone": "Asia/Shanghai"}, headers=world.as_("agent"))
    server = feed_server("agent_week.ics")
    feed = _add_feed(world, server.url, world.ids["agent"])
    assert feed["status"] == "pending" and feed["url_host"] == "127.0.0.1" and "url" not in feed
    assert _refresh(app, SUNDAY) == {"unchanged": 0, "imported": 1, "unreadable": 0}
    shifts = _my_shifts(world)
    # Mon 10-18 Shanghai with its break, lunch and meeting; Tue moved to 12-20; Wed excluded; the holiday is no shift
    assert [(s["start"], s["end"]) for s in shifts] == [
        ("2030-03-04T02:00:00Z", "2030-03-04T10:00:00Z"), ("2030-03-05T04:00:00Z", "2030-03-05T12:00:00Z"),
        ("2030-03-07T02:00:00Z", "2030-03-07T10:00:00Z"), ("2030-03-08T02:00:00Z", "2030-03-08T10:00:00Z"),
        ("2030-03-11T02:00:00Z", "2030-03-11T10:00:00Z")]
    assert [a["kind"] for a in shifts[0]["activities"]] == ["break", "meal", "meeting"]
    assert shifts[1]["activities"] == []  # Tuesday's 11:30 break lies before the moved shift
    monday = session.scalars(select(Prompt.due_at).where(Prompt.user_id == world.ids["agent"],
                                                         Prompt.due_at >= SUNDAY,
                                                         Prompt.due_at < datetime(2030, 3, 4, 16, tzinfo=UTC))).all()
    assert monday and all(datetime(2030, 3, 4, 2, tzinfo=UTC) <= due < datetime(2030, 3, 4, 10, tzinfo=UTC)
                          for due in monday)
    rows = session.scalars(select(Shift.id).order_by(Shift.id)).all()
    assert _refresh(app, SUNDAY + timedelta(minutes=10)) == {"unchanged": 0, "imported": 0, "unreadable": 0}  # not due
    assert _refresh(app, SUNDAY + timedelta(minutes=15)) == {"unchanged": 1, "imported": 0, "unreadable": 0}
    assert server.requests[0]["if_none_match"] is None
    assert server.requests[1] == {"if_none_match": '"v1"', "if_modified_since": "Fri, 01 Mar 2030 00:00:00 GMT"}
    assert session.scalars(select(Shift.id).order_by(Shift.id)).all() == rows
    listed = world.client.get(f"{API}/org/shift-feeds", headers=world.as_("admin")).json["items"]
    assert [(f["status"], f["failures"], f["last_error"]) for f in listed] == [("ok", 0, None)]


def test_an_organization_feed_names_its_agents_as_attendees(app, world, session, feed_server):
    server = feed_server("org_day.ics")
    _add_feed(world, server.url)
    assert _refresh(app, SUNDAY)["imported"] == 1
    mine, theirs = _my_shifts(world), _my_shifts(world, "agent2")
    assert [(s["start"], [a["kind"] for a in s["activities"]]) for s in mine] == [("2030-03-04T01:00:00Z", ["break"])]
    assert [(s["start"], s["activities"]) for s in theirs] == [("2030-03-04T01:00:00Z", [])]
    assert _my_shifts(world, "agent_b") == []
    assert session.scalar(select(func.count()).select_from(Shift)) == 2


def test_a_failing_feed_shows_its_state_to_the_admin_and_backs_off(app, world, session, feed_server):
    server = feed_server("agent_week.ics")
    server.mode = "fail"
    feed = _add_feed(world, server.url, world.ids["agent"])
    assert _refresh(app, SUNDAY) == {"unchanged": 0, "imported": 0, "unreadable": 1}
    assert _refresh(app, SUNDAY + timedelta(minutes=15)) == {"unchanged": 0, "imported": 0, "unreadable": 1}
    [listed] = world.client.get(f"{API}/org/shift-feeds", headers=world.as_("admin")).json["items"]
    assert listed["status"] == "failing" and listed["failures"] == 2 and listed["last_error"] == "HTTP 500 from the feed"
    assert listed["next_check_at"] == "2030-03-03T12:45:00Z"  # 15 min, then 30 min
    server.mode = "ok"
    assert _refresh(app, SUNDAY + timedelta(minutes=45))["imported"] == 1
    stored = session.get(ShiftFeed, feed["id"])
    assert stored.failures == 0 and stored.last_error is None and "s3cret" not in stored.url_ciphertext
    assert world.client.delete(f"{API}/org/shift-feeds/{feed['id']}", headers=world.as_("admin")).status_code == 204
    assert world.client.delete(f"{API}/org/shift-feeds/{feed['id']}", headers=world.as_("admin")).status_code == 404


def test_feed_registration_is_checked(app, world, session):
    for body, field in (({"url": "ftp://wfm.example/x.ics"}, "url"),
                        ({"url": "http://169.254.169.254/latest/x.ics"}, "url"),
                        ({"url": "http://127.0.0.1:9/x.ics", "user_id": world.ids["other_agent"]}, "user_id"),
                        ({"url": "http://127.0.0.1:9/x.ics", "user_id": world.ids["supervisor"]}, "user_id")):
        response = world.client.post(f"{API}/org/shift-feeds", json=body, headers=world.as_("admin"))
        assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    for role in ("supervisor", "hr", "agent"):
        assert world.client.get(f"{API}/org/shift-feeds", headers=world.as_(role)).status_code == 403
    assert session.scalar(select(func.count()).select_from(ShiftFeed)) == 0


CSV = """agent e-mail,start,end,activity
agent@a.test,2030-03-04T10:00:00+08:00,2030-03-04T18:00:00+08:00,shift
agent@a.test,2030-03-04T13:00:00+08:00,2030-03-04T14:00:00+08:00,meal
AGENT2@a.test,2030-03-04T09:00:00+08:00,2030-03-04T17:00:00+08:00,
"""


def _upload(world, text, key="admin"):
    return world.client.post(f"{API}/org/shifts/csv", query_string={"from": "2030-03-03T16:00:00Z",
                                                                     "to": "2030-03-04T16:00:00Z"},
                             data=text.encode(), headers={**world.as_(key), "Content-Type": "text/csv"})


def test_an_admins_csv_upload_imports_every_agent_in_it_or_nothing(app, world, session):
    response = _upload(world, CSV)
    assert response.status_code == 200, response.json
    assert response.json == {"agents": 2, "shifts": 2, "changed": 2}
    assert _upload(world, CSV).json == {"agents": 2, "shifts": 2, "changed": 0}  # the same file again
    mine = _my_shifts(world)
    assert [(s["start"], [a["kind"] for a in s["activities"]]) for s in mine] == [("2030-03-04T02:00:00Z", ["meal"])]
    before = session.scalars(select(Shift.id).order_by(Shift.id)).all()
    bad = CSV + "stranger@a.test,2030-03-04T09:00:00+08:00,2030-03-04T17:00:00+08:00,shift\n" \
                "agent@a.test,2030-03-04T20:00:00+08:00,2030-03-04T21:00:00+08:00,break\n" \
                "agent2@a.test,yesterday,today,shift\n"
    refused = _upload(world, bad.replace("18:00:00+08:00,shift", "18:00:00+08:00,nap", 1))
    assert refused.status_code == 422
    assert set(refused.json["errors"]["json"]) == {"rows.2", "rows.3", "rows.5", "rows.6", "rows.7"}  # file lines
    assert session.scalars(select(Shift.id).order_by(Shift.id)).all() == before
    assert _upload(world, CSV, "supervisor").status_code == 403
    assert _upload(world, "").status_code == 422


def test_events_with_a_duration_and_floating_times():
    from wellbeing.shifts.feeds import parse_feed

    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
            b"BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20300301T000000Z\r\nSUMMARY:Shift\r\n"
            b"DTSTART:20300304T010000Z\r\nDURATION:PT8H\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:b@t\r\nDTSTAMP:20300301T000000Z\r\nSUMMARY:Floating\r\n"
            b"DTSTART:20300305T010000\r\nDTEND:20300305T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    events = parse_feed(body, datetime(2030, 3, 3, tzinfo=UTC), datetime(2030, 3, 10, tzinfo=UTC))
    assert events == [("shift", datetime(2030, 3, 4, 1, tzinfo=UTC), datetime(2030, 3, 4, 9, tzinfo=UTC), ())]
    with pytest.raises(Exception, match="not a readable iCalendar feed"):
        parse_feed(b"this is not a calendar", datetime(2030, 3, 3, tzinfo=UTC), datetime(2030, 3, 10, tzinfo=UTC))


def test_the_csv_may_come_as_json_and_nothing_else(app, world, session):
    query = {"from": "2030-03-03T16:00:00Z", "to": "2030-03-04T16:00:00Z"}
    response = world.client.post(f"{API}/org/shifts/csv", query_string=query, json={"csv": CSV},
                                 headers=world.as_("admin"))
    assert response.status_code == 200 and response.json == {"agents": 2, "shifts": 2, "changed": 2}
    for body in ({"csv": 3}, {"file": CSV}, {"csv": CSV, "extra": 1}, [CSV]):
        refused = world.client.post(f"{API}/org/shifts/csv", query_string=query, json=body, headers=world.as_("admin"))
        assert refused.status_code == 422 and "csv" in refused.json["errors"]["json"]
    other = world.client.post(f"{API}/org/shifts/csv", query_string=query, data=b"x",
                              headers={**world.as_("admin"), "Content-Type": "application/xml"})
    assert other.status_code == 415
    assert session.scalar(select(func.count()).select_from(Shift)) == 2

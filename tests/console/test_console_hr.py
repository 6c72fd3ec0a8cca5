"""HR's console pages: the case list, a case page and its actions, all through the counseling API (test client)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from api.console import hr as hr_pages
from tests.console.helpers import browser, heading, post_form, sign_in, text
from wellbeing.models import AccessLogEntry, CounselingAppointment, CounselingCase

NOW = datetime(2030, 3, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def pinned():
    """The clock pinned at NOW (every token of the test is issued inside)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hr(app, world, pinned):
    client = browser(app)
    sign_in(client, world.emails["hr"])
    return client


def refer(world, key: str = "agent", reason: str = "Calls are wearing me down") -> str:
    """The agent asks for counseling (a self-referral HR may see); returns the case id."""
    response = world.client.post("/api/v1/me/counseling", headers=world.login(key),
                                 json={"reason_category": "work_stress", "reason": reason})
    assert response.status_code == 201, response.json
    return response.json["id"]


def local_input(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def hr_zone(world) -> str:
    return world.client.get("/api/v1/me", headers=world.login("hr")).json["timezone"]


def propose(hr, case_id: str, starts: str, **extra):
    url = f"/console/hr/cases/{case_id}"
    form = {"starts_at": starts, "duration_minutes": "45", "mode": "video", "request_id": "", **extra}
    return post_form(hr, url, url + "/appointments", form)


def test_case_list_shows_visible_cases_and_logs_the_read_with_its_purpose(hr, world, session):
    case_id = refer(world)
    page = text(hr.get("/console/hr/cases"))
    assert heading(hr.get("/console/hr/cases")) == "Counseling cases"
    assert f'data-case="{case_id}"' in page and "Agent" in page and "Work stress" in page
    assert "Calls are wearing me down" not in page  # the list never carries the reason text
    entry = session.scalars(select(AccessLogEntry).where(AccessLogEntry.resource_id == case_id)).first()
    assert (entry.action, entry.purpose, entry.subject_id) == ("list_cases", "counseling_follow_up", world.ids["agent"])


def test_case_list_filters_by_status_and_pages(hr, world, monkeypatch):
    first, second = refer(world, "agent"), refer(world, "agent2")
    assert f'data-case="{first}"' not in text(hr.get("/console/hr/cases?status=closed"))
    monkeypatch.setattr(hr_pages, "PAGE_SIZE", 1)
    page = text(hr.get("/console/hr/cases?status=open"))
    cursor = re.search(r'href="/console/hr/cases\?cursor=([^&"]+)&amp;status=open" rel="next"', page).group(1)
    following = text(hr.get(f"/console/hr/cases?cursor={cursor}&status=open"))
    shown = re.findall(r'data-case="([^"]+)"', page) + re.findall(r'data-case="([^"]+)"', following)
    assert sorted(shown) == sorted([first, second]) and "First page" in following


def test_hr_overview_lists_the_newest_open_cases(hr, world):
    case_id = refer(world)
    page = text(hr.get("/console/hr/"))
    assert f'href="/console/hr/cases/{case_id}"' in page and "All cases" in page


def test_case_page_shows_the_reason_history_and_logs_the_read(hr, world, session):
    case_id = refer(world)
    response = hr.get(f"/console/hr/cases/{case_id}")
    page = text(response)
    assert response.status_code == 200 and heading(response) == "Case of Agent"
    assert "Calls are wearing me down" in page and "The agent asked for help" in page and "Case opened" in page
    actions = session.scalars(select(AccessLogEntry.action).where(AccessLogEntry.resource_id == case_id)).all()
    assert "read_case" in actions


def test_hr_proposes_an_appointment_in_their_own_time_zone(hr, world, session):
    case_id = refer(world)
    zone = hr_zone(world)
    starts = NOW + timedelta(days=3, hours=2)
    response = propose(hr, case_id, local_input(starts, zone), location="Room 4")
    assert response.status_code == 302 and response.headers["Location"] == f"/console/hr/cases/{case_id}"
    stored = session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).one()
    assert (stored.starts_at, stored.duration_minutes, stored.mode, stored.location, stored.state) == (
        starts, 45, "video", "Room 4", "proposed")
    page = text(hr.get(response.headers["Location"]))
    assert "Appointment proposed. The agent is asked to accept it." in page
    assert "Proposed, waiting for the agent" in page and "45 minutes, Video" in page


def test_an_unreadable_or_past_time_is_shown_next_to_the_field(hr, world, session):
    case_id = refer(world)
    response = propose(hr, case_id, "next tuesday")
    assert response.status_code == 422
    assert re.search(r'id="propose-starts_at-error">.*Enter a date and time', text(response), re.S)
    response = propose(hr, case_id, local_input(NOW - timedelta(hours=1), hr_zone(world)))
    assert response.status_code == 422
    assert re.search(r'id="propose-starts_at-error">.*Must be in the future', text(response), re.S)
    assert session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).all() == []


def test_hr_reschedules_and_cancels_an_appointment(hr, world, session):
    case_id = refer(world)
    zone = hr_zone(world)
    propose(hr, case_id, local_input(NOW + timedelta(days=2), zone))
    appointment = session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).one()
    url = f"/console/hr/cases/{case_id}"
    later = NOW + timedelta(days=4)
    response = post_form(hr, url, f"{url}/appointments/{appointment.id}/reschedule",
                         {"starts_at": local_input(later, zone), "duration_minutes": "60"}, follow_redirects=True)
    assert "Appointment moved." in text(response) and "Appointment moved to a new time" in text(response)
    session.refresh(appointment)
    assert (appointment.starts_at, appointment.duration_minutes) == (later, 60)
    response = post_form(hr, url, f"{url}/appointments/{appointment.id}/outcome", {"state": "cancelled"},
                         follow_redirects=True)
    assert "Appointment cancelled." in text(response)
    session.refresh(appointment)
    assert appointment.state == "cancelled"


def test_hr_records_a_completed_session_sets_the_follow_up_writes_notes_and_closes(app, hr, world, session, pinned):
    case_id = refer(world)
    propose(hr, case_id, local_input(NOW + timedelta(days=1), hr_zone(world)))
    appointment = session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).one()
    accepted = world.client.post(f"/api/v1/me/counseling/appointments/{appointment.id}/accept",
                                 headers=world.login("agent"))
    assert accepted.status_code == 200, accepted.json
    url = f"/console/hr/cases/{case_id}"
    assert post_form(hr, url, url + "/close").status_code == 409  # an open appointment blocks closing
    pinned.move_to(NOW + timedelta(days=1, hours=1))
    hr = browser(app)  # a day later the first sign-in has expired
    sign_in(hr, world.emails["hr"])
    response = post_form(hr, url, f"{url}/appointments/{appointment.id}/outcome", {"state": "completed"},
                         follow_redirects=True)
    assert "Appointment recorded as completed." in text(response)
    post_form(hr, url, url + "/notes", {"hr_notes": "Talked about shift patterns."})
    response = post_form(hr, url, url + "/follow-up", {"next_follow_up_on": "2030-03-20"}, follow_redirects=True)
    assert "Next follow-up set for 2030-03-20." in text(response) and "Talked about shift patterns." in text(response)
    response = post_form(hr, url, url + "/close", follow_redirects=True)
    assert "Case closed." in text(response)
    case = session.get(CounselingCase, case_id)
    session.refresh(case)
    session.refresh(appointment)
    assert (case.status, case.next_follow_up_on, appointment.state) == ("closed", date(2030, 3, 20), "completed")
    assert case.hr_notes_ciphertext is not None


def test_closing_with_an_open_appointment_is_a_readable_conflict(hr, world):
    case_id = refer(world)
    propose(hr, case_id, local_input(NOW + timedelta(days=1), hr_zone(world)))
    url = f"/console/hr/cases/{case_id}"
    response = post_form(hr, url, url + "/close")
    assert response.status_code == 409 and 'class="error-summary"' in text(response)
    assert "Cancel or record the case&#39;s open appointments first." in text(response)


def test_an_unknown_outcome_is_refused_on_the_page(hr, world):
    case_id = refer(world)
    url = f"/console/hr/cases/{case_id}"
    response = post_form(hr, url, f"{url}/appointments/x/outcome", {"state": "accepted"})
    assert response.status_code == 422 and "Choose cancelled, completed or no-show." in text(response)


def test_a_case_hr_may_not_see_is_a_not_found_page(hr, world):
    response = hr.get(f"/console/hr/cases/{world.ids['agent']}")
    assert response.status_code == 404 and heading(response) == "Not found"


def test_case_pages_are_hr_only(app, world, pinned):
    case_id = refer(world)
    supervisor = browser(app)
    sign_in(supervisor, world.emails["supervisor"])
    response = supervisor.get(f"/console/hr/cases/{case_id}")
    assert response.status_code == 403 and "Calls are wearing me down" not in text(response)


def test_an_unreadable_new_time_is_shown_on_that_appointments_form(hr, world, session):
    case_id = refer(world)
    propose(hr, case_id, local_input(NOW + timedelta(days=2), hr_zone(world)))
    appointment = session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).one()
    url = f"/console/hr/cases/{case_id}"
    response = post_form(hr, url, f"{url}/appointments/{appointment.id}/reschedule",
                         {"starts_at": "", "duration_minutes": "45"})
    assert response.status_code == 422
    assert re.search(rf'id="reschedule-{appointment.id}-starts_at-error">.*Enter a date and time', text(response), re.S)


def test_case_page_in_chinese(hr, world):
    case_id = refer(world)
    url = f"/console/hr/cases/{case_id}"
    post_form(hr, url, "/console/language", {"lang": "zh-CN"})
    page = text(hr.get(url))
    assert "员工主动求助" in page and "工作压力" in page and "个案已开启" in page and "提议预约" in page

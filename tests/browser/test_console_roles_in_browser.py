"""The HR, supervisor-trends and questionnaire pages in a real browser: booking and closing, charts, toggling."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import PASSWORD
from tests.trends.helpers import AFTER_MARCH, SINCE, add_snapshot, make_agent
from wellbeing.models import CounselingAppointment, CounselingCase, OrgInstrument, Organization, Team
from wellbeing.trends.release import release_due_periods

IMAGES_LOADED = ("return Array.from(document.querySelectorAll('img.chart'))"
                 ".every(img => img.complete && img.naturalWidth > 0)")


def _set(page, field_id: str, value: str) -> None:
    """Type into a date-time field the way every browser accepts (its typed format depends on the locale)."""
    page.driver.execute_script("document.getElementById(arguments[0]).value = arguments[1]", field_id, value)


def _confirming(page) -> None:
    """Answer the page's "are you sure?" prompts with yes."""
    page.driver.execute_script("window.confirm = function () { return true; }")


def test_hr_books_an_appointment_and_closes_the_case(page, world, session):
    case_id = world.client.post("/api/v1/me/counseling", headers=world.as_("agent"),
                                json={"reason_category": "workload", "reason": "Too many night shifts"}).json["id"]
    zone = world.client.get("/api/v1/me", headers=world.as_("hr")).json["timezone"]
    starts = (now_utc() + timedelta(days=3)).replace(second=0, microsecond=0)
    page.sign_in(world.emails["hr"], PASSWORD)
    page.press("Cases", within="nav")
    assert page.heading() == "Counseling cases"
    page.press("Agent")
    assert page.heading() == "Case of Agent" and "Too many night shifts" in page.text()
    _set(page, "propose-starts_at", starts.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"))
    page.choose("propose-duration_minutes", "60 minutes")
    page.choose("propose-mode", "Phone")
    page.press("Propose appointment")
    assert page.notices() == ["Appointment proposed. The agent is asked to accept it."]
    assert "Proposed, waiting for the agent" in page.text() and "60 minutes, Phone" in page.text()
    page.screenshot("hr-appointment-proposed")
    appointment = session.scalars(select(CounselingAppointment).where(CounselingAppointment.case_id == case_id)).one()
    assert (appointment.starts_at, appointment.duration_minutes, appointment.mode) == (starts, 60, "phone")

    _confirming(page)
    page.press("Cancel appointment")
    assert page.notices() == ["Appointment cancelled."]
    _confirming(page)
    page.press("Close case")
    assert page.notices() == ["Case closed."] and page.text('[data-field="status"]') == "Closed"
    assert "Case closed" in page.text('[data-list="history"]')
    page.screenshot("hr-case-closed")
    session.expire_all()
    assert session.get(CounselingCase, case_id).status == "closed"
    assert session.get(CounselingAppointment, appointment.id).state == "cancelled"


def test_hr_reads_the_organization_trends(page, world):
    page.sign_in(world.emails["hr"], PASSWORD)
    page.press("Organization trends", within="nav")
    assert page.heading() == "Organization trends" and "The whole organization" in page.text()
    page.screenshot("hr-organization-trends")


def _publish(world, session) -> None:
    org = session.get(Organization, world.org_id)
    team = session.get(Team, world.team_a)
    for _ in range(12):
        agent = make_agent(session, org, team, since=SINCE - timedelta(hours=8))
        add_snapshot(session, agent, SINCE - timedelta(hours=8), 55.0)
    session.commit()
    release_due_periods(session, org.id, AFTER_MARCH)


def test_supervisor_views_the_team_charts_but_not_another_team(page, world, session):
    _publish(world, session)
    page.sign_in(world.emails["supervisor"], PASSWORD)
    page.press("See the trends of Team A")
    assert page.heading() == "Team A"
    WebDriverWait(page.driver, 20).until(lambda driver: driver.execute_script(IMAGES_LOADED))
    charts = page.driver.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(charts) == 3 and all(int(chart.get_attribute("naturalWidth")) > 0 for chart in charts)
    assert len(page.driver.find_elements(By.CSS_SELECTOR, '[data-series="table-burnout_risk"] tbody tr')) == 3
    assert "How these numbers protect your team" in page.text()
    page.screenshot("supervisor-team-trends")
    page.open(f"/console/supervisor/teams/{world.team_b}")
    assert page.heading() == "Not found" and "Team B" not in page.text()
    page.open(f"/console/supervisor/teams/{world.team_b}/charts/burnout_risk.svg")
    assert page.heading() == "Not found"


def test_admin_toggles_a_questionnaire(page, world, session):
    page.sign_in(world.emails["admin"], PASSWORD)
    page.press("Questionnaires", within="nav")
    card = '[data-instrument="phq4"]'
    assert page.text(f"{card} [data-field=enabled]") == "Offered"
    page.click_and_wait(page.driver.find_element(By.CSS_SELECTOR, f"{card} button"))
    assert page.text(f"{card} [data-field=enabled]") == "Not offered"
    assert len(page.notices()) == 1 and page.notices()[0].endswith("is no longer offered.")
    page.screenshot("admin-questionnaire-off")
    stored = session.scalar(select(OrgInstrument.enabled).where(OrgInstrument.org_id == world.org_id,
                                                                OrgInstrument.instrument_id == "phq4"))
    assert stored is False
    page.click_and_wait(page.driver.find_element(By.CSS_SELECTOR, f"{card} button"))
    assert page.text(f"{card} [data-field=enabled]") == "Offered"


def test_hr_and_supervisor_pages_fit_a_tablet_without_sideways_scrolling(page, world, session):
    _publish(world, session)
    case_id = world.client.post("/api/v1/me/counseling", headers=world.as_("agent"), json={}).json["id"]
    page.driver.set_window_size(820, 1180)
    for key, paths in (("hr", ("/console/hr/", "/console/hr/cases", f"/console/hr/cases/{case_id}", "/console/trends")),
                       ("supervisor", (f"/console/supervisor/teams/{world.team_a}",))):
        page.sign_in(world.emails[key], PASSWORD)
        for path in paths:
            page.open(path)
            overflow = page.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
        page.press("Sign out", within="header")
    page.screenshot("tablet-supervisor-team")

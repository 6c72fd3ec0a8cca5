"""The console in a real browser: each role's sign-in, an admin's work, language, sign-out, CSRF and expiry."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from tests.conftest import now_utc
from tests.helpers import PASSWORD
from wellbeing.models import Team, User


def test_admin_signs_in_to_the_teams_page(page, world):
    page.sign_in(world.emails["admin"], PASSWORD)
    assert page.path == "/console/admin/teams" and page.heading() == "Teams"
    assert "Team A" in page.text() and "Team B" in page.text()
    assert [a.text for a in page.driver.find_elements(By.CSS_SELECTOR, ".site-header nav a")] == [
        "Teams", "Users", "API keys", "Settings", "Questionnaires", "Single sign-on", "Organization trends"]
    page.screenshot("sign-in-admin")


def test_supervisor_signs_in_to_their_teams(page, world):
    page.sign_in(world.emails["supervisor"], PASSWORD)
    assert page.path == "/console/supervisor/" and page.heading() == "My teams"
    assert "Team A" in page.text() and "Team B" not in page.text()
    assert "How these numbers protect your team" in page.text()
    page.screenshot("sign-in-supervisor")


def test_hr_signs_in_to_the_overview(page, world):
    page.sign_in(world.emails["hr"], PASSWORD)
    assert page.path == "/console/hr/" and page.heading() == "HR overview"
    assert "Counseling cases" in page.text() and "Help lines" in page.text()
    page.screenshot("sign-in-hr")


def test_agent_is_told_to_use_the_phone_app(page, world):
    page.sign_in(world.emails["agent"], PASSWORD)
    assert page.path == "/console/for-agents" and page.heading() == "Use the phone app"
    assert "This console is for supervisors, HR and administrators." in page.text()
    assert not page.driver.find_elements(By.CSS_SELECTOR, ".account")
    page.screenshot("sign-in-agent")


def test_wrong_password_is_explained_on_the_form(page, world):
    page.sign_in(world.emails["admin"], "not the password")
    assert page.heading() == "Sign in"
    assert "That e-mail and password do not match an account." in page.text(".error-summary")
    assert page.driver.switch_to.active_element.get_attribute("class") == "error-summary"
    page.screenshot("sign-in-wrong-password")


def test_supervisor_cannot_reach_another_team_by_editing_the_url(page, world):
    page.sign_in(world.emails["supervisor"], PASSWORD)
    page.press("Team A")
    assert page.heading() == "Team A"
    page.open(f"/console/supervisor/teams/{world.team_b}")
    assert page.heading() == "Not found" and "Team B" not in page.text()
    page.screenshot("supervisor-other-team")


def test_admin_creates_a_user_and_moves_them_to_another_team(page, world, session):
    page.sign_in(world.emails["admin"], PASSWORD)
    page.press("Users", within="nav")
    page.fill("user-name", "Mei Lin")
    page.fill("user-email", "mei.lin@a.test")
    page.choose("user-role", "Agent")
    page.choose("user-team_id", "Team A")
    page.fill("user-password", "a long enough password")
    page.press("Create user")
    assert page.heading() == "Mei Lin"
    assert page.notices() == ["User mei.lin@a.test created."]
    assert page.text('[data-field="team"]') == "Team A"
    page.choose("change-team_id", "Team B")
    page.press("Move")
    assert page.notices() == ["Mei Lin has moved."]
    assert page.text('[data-field="team"]') == "Team B"
    page.screenshot("admin-user-moved")
    user = session.scalar(select(User).where(User.email == "mei.lin@a.test"))
    assert (user.org_id, user.role, user.team_id) == (world.org_id, "agent", world.team_b)


def test_language_switch_changes_every_label_and_stays(page, world):
    page.open("/console/")
    page.press("简体中文", within="header")
    assert page.heading() == "登录"
    assert page.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    page.sign_in(world.emails["admin"], PASSWORD)
    assert page.heading() == "团队"
    assert [a.text for a in page.driver.find_elements(By.CSS_SELECTOR, ".site-header nav a")] == [
        "团队", "用户", "API 密钥", "设置", "问卷", "单点登录", "组织趋势"]
    page.screenshot("language-zh-CN")
    page.press("English", within="header")
    assert page.heading() == "Teams" and page.path == "/console/admin/teams"


def test_sign_out_returns_to_sign_in_and_closes_the_pages(page, world):
    page.sign_in(world.emails["hr"], PASSWORD)
    page.press("Sign out", within="header")
    assert page.heading() == "Sign in" and page.notices() == ["You have signed out."]
    page.screenshot("signed-out")
    page.open("/console/hr/")
    assert page.heading() == "Sign in"


def test_a_form_posted_without_its_csrf_token_is_refused(page, world, session):
    page.sign_in(world.emails["admin"], PASSWORD)
    page.fill("team-name", "Forged")
    page.driver.execute_script(
        "document.querySelector('form[action=\"/console/admin/teams\"] input[name=csrf_token]').remove()")
    page.press("Create team")
    assert page.heading() == "The request could not be understood"
    assert "This form has expired or did not come from this console." in page.text()
    page.screenshot("csrf-refused")
    assert session.scalar(select(Team.id).where(Team.name == "Forged")) is None


def test_an_expired_session_is_sent_back_to_sign_in(page, world):
    page.sign_in(world.emails["supervisor"], PASSWORD)
    assert page.heading() == "My teams"
    with time_machine.travel(now_utc() + timedelta(minutes=31)):
        page.open("/console/supervisor/")
        assert page.heading() == "Sign in"
        assert page.notices() == ["Your session expired. Please sign in again."]
        page.screenshot("session-expired")


def test_keyboard_users_can_skip_to_the_content(page, world):
    page.sign_in(world.emails["admin"], PASSWORD)
    body = page.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = page.driver.switch_to.active_element
    assert skip.text == "Skip to main content"
    skip.send_keys(Keys.ENTER)
    assert page.driver.switch_to.active_element.get_attribute("id") == "main"


def test_pages_fit_a_tablet_without_sideways_scrolling(page, world):
    page.driver.set_window_size(820, 1180)
    page.sign_in(world.emails["admin"], PASSWORD)
    for path in ("/console/admin/teams", "/console/admin/users", "/console/admin/settings", "/console/admin/api-keys"):
        page.open(path)
        overflow = page.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (path, overflow)
    page.screenshot("tablet-admin-api-keys")

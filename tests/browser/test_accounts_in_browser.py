"""Accounts in a real browser: invite, accept and sign in; forgot password, reset and sign in; a deactivated
user's console session ends."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.helpers import PASSWORD
from tests.org.accounts_helpers import mailed_links

NEW_PASSWORD = "a brand new passphrase"


def _link_path(session, email: str, page_name: str) -> str:
    """The path and query of the newest mailed link to that console page (the host is PUBLIC_BASE_URL's)."""
    link = [link for link, kind, _ in mailed_links(session, email) if kind == page_name][-1]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _choose(page, prefix: str, password: str = NEW_PASSWORD) -> None:
    page.fill(f"{prefix}-new_password", password)
    page.fill(f"{prefix}-new_password_again", password)


def test_admin_invites_a_supervisor_who_accepts_and_signs_in(page, world, session):
    page.sign_in(world.emails["admin"], PASSWORD)
    page.open("/console/admin/users")
    page.fill("user-name", "Invited Supervisor")
    page.fill("user-email", "invited@a.test")
    page.choose("user-role", "Supervisor")
    page.press("Create user")  # no password: an invitation is mailed
    assert page.heading() == "Invited Supervisor" and "Invited" in page.text()
    page.press("Sign out", within="header")
    page.open(_link_path(session, "invited@a.test", "accept-invitation"))
    assert page.heading() == "Choose your password"
    _choose(page, "accept")
    page.submit("/console/accept-invitation")
    assert page.path == "/console/supervisor/" and page.heading() == "My teams"
    page.screenshot("accounts-invitation-accepted")
    page.press("Sign out", within="header")
    page.sign_in("invited@a.test", NEW_PASSWORD)
    assert page.path == "/console/supervisor/"


def test_forgotten_password_is_reset_through_the_mailed_link(page, world, session):
    page.open("/console/")
    page.press("Forgot your password?")
    page.fill("forgot-email", world.emails["hr"])
    page.submit("/console/forgot-password")
    assert "a link to choose a new password is on its way" in page.text()
    page.open(_link_path(session, world.emails["hr"], "reset-password"))
    _choose(page, "reset")
    page.submit("/console/reset-password")
    assert "Your password is changed. Sign in with it." in " ".join(page.notices()) + page.text()
    page.sign_in(world.emails["hr"], NEW_PASSWORD)
    assert page.path == "/console/hr/"
    page.screenshot("accounts-password-reset")


def test_deactivation_signs_the_user_out_of_the_console(page, world):
    page.sign_in(world.emails["supervisor"], PASSWORD)
    assert page.path == "/console/supervisor/"
    response = world.client.post(f"/api/v1/users/{world.ids['supervisor']}/deactivate", headers=world.as_("admin"))
    assert response.status_code == 200
    page.open("/console/supervisor/")
    assert page.heading() == "Sign in"
    page.sign_in(world.emails["supervisor"], PASSWORD)
    assert page.heading() == "Sign in" and "That e-mail and password do not match an account." in page.text()

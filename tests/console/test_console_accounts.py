"""Account pages of the console: invitation and reset links, forgotten passwords, first and later password changes,
and the admin's invite, resend, reset, deactivate and reactivate."""
from __future__ import annotations

from sqlalchemy import select

from tests.console.helpers import browser, csrf_of, heading, post_form, sign_in, text
from tests.helpers import PASSWORD, TEMPORARY_PASSWORD
from tests.org.accounts_helpers import last_token
from wellbeing.models import AccessLogEntry, AuthSession, User

NEW_PASSWORD = "a brand new passphrase"


def _invite(world, role="supervisor", email="new@a.test"):
    response = world.client.post("/api/v1/users", headers=world.as_("admin"),
                                 json={"email": email, "name": "New Person", "role": role})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _set(client, url, action, new=NEW_PASSWORD, again=None, follow_redirects=False, **fields):
    return post_form(client, url, action, {"new_password": new, "new_password_again": again or new, **fields},
                     follow_redirects=follow_redirects)


def test_the_sign_in_page_links_to_forgot_password_and_get_sign_in_is_not_405(app):
    client = browser(app)
    assert 'href="/console/forgot-password"' in text(client.get("/console/"))
    response = client.get("/console/sign-in")
    assert response.status_code in (302, 303) and response.headers["Location"].startswith("/console/")


def test_an_invitation_link_opens_a_page_that_sets_the_password_and_signs_in(app, world, session):
    _invite(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    client = browser(app)
    url = f"/console/accept-invitation?token={token}"
    page = client.get(url)
    assert page.status_code == 200 and heading(page) == "Choose your password"
    response = _set(client, url, "/console/accept-invitation", token=token)
    assert response.status_code in (302, 303)
    assert heading(client.get("/console/", follow_redirects=True)) != "Sign in"
    assert sign_in(browser(app), "new@a.test", NEW_PASSWORD).status_code in (302, 303)


def test_a_used_invitation_link_says_so(app, world, session):
    _invite(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    url = f"/console/accept-invitation?token={token}"
    _set(browser(app), url, "/console/accept-invitation", token=token)
    again = _set(browser(app), url, "/console/accept-invitation", token=token)
    assert again.status_code == 400 and "This link is no longer valid" in text(again)


def test_mismatched_and_weak_new_passwords_are_shown_on_the_form(app, world, session):
    _invite(world)
    token = last_token(session, "new@a.test", "accept-invitation")
    url = f"/console/accept-invitation?token={token}"
    differ = _set(browser(app), url, "/console/accept-invitation", again="something else entirely", token=token)
    assert differ.status_code == 422 and "The two passwords differ." in text(differ)
    weak = _set(browser(app), url, "/console/accept-invitation", new="password123", token=token)
    assert weak.status_code == 422 and "This password is too common" in text(weak)
    assert session.get(User, session.scalar(select(User.id).where(User.email == "new@a.test"))).password_hash is None


def test_forgot_password_then_reset_link_then_sign_in(app, world, session):
    client = browser(app)
    sent = post_form(client, "/console/forgot-password", "/console/forgot-password", {"email": world.emails["hr"]})
    unknown = post_form(browser(app), "/console/forgot-password", "/console/forgot-password", {"email": "nobody@a.test"})
    assert sent.status_code == unknown.status_code == 200
    assert text(sent).replace(world.emails["hr"], "X") == text(unknown).replace("nobody@a.test", "X").replace(
        csrf_of(unknown), csrf_of(sent))
    token = last_token(session, world.emails["hr"], "reset-password")
    url = f"/console/reset-password?token={token}"
    assert heading(client.get(url)) == "Choose a new password"
    done = _set(client, url, "/console/reset-password", token=token, follow_redirects=True)
    assert "Your password is changed. Sign in with it." in text(done)
    assert sign_in(browser(app), world.emails["hr"], NEW_PASSWORD).status_code in (302, 303)


def test_a_temporary_password_leads_to_choosing_ones_own(app, world):
    world.client.post("/api/v1/users", headers=world.as_("admin"),
                      json={"email": "temp@a.test", "name": "Temp", "role": "hr", "password": TEMPORARY_PASSWORD})
    client = browser(app)
    page = sign_in(client, "temp@a.test", TEMPORARY_PASSWORD)
    assert page.status_code == 403 and heading(page) == "Choose your own password"
    response = post_form(client, "/console/", "/console/first-password", {
        "email": "temp@a.test", "password": TEMPORARY_PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD})
    assert response.status_code in (302, 303)
    assert client.get("/console/hr/").status_code == 200


def test_a_signed_in_user_changes_their_password_and_other_sessions_end(app, world, session):
    phone = world.login("supervisor")
    client = browser(app)
    sign_in(client, world.emails["supervisor"])
    assert heading(client.get("/console/account/password")) == "Change your password"
    response = _set(client, "/console/account/password", "/console/account/password", follow_redirects=True,
                    password=PASSWORD)
    assert "Your password is changed." in text(response)
    assert world.client.get("/api/v1/me", headers=phone).status_code == 401
    assert client.get("/console/supervisor/").status_code == 200


def test_admin_sees_status_and_deactivates_and_reactivates(app, world, session):
    admin = browser(app)
    sign_in(admin, world.emails["admin"])
    invited = _invite(world, role="agent")
    listing = text(admin.get("/console/admin/users"))
    assert "Invited" in listing and "Active" in listing
    supervisor = browser(app)
    sign_in(supervisor, world.emails["supervisor"])
    url = f"/console/admin/users/{world.ids['supervisor']}"
    done = post_form(admin, url, url + "/deactivate", follow_redirects=True)
    assert "Deactivated" in text(done)
    assert session.get(User, world.ids["supervisor"]).deactivated_at is not None
    # The deactivated supervisor's console session ends on their next request.
    assert supervisor.get("/console/supervisor/").status_code in (302, 303)
    post_form(admin, url, url + "/reactivate", follow_redirects=True)
    assert session.get(User, world.ids["supervisor"]).deactivated_at is None
    resent = post_form(admin, f"/console/admin/users/{invited}", f"/console/admin/users/{invited}/invitation",
                       follow_redirects=True)
    assert "A new invitation is on its way to new@a.test." in text(resent)


def test_admin_sends_a_password_reset_from_the_console(app, world, session):
    admin = browser(app)
    sign_in(admin, world.emails["admin"])
    url = f"/console/admin/users/{world.ids['hr']}"
    done = post_form(admin, url, url + "/password-reset", follow_redirects=True)
    assert f"A password reset e-mail is on its way to {world.emails['hr']}." in text(done)
    assert last_token(session, world.emails["hr"], "reset-password")
    entries = session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_id == world.ids["hr"])).all()
    assert [e.action for e in entries] == ["password_reset"]
    assert session.scalars(select(AuthSession).where(AuthSession.user_id == world.ids["hr"],
                                                     AuthSession.revoked_at.is_(None))).all() == []

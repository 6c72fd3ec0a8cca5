"""Single sign-on in a real browser: the admin connects the provider (test connection, SCIM token), then a
supervisor signs in with their organization through the real OpenID provider and lands on their console."""
from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import PASSWORD
from tests.org.sso_helpers import CLIENT_SECRET


def wait_for(page, url_prefix: str) -> None:
    WebDriverWait(page.driver, 20).until(
        lambda driver: driver.current_url.startswith(url_prefix) and driver.execute_script(
            "return document.readyState") == "complete")


def test_admin_connects_the_provider_and_a_supervisor_signs_in_with_it(page, world, oidc_provider, live_server):
    oidc_provider.clients({"client_id": "console-a", "redirect_uris": [f"{live_server}/api/v1/auth/sso/callback"]})
    oidc_provider.tamper()
    page.sign_in(world.emails["admin"], PASSWORD)
    page.open("/console/admin/sso")
    assert page.heading() == "Single sign-on"
    page.fill("sso-slug", "org-a")
    page.fill("sso-email_domains", "a.test")
    page.fill("sso-issuer", oidc_provider.issuer)
    page.fill("sso-client_id", "console-a")
    page.fill("sso-client_secret", CLIENT_SECRET)
    page.submit("/console/admin/sso")
    assert "Single sign-on settings saved." in " ".join(page.notices())
    assert page.text("#callback-url") == f"{live_server}/api/v1/auth/sso/callback"
    page.press("Test connection")
    assert "Connected" in page.text("#test-result")
    page.press("Create a token")
    assert page.text("#scim-token").startswith("wbscim_")
    assert page.text("#scim-base-url") == f"{live_server}/scim/v2"
    page.screenshot("sso-admin")
    page.press("Sign out", within="header")

    oidc_provider.login_as("Supervisor@a.test")
    page.open("/console/")
    page.fill("sso-org", "supervisor@a.test")
    page.submit("/console/sso/start")
    # The page moves on by itself: to the provider, which signs the person in, back to the service, to the console.
    wait_for(page, f"{live_server}/console/supervisor/")
    assert page.heading() == "My teams"
    page.open("/console/supervisor/")
    assert page.heading() == "My teams"  # the console session holds (no bounce to the sign-in page)
    page.screenshot("sso-signed-in")


def test_an_unknown_person_is_told_to_ask_their_administrator(page, world, oidc_provider, live_server, client):
    oidc_provider.clients({"client_id": "console-a", "redirect_uris": [f"{live_server}/api/v1/auth/sso/callback"]})
    oidc_provider.tamper()
    body = {"slug": "org-a", "issuer": oidc_provider.issuer, "client_id": "console-a", "client_secret": CLIENT_SECRET,
            "email_domains": ["a.test"]}
    assert client.put("/api/v1/org/sso", json=body, headers=world.as_("admin")).status_code == 200
    oidc_provider.login_as("nobody@a.test")
    page.open("/console/")
    page.fill("sso-org", "org-a")
    page.submit("/console/sso/start")
    wait_for(page, f"{live_server}/console/sso/finish")
    assert "There is no account for you here yet." in page.text()
    page.fill("sso-org", "nowhere.example")
    page.submit("/console/sso/start")
    assert "No organization signs in with single sign-on under this name." in page.text()

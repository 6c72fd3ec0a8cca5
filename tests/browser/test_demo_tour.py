"""`make run`'s landing page: the demo logins, and each role's main page reached from them (README screenshots)."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.conftest import now_utc
from wellbeing import demo

ROLE_HOMES = [
    ("admin@demo.example", "Teams", ["Billing", "Escalations", "Front Line", "Retention"]),
    ("supervisor2@demo.example", "My teams", ["Billing", "How these numbers protect your team"]),
    ("hr@demo.example", "HR overview", ["Employee Assistance Programme", "Counseling cases"]),
]
ADMIN_PAGES = [("Users", "admin-users"), ("API keys", "admin-api-keys"), ("Settings", "admin-settings"),
               ("Questionnaires", "admin-questionnaires")]
IMAGES_LOADED = ("return Array.from(document.querySelectorAll('img.chart'))"
                 ".every(img => img.complete && img.naturalWidth > 0)")


def _sign_in_from_the_demo_list(page, email: str) -> None:
    page.open("/console/")
    page.click_and_wait(page.driver.find_element(By.XPATH, f"//tr[td/code[normalize-space(.)='{email}']]//button"))


def test_landing_page_lists_the_demo_logins_and_each_role_signs_in_from_it(page, app, session, monkeypatch):
    demo.seed_demo(session, now_utc())
    monkeypatch.setitem(app.config, "CONSOLE_SHOW_DEMO_LOGINS", True)
    page.open("/")
    assert page.path == "/console/" and page.heading() == "Sign in"
    listed = [cell.text for cell in page.driver.find_elements(By.CSS_SELECTOR, ".demo-logins td code")]
    assert listed == ["admin@demo.example", "hr@demo.example", *[f"supervisor{n}@demo.example" for n in range(1, 5)],
                      "agent1-1@demo.example"]
    assert "demo-password" in page.text(".demo-logins")
    page.screenshot("tour-sign-in")
    for email, heading, shown in ROLE_HOMES:
        _sign_in_from_the_demo_list(page, email)
        assert page.heading() == heading, email
        assert all(text in page.text() for text in shown), email
        page.screenshot(f"tour-{email.split('@')[0]}")
        if email.startswith("admin"):
            for label, name in ADMIN_PAGES:
                page.press(label, within="nav")
                assert page.heading() in (label, "Organization settings")
                page.screenshot(f"tour-{name}")
        if email.startswith("supervisor"):
            page.press("See the trends of Billing")
            WebDriverWait(page.driver, 30).until(lambda driver: driver.execute_script(IMAGES_LOADED))
            assert page.heading() == "Billing" and "Published" in page.text()
            page.screenshot("tour-supervisor-team")
        if email.startswith("hr"):
            page.press("Cases", within="nav")
            page.click_and_wait(page.driver.find_element(By.CSS_SELECTOR, '[data-list="cases"] tbody a'))
            assert page.heading().startswith("Case of") and "History" in page.text()
            page.screenshot("tour-hr-case")
            page.press("Organization trends", within="nav")
            assert "The whole organization" in page.text()
            page.screenshot("tour-hr-trends")
        page.press("Sign out", within="header")


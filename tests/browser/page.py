"""A small page object over Selenium: open, fill, choose, press, read, and save a screenshot artifact."""
from __future__ import annotations

from pathlib import Path

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


class Page:
    """The browser, pointed at the live console."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> "Page":
        self.driver.get(self.base_url + path)
        return self

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def fill(self, field_id: str, value: str) -> None:
        element = self.driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(value)

    def choose(self, field_id: str, visible_text: str) -> None:
        Select(self.driver.find_element(By.ID, field_id)).select_by_visible_text(visible_text)

    def press(self, label: str, within: str = "main") -> None:
        """Click the button or link whose visible text is ``label`` inside the ``within`` element."""
        xpath = (f"//{within}//*[(self::button or self::a) and normalize-space(.)={_literal(label)}]")
        self.click_and_wait(self.driver.find_element(By.XPATH, xpath))

    def submit(self, form_action: str) -> None:
        """Press the submit button of the form posting to ``form_action``."""
        button = self.driver.find_element(By.CSS_SELECTOR, f'form[action="{form_action}"] button[type="submit"]')
        self.click_and_wait(button)

    def click_and_wait(self, element: WebElement) -> None:
        """Click something that loads a new page, and wait until that page has loaded."""
        # A mark on the current window object: it is gone once another document has replaced this one.
        self.driver.execute_script("window.__beforeClick = true")
        element.click()
        wait = WebDriverWait(self.driver, 20, ignored_exceptions=(WebDriverException,))
        wait.until(lambda driver: driver.execute_script(
            "return window.__beforeClick === undefined && document.readyState === 'complete'"))

    def heading(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def text(self, css: str = "main") -> str:
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def notices(self) -> list[str]:
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, ".notice")]

    def sign_in(self, email: str, password: str) -> None:
        self.open("/console/")
        self.fill("signin-email", email)
        self.fill("signin-password", password)
        self.submit("/console/sign-in")

    def screenshot(self, name: str) -> Path:
        """Save the whole page as tests/artifacts/<name>.png (the window grows to the page's height)."""
        ARTIFACTS.mkdir(exist_ok=True)
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, 700)  # measure from a short window, so a page never inherits a tall one
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, height + 140)
        path = ARTIFACTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        return path


def _literal(value: str) -> str:
    return f'"{value}"' if '"' not in value else "concat('" + value.replace("'", "',\"'\",'") + "')"

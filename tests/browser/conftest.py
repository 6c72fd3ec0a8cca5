"""Browser tests: the app under a real HTTP server on 127.0.0.1, driven by Debian's headless Chromium (Selenium).

`make browsers` installs /usr/bin/chromium and /usr/bin/chromedriver; the network is closed, so every
background-networking feature of Chromium is turned off.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.browser.page import Page

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en-US")
LAPTOP = (1280, 860)


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    """One headless Chromium for the run, with a fresh profile."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert Path(path).exists(), f"{path} is missing: run `make browsers` (apt-get install chromium chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    chrome = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture
def page(driver, live_server) -> Page:
    """The browser on the console, with no cookies left from an earlier test and a laptop-sized window."""
    driver.set_window_size(*LAPTOP)
    driver.get(live_server + "/console/for-agents")
    driver.delete_all_cookies()
    return Page(driver, live_server)

"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium, nothing downloaded),
an accessibility check with axe-core on every page, a phone-sized viewport, and screenshots kept as artefacts.

    browser = Browser(base_url)             # a fresh profile: no cookies
    browser.phone()                          # 390 x 844, as a phone
    browser.open("/sign-in", "sign-in")      # loads, saves test-artifacts/screenshots/<test>/<n>-sign-in.png,
                                             # runs axe: AssertionError on a serious or critical violation or on a
                                             # Content-Security-Policy violation in the console
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium_axe_python import Axe

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


class Browser:
    """One headless Chromium with its own profile (cookies, language), closed by `close()`."""

    def __init__(self, base_url: str, *, language: str = "en", test_name: str = "browser",
                 offline: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="dualtrack-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", f"--user-data-dir={self.profile}", f"--lang={language}",
                         "--window-size=1280,900"):
            options.add_argument(argument)
        if offline:  # no name resolves but loopback's: anything from the internet fails to load
            options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(60)
        self.shots = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.checked: list[str] = []

    def phone(self) -> None:
        """A phone's screen: 390 x 844 CSS pixels."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})

    def open(self, path: str, name: str) -> None:
        self.driver.get(self.base_url + path)
        self.page(name)

    def page(self, name: str) -> None:
        """The page now shown: a screenshot, then the accessibility and CSP checks."""
        self.count += 1
        self.driver.save_screenshot(str(self.shots / f"{self.count:02d}-{name}.png"))
        self.check_accessible(name)
        self.check_no_csp_violation(name)
        self.checked.append(name)

    def check_accessible(self, name: str) -> None:
        axe = Axe(self.driver)
        axe.inject()
        results = axe.run(options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
        bad = [f"{v['impact']} {v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})"
               for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        assert bad == [], f"accessibility of page {name!r} ({self.driver.current_url}): {bad}"

    def check_no_csp_violation(self, name: str) -> None:
        logs = [entry["message"] for entry in self.driver.get_log("browser")
                if "Content Security Policy" in entry.get("message", "") or "Refused to" in entry.get("message", "")]
        assert logs == [], f"page {name!r} broke its Content-Security-Policy: {logs}"

    # -- acting like a person ----------------------------------------------------------------------
    def fill(self, label_for: str, text: str) -> None:
        field = self.driver.find_element(By.ID, label_for)
        field.clear()
        field.send_keys(text)

    def click(self, text: str) -> None:
        """Press the button (or follow the link) that says `text`, and wait for the page it leads to."""
        for element in self.driver.find_elements(By.CSS_SELECTOR, "button, a, input[type=submit]"):
            if element.text.strip() == text or element.get_attribute("value") == text:
                self.press(element)
                return
        raise AssertionError(f"nothing to press saying {text!r} on {self.driver.current_url}")

    def press(self, element: Any) -> None:
        """Click, then wait until the next page has replaced this one."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 30, ignored_exceptions=(WebDriverException,)).until(_gone(old))
        WebDriverWait(self.driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def find(self, css: str) -> Any:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def sign_in(self, login: str, password: str) -> None:
        self.open("/sign-in", "sign-in")
        self.fill("login", login)
        self.fill("password", password)
        self.press(self.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def _gone(old: Any) -> Any:
    """Whether the old page's root element is gone: stale, or no longer in any document Chromium knows."""
    def check(_: Any) -> bool:
        try:
            old.is_enabled()
        except (StaleElementReferenceException, WebDriverException):
            return True
        return False

    return check


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER) is not None

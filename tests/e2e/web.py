"""What every browser journey needs beside the browser itself (tests/support/browser.py): the API as a script
talks to it (to set the scene), students placed and invited through it as an admin would, and acting in a page as
a person does (setting a date field, pressing a button and waiting for the next page, ticking a box)."""

from __future__ import annotations

import email as email_parser
import email.policy as email_policy
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dualtrack.demo import person_id
from services.common.identity import Role
from tests.e2e.running import Running
from tests.support.browser import Browser
from toolkit.http.auth import issue_token

WU = ("admin-wu", "wu.ming@dualtrack.example")
RAIL_BASE = "High-Speed Train Maintenance Base"
PASSWORD = "a long enough passphrase"


# -- the API, as a script talks to it ------------------------------------------------------------------------------
class Api:
    """JSON over HTTP to the running deployment's /api/v1."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url + "/api/v1"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None,
             expect: tuple[int, ...] = (200, 201)) -> Any:
        request = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", "Accept": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        assert status in expect, (method, path, status, text[:2000])
        return json.loads(text) if text else None

    def sign_in(self, login: str, password: str) -> str:
        return str(self.call("POST", "/auth/tokens", {"login": login, "password": password})["access_token"])


@dataclass(frozen=True)
class Demo:
    api: Api
    admin: str
    """The demo admin's access token (it lasts 15 minutes: see `fresh_admin`)."""
    admin_password: str
    secret: str
    rail: str
    school: str
    liu: str


def a_student_who_signs_in(demo: Demo, running: Running, name: str, email: str, start: date) -> str:
    """A student placed at the rail base from `start` (as `place_a_second_student`), invited by the admin: the mail
    lands in the deployment's mail catcher, its link sets PASSWORD."""
    student = place_a_second_student(demo, name, start)
    demo.api.call("POST", "/invitations", {"name": name, "email": email, "role": "student", "student_id": student},
                  demo.admin, expect=(201,))
    mailbox = running.data_dir / "mail" / "new"
    deadline = time.monotonic() + 60
    while True:
        for mail in (mailbox.glob("*") if mailbox.exists() else []):
            message = email_parser.message_from_bytes(mail.read_bytes(), policy=email_policy.default)
            text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            found = re.search(r"/invitations/([A-Za-z0-9_-]{20,})", text)
            if message["To"] == email and found:
                demo.api.call("POST", f"/invitations/{found.group(1)}/acceptance", {"password": PASSWORD})
                return student
        assert time.monotonic() < deadline, f"no invitation reached {email} in {mailbox}"
        time.sleep(0.3)


def place_a_second_student(demo: Demo, name: str, start: date) -> str:
    """Through the API: `name`, enrolled at Liu Yang's college (mechatronics), placed at the rail base from `start`
    with Zhao Min as mentor (the admin proposes and approves for school and enterprise, the student confirms with a
    token of their own, the admin activates); returned once the read models the mentor's pages read show it."""
    api, admin = demo.api, demo.admin
    student = api.call("POST", f"/schools/{demo.school}/students", {
        "name": name, "major": "mechatronics", "cohort": 2024, "enrolment_date": "2024-09-01",
        "date_of_birth": "2005-08-08"}, admin)["id"]
    placement = api.call("POST", f"/students/{student}/placements", {
        "centre_id": demo.rail, "start": start.isoformat(), "planned_end": (start + timedelta(days=90)).isoformat(),
        "post": "bogie fitter", "weekly_hours": 40,
        "speciality_override_reason": "mechatronics covers the bogie drive systems"}, admin)["placement_id"]
    path = f"/students/{student}/placements/{placement}"
    api.call("POST", f"{path}/school-approval", {}, admin)
    api.call("POST", f"{path}/enterprise-approval", {"mentor_id": person_id("mentor-zhao")}, admin)
    himself = issue_token(demo.secret, role=Role.STUDENT, subject=str(student), student_id=str(student))
    api.call("POST", f"{path}/confirmation", {}, himself)
    activated = api.call("POST", f"{path}/activation", {"on": start.isoformat()}, admin)
    deadline = time.monotonic() + 60
    while True:
        progress = api.call("GET", f"/students/{student}/progress?wait_for={activated['wait_token']}"
                                   "&wait_timeout=10", token=admin, expect=(200, 404, 503))
        hosted = api.call("GET", f"/centres/{demo.rail}/students", token=admin)
        if (progress and progress.get("current_placement")
                and any(h["student_id"] == str(student) for h in hosted)):
            return str(student)
        assert time.monotonic() < deadline, ("the read models never showed the placement", progress, hosted)
        time.sleep(0.5)


# -- acting in the page --------------------------------------------------------------------------------------------
def set_value(browser: Browser, field_id: str, value: str) -> None:
    """A date or time field set as its picker would (typing into them depends on the browser's locale)."""
    field = browser.driver.find_element(By.ID, field_id)
    browser.driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", field, value)
    assert field.get_attribute("value") == value


def submit(browser: Browser, button: Any) -> None:
    """`Browser.press`, but a page gone mid-question counts as gone: Chromium sometimes answers a question about
    the old page's element during the navigation with "Node with given id does not belong to the document"
    rather than a stale element, which `staleness_of` does not expect."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    button.click()

    def gone(_: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    WebDriverWait(browser.driver, 30).until(gone)
    WebDriverWait(browser.driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(browser: Browser, login: str, password: str) -> None:
    """`Browser.sign_in`, pressing the button with `submit`."""
    browser.open("/sign-in", "sign-in")
    browser.fill("login", login)
    browser.fill("password", password)
    submit(browser, browser.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def tick(browser: Browser, element: Any, on: bool = True) -> None:
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    if element.is_selected() != on:
        element.click()
    assert element.is_selected() == on


def heading(browser: Browser) -> str:
    return str(browser.driver.find_element(By.TAG_NAME, "h1").text.strip())


def html_lang(browser: Browser) -> str:
    return str(browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"))


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()




def demo_of(running: Running) -> Demo:
    """The demo as the admin sees it through the API: the rail base, Liu Yang's college, the signing secret."""
    api = Api(running.base_url)
    admin = api.sign_in(WU[1], running.sign_ins[WU[0]])
    rail = next(c for c in api.call("GET", "/centres?page_size=100", token=admin) if c["name"] == RAIL_BASE)["id"]
    school = next(p["school_id"] for p in api.call("GET", "/placements?page_size=100", token=admin)
                  if p["centre_id"] == rail and p.get("school_id"))  # the demo's college (Liu Yang's)
    secret = (running.data_dir / "keys" / "api-secret").read_text().strip()
    return Demo(api, admin, running.sign_ins[WU[0]], secret, rail, school, "")

"""A mentor's day and a student's look at it, in a real headless Chromium on a phone (390 x 844) against
`dualtrack run` (demo, API, relays to Kafka, projectors), in English and in Chinese.

Zhao Min signs in, logs one shift for two students at once (two students placed at the rail base for this
test through the API), is refused an overlapping slot with the reason in words next to the start field, moves the
slot to the afternoon, signs three entries at once from the sign-off queue and sends the fourth back with a reason.
The first of them, invited by mail, then signs in on her phone and sees the signed hours and the entry sent back on
her progress page (read from the progress read model, which the writes reached through Kafka). Every page is screenshot, checked by axe-core
(no serious or critical violation) and for Content-Security-Policy violations (tests/support/browser.py)."""

from __future__ import annotations

import email as email_parser
import email.policy as email_policy
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dualtrack.demo import person_id
from services.common.identity import Role
from tests.e2e.running import Running, dualtrack_run
from tests.support.browser import Browser
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]

ZHAO = ("mentor-zhao", "zhao.min@crrc.example")
WU = ("admin-wu", "wu.ming@dualtrack.example")
RAIL_BASE = "High-Speed Train Maintenance Base"
PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class Words:
    """What a person reads, in one language (the pages' catalogues: services/*/translations)."""

    locale: str
    html_lang: str
    first_student: str
    """A student placed at the rail base for this journey, who signs in (invited by mail, as any student is)."""
    first_email: str
    second_student: str
    log_practice: str
    queue: str
    my_progress: str
    logged: str
    overlaps: str
    signed: str
    sent_back_to: str
    signed_hours: str
    sent_back_heading: str
    sent_back: str
    reason: str


WORDS = {
    "en": Words(locale="en", html_lang="en", first_student="Tang Wei", first_email="tang.wei@students.qtc.example",
                second_student="Ma Chao", log_practice="Log practice",
                queue="Sign-off queue", my_progress="My progress", logged="Logged for {name}.",
                overlaps="This time overlaps what is already logged on {day}: {times}.",
                signed="Signed: {name}, {day}, {times}.", sent_back_to="Sent back to {name}: {day}, {times}.",
                signed_hours="Signed: {hours} h of the", sent_back_heading="Sent back, to be corrected",
                sent_back="Sent back: {reason}", reason="the afternoon was spent in the paint shop, not on bogies"),
    "zh-CN": Words(locale="zh_CN", html_lang="zh-CN", first_student="Qin Lan",
                   first_email="qin.lan@students.qtc.example", second_student="Song Jia", log_practice="记录实践",
                   queue="待签核", my_progress="我的进度", logged="已为{name}记录。",
                   overlaps="这个时段与 {day} 已记录的实践重叠：{times}。",
                   signed="已签核：{name}，{day} {times}。", sent_back_to="已退回给{name}：{day} {times}。",
                   signed_hours="已签核：{hours} 小时", sent_back_heading="已退回，待更正",
                   sent_back="已退回：{reason}", reason="下午在喷漆车间，没有在转向架上实习"),
}
DAY_BACK = {"en": 1, "zh-CN": 2}
"""How many days before today each language's journey logs: a day of its own, so the two runs never clash."""


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


# -- fixtures ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Running]:
    with dualtrack_run(tmp_path_factory.mktemp("browser-journeys"), kafka_bootstrap) as started:
        yield started


@pytest.fixture(scope="module")
def demo(running: Running) -> Demo:
    api = Api(running.base_url)
    admin = api.sign_in(WU[1], running.sign_ins[WU[0]])
    rail = next(c for c in api.call("GET", "/centres?page_size=100", token=admin) if c["name"] == RAIL_BASE)["id"]
    school = next(p["school_id"] for p in api.call("GET", "/placements?page_size=100", token=admin)
                  if p["centre_id"] == rail and p.get("school_id"))  # the demo's college (Liu Yang's)
    secret = (running.data_dir / "keys" / "api-secret").read_text().strip()
    return Demo(api, admin, running.sign_ins[WU[0]], secret, rail, school, "")


@pytest.fixture
def browsers(running: Running, request: pytest.FixtureRequest) -> Iterator[Any]:
    opened: list[Browser] = []

    def open_one(language: str, who: str) -> Browser:
        browser = Browser(running.base_url, language=language, test_name=f"{request.node.name}-{who}")
        opened.append(browser)
        browser.phone()
        return browser

    yield open_one
    for browser in opened:
        browser.close()


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


def queue_entry(browser: Browser, name: str, day_shown: str, start: str) -> Any:
    """The checkbox of the queued entry of `name` on that day from `start`, found by what its label says."""
    for box in browser.find("#sign-form input[name=entries]"):
        label = folded(browser.driver.find_element(By.CSS_SELECTOR, f"label[for='{box.get_attribute('id')}']").text)
        if label.startswith(name + " ") and f"{day_shown}, {start}" in label:
            return box
    raise AssertionError(f"no entry of {name} on {day_shown} from {start} in the queue: {browser.text()}")


# -- the journey ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_given_a_mentor_on_a_phone_when_she_logs_signs_and_sends_back_then_her_student_sees_it_on_her_phone(
        running: Running, demo: Demo, browsers: Any, language: str) -> None:
    words = WORDS[language]
    demo = replace(demo, admin=demo.api.sign_in(WU[1], demo.admin_password))  # a fresh token
    today = date.today()
    day = today - timedelta(days=DAY_BACK[language])
    shown_day = format_date(day, format="medium", locale=words.locale)
    first = a_student_who_signs_in(demo, running, words.first_student, words.first_email, day - timedelta(days=7))
    second = place_a_second_student(demo, words.second_student, start=day - timedelta(days=7))
    names = {first: words.first_student, second: words.second_student}

    # -- Zhao Min signs in on her phone --
    zhao = browsers(language, "mentor")
    sign_in(zhao, ZHAO[1], running.sign_ins[ZHAO[0]])
    assert zhao.driver.current_url.endswith("/mentor/today"), zhao.driver.current_url
    zhao.page("mentor-today")
    assert html_lang(zhao) == words.html_lang
    assert RAIL_BASE in zhao.text() and words.first_student in zhao.text() and words.second_student in zhao.text()

    # -- one shift for two students at once --
    zhao.open("/mentor/practice", "practice-form")
    assert heading(zhao) == words.log_practice
    fill_practice(zhao, [first, second], day, "08:00", "10:00", "MEC-01", "bogie inspection, both apprentices")
    submit(zhao, zhao.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]:not([name=action])"))
    zhao.page("practice-logged-for-two")
    results = folded(zhao.driver.find_element(By.CSS_SELECTOR, "ul.results").text)
    for name in names.values():
        assert words.logged.format(name=name) in results, results

    # -- an overlapping slot is refused, in words, next to the start --
    fill_practice(zhao, [first, second], day, "09:00", "11:00", "MEC-01", "wheelset change, both apprentices")
    submit(zhao, zhao.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]:not([name=action])"))
    zhao.page("practice-overlap-refused")
    assert heading(zhao) == words.log_practice
    start = zhao.driver.find_element(By.ID, "start")
    assert start.get_attribute("aria-invalid") == "true"
    described = (start.get_attribute("aria-describedby") or "").split()
    assert len(described) == 2, described
    refusal = words.overlaps.format(day=shown_day, times="08:00–10:00")
    beside = [folded(zhao.driver.find_element(By.ID, error_id).text) for error_id in described]
    for name in names.values():
        assert any(name in said and refusal in said for said in beside), (refusal, beside)
    assert "overlapping-entries" not in zhao.driver.page_source, "no codes where a person reads"
    field = zhao.driver.find_element(By.XPATH, "//input[@id='start']/..")
    assert refusal in folded(field.text), "the refusal is said beside the start field"

    # -- moved to the afternoon, the same form logs it for both --
    assert {b.get_attribute("value") for b in zhao.find("input[name=students]") if b.is_selected()} == set(names)
    set_value(zhao, "start", "13:00")
    set_value(zhao, "end", "15:00")
    submit(zhao, zhao.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]:not([name=action])"))
    zhao.page("practice-afternoon-logged")
    results = folded(zhao.driver.find_element(By.CSS_SELECTOR, "ul.results").text)
    assert all(words.logged.format(name=name) in results for name in names.values()), results
    wait_for = parse_qs(urlparse(zhao.driver.current_url).query)["wait_for"][0]
    signed_before = demo.api.call("GET", f"/students/{first}/progress?wait_for={wait_for}&wait_timeout=10",
                                  token=demo.admin)["signed_hours"]

    # -- three signed at once from the sign-off queue, the fourth sent back with a reason --
    zhao.open("/mentor/queue", "queue")
    assert heading(zhao) == words.queue
    to_sign = [queue_entry(zhao, words.first_student, shown_day, "08:00"),
               queue_entry(zhao, words.second_student, shown_day, "08:00"),
               queue_entry(zhao, words.second_student, shown_day, "13:00")]
    for box in to_sign:
        tick(zhao, box)
    submit(zhao, zhao.driver.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]"))
    zhao.page("queue-three-signed")
    results = folded(zhao.driver.find_element(By.CSS_SELECTOR, "ul.results").text)
    for name, times in ((words.first_student, "08:00–10:00"), (words.second_student, "08:00–10:00"),
                        (words.second_student, "13:00–15:00")):
        assert words.signed.format(name=name, day=shown_day, times=times) in results, results
    assert len(zhao.find("ul.results li.done")) == 3
    key = queue_entry(zhao, words.first_student, shown_day, "13:00").get_attribute("value")
    form = zhao.driver.find_element(By.XPATH, f"//form[contains(@class, 'reject')][.//input[@value='{key}']]")
    reason = form.find_element(By.TAG_NAME, "textarea")
    zhao.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", reason)
    reason.send_keys(words.reason)
    submit(zhao, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    zhao.page("queue-one-sent-back")
    results = folded(zhao.driver.find_element(By.CSS_SELECTOR, "ul.results").text)
    assert words.sent_back_to.format(name=words.first_student, day=shown_day, times="13:00–15:00") in results, results
    left = " ".join(folded(label.text) for label in zhao.find("#sign-form label"))
    assert f"{shown_day}, 08:00" not in left and f"{shown_day}, 13:00" not in left, "none of the four awaits"

    # -- the student, on her phone, sees the hours signed and the entry sent back --
    liu = browsers(language, "student")
    sign_in(liu, words.first_email, PASSWORD)
    assert liu.driver.current_url.endswith("/student"), liu.driver.current_url
    signed = words.signed_hours.format(hours=format_decimal(signed_before + 2, locale=words.locale))
    deadline = time.monotonic() + 30
    for attempt in range(1, 100):  # the page reads the read model: should Kafka lag, she reloads
        liu.page(f"student-progress-{attempt}")
        summary = folded(liu.driver.find_element(By.CSS_SELECTOR, "ul.summary").text)
        if signed in summary and words.reason in liu.text():
            break
        assert time.monotonic() < deadline, f"{signed!r} and the reason never showed: {summary} / {liu.text()}"
        time.sleep(1)
        liu.driver.get(running.base_url + "/student")
    assert heading(liu) == words.my_progress and html_lang(liu) == words.html_lang
    page = folded(liu.text())
    assert words.sent_back_heading in page
    assert f"{shown_day}, 13:00–15:00" in page and words.sent_back.format(reason=words.reason) in page
    assert f"{shown_day}, 08:00–10:00" not in page, "the signed entry no longer awaits anything"


def fill_practice(browser: Browser, students: list[str], day: date, start: str, end: str, competency: str,
                  description: str) -> None:
    for box in browser.find("input[name=students]"):
        tick(browser, box, box.get_attribute("value") in students)
    set_value(browser, "day", day.isoformat())
    set_value(browser, "start", start)
    set_value(browser, "end", end)
    tick(browser, browser.driver.find_element(By.CSS_SELECTOR, f"input[name=competencies][value='{competency}']"))
    browser.fill("description", description)

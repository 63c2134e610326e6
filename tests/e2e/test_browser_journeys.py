"""A mentor's day and a student's look at it, in a real headless Chromium on a phone (390 x 844) against
`dualtrack run` (demo, API, relays to Kafka, projectors), in English and in Chinese.

Zhao Min signs in, logs one shift for two students at once (two students placed at the rail base for this
test through the API), is refused an overlapping slot with the reason in words next to the start field, moves the
slot to the afternoon, signs three entries at once from the sign-off queue and sends the fourth back with a reason.
The first of them, invited by mail, then signs in on her phone and sees the signed hours and the entry sent back on
her progress page (read from the progress read model, which the writes reached through Kafka). Every page is screenshot, checked by axe-core
(no serious or critical violation) and for Content-Security-Policy violations (tests/support/browser.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from selenium.webdriver.common.by import By

from tests.e2e.running import Running, dualtrack_run
from tests.e2e.web import (
    PASSWORD,
    RAIL_BASE,
    WU,
    Demo,
    a_student_who_signs_in,
    demo_of,
    folded,
    heading,
    html_lang,
    place_a_second_student,
    set_value,
    sign_in,
    submit,
    tick,
)
from tests.support.browser import Browser

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]

ZHAO = ("mentor-zhao", "zhao.min@crrc.example")


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


# -- fixtures ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Running]:
    with dualtrack_run(tmp_path_factory.mktemp("browser-journeys"), kafka_bootstrap) as started:
        yield started


@pytest.fixture(scope="module")
def demo(running: Running) -> Demo:
    return demo_of(running)


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


# -- acting in the page ----------------------------------------------------------------------------------------
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

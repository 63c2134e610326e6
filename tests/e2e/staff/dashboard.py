"""The coordinator's dashboard journey: a student whose entries stopped is red on Chen Jing's dashboard, with the
reason in words; once the mentor logs and signs today's practice, the student is green.

The scene is set through the API, with dates relative to today so that it runs on any day, weekends included (no
practice rule forbids a Saturday; the dashboard counts Monday to Friday only): the admin enrols "Fang Yu" at the
Qingdao college (default rule set: the mentor's signature is the last, a 14-day edit window) and places them at the
rail base from twelve days ago until long after (so that the hours expected by today stay under what is logged:
behind schedule would be amber), with Zhao Min as mentor. Zhao Min logs and signs four hours on each of the first two
days (inside the edit window, no published plan putting the student at school); the ten days since hold at least six
working days, more than the dashboard's three: red. Then Zhao Min logs and signs four hours today: green.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from selenium.webdriver.common.by import By

from dualtrack.demo import person_id
from services.common.identity import Role
from tests.e2e.staff import Site
from tests.e2e.web import folded, heading, submit
from tests.support.browser import Browser
from toolkit.http.auth import issue_token

PAGES: list[tuple[str, str]] = [
    ("/coordinator", "coordinator-chen"),
    ("/coordinator?light=amber&cohort=2024&class=mechatronics", "coordinator-chen"),
    ("/coordinator/students/{Liu Yang}", "coordinator-chen"),
    ("/coordinator/exports", "coordinator-chen"),
    ("/coordinator/exports?cohort=2024", "coordinator-chen"),
]
"""The pages of this part: (path, handle of who opens it)."""

NAME = "Fang Yu"
WAIT = 90.0
"""Seconds the dashboard is given to show a write (relays, Kafka and the projector in between)."""


def _placed(site: Site, start: date) -> str:
    """NAME enrolled at Liu Yang's college and placed at the rail base from `start` for two years (through the API
    as the admin; the student confirms with a token of their own)."""
    demo = site.demo
    student = site.api("POST", f"/schools/{demo.school}/students", {
        "name": NAME, "major": "mechatronics", "cohort": 2024, "enrolment_date": "2024-09-01",
        "date_of_birth": "2005-06-06"})["id"]
    placement = site.api("POST", f"/students/{student}/placements", {
        "centre_id": demo.rail, "start": start.isoformat(), "planned_end": (start + timedelta(days=700)).isoformat(),
        "post": "bogie fitter", "weekly_hours": 40,
        "speciality_override_reason": "mechatronics covers the bogie drive systems",
        "capacity_override_justification": "the dashboard's journey"})["placement_id"]
    path = f"/students/{student}/placements/{placement}"
    site.api("POST", f"{path}/school-approval", {})
    site.api("POST", f"{path}/enterprise-approval", {"mentor_id": person_id("mentor-zhao")})
    himself = issue_token(demo.secret, role=Role.STUDENT, subject=str(student), student_id=str(student))
    demo.api.call("POST", f"{path}/confirmation", {}, himself)
    site.api("POST", f"{path}/activation", {"on": start.isoformat()})
    return str(student)


def _logged_and_signed(site: Site, student: str, day: date, start: str, end: str) -> None:
    """Zhao Min logs a slot of `day` and signs it (through the API)."""
    logged = site.api("POST", f"/students/{student}/practice-entries", {
        "day": day.isoformat(), "start": start, "end": end, "competencies": ["MEC-01"],
        "description": f"bogie inspection {day.isoformat()}"}, as_="mentor-zhao", expect=(201,))
    site.api("POST", f"/students/{student}/practice-entries/{logged['entry_id']}/sign-off", {}, as_="mentor-zhao")


def _row(browser: Browser, student: str) -> Any:
    """The dashboard's row of the student (None when it is not on the page)."""
    for row in browser.find("table.cohort tbody tr"):
        if row.find_elements(By.CSS_SELECTOR, f"a[href='/coordinator/students/{student}']"):
            return row
    return None


def _until_shown(browser: Browser, path: str, student: str, light: str, name: str) -> str:
    """Reload `path` until the student's row shows `light` (bounded); its text."""
    deadline = time.monotonic() + WAIT
    while True:
        browser.open(path, name)
        row = _row(browser, student)
        seen = folded(row.text) if row is not None else ""
        if row is not None and row.find_elements(By.CSS_SELECTOR, f".light.light-{light}"):
            return seen
        assert time.monotonic() < deadline, (f"{NAME} never showed {light}", seen or folded(browser.text()))
        time.sleep(1.0)


def journey(site: Site) -> None:
    today = date.today()
    start = today - timedelta(days=12)
    student = _placed(site, start)
    for day in (start, start + timedelta(days=1)):
        _logged_and_signed(site, student, day, "08:00", "12:00")
    rail = site.demo.rail

    # -- Chen Jing signs in: the dashboard is her home page; the student is red, with the reason --
    chen = site.browser("coordinator-chen")
    assert chen.driver.current_url.rstrip("/").endswith("/coordinator"), chen.driver.current_url
    chen.page("dashboard-home")
    assert heading(chen) == "Cohort dashboard"
    assert "What the lights mean" in chen.text()
    red = _until_shown(chen, f"/coordinator?centre={rail}&light=red", student, "red", "dashboard-red")
    assert NAME in red and "Red" in red, red
    assert "No entry for" in red and "working days (the last on" in red, red

    # -- she narrows the list with the form, then opens the student in one click --
    chen.open("/coordinator", "dashboard-unfiltered")
    chen.driver.find_element(By.CSS_SELECTOR, f"#centre option[value='{rail}']").click()
    chen.driver.find_element(By.CSS_SELECTOR, "#light option[value='red']").click()
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    chen.page("dashboard-filtered-red")
    row = _row(chen, student)
    assert row is not None, folded(chen.text())
    submit(chen, row.find_element(By.CSS_SELECTOR, f"a[href='/coordinator/students/{student}']"))
    chen.page("dashboard-student")
    assert heading(chen) == NAME
    assert "High-Speed Train Maintenance Base" in chen.text() and "Logbook" in chen.text()

    # -- Zhao Min logs and signs today's practice; the dashboard turns the student green --
    _logged_and_signed(site, student, today, "08:00", "12:00")
    green = _until_shown(chen, f"/coordinator?centre={rail}", student, "green", "dashboard-green")
    assert NAME in green and "Green" in green and "Nothing to act on" in green, green

"""The teacher's journey: five entries of one student await the school's countersignature, and the teacher
countersigns them at once from the queue.

The school must be one whose rule set asks for a countersignature: the demo's Shenzhen Polytechnic (rule set
cn-vocational-internship), where Lin Hui teaches. (Qingdao's college, Gao Yan's, follows the default rule set, under
which the mentor's signature is the last: its entries never await a teacher.) The scene is set through the API: a
student of that school placed at the rail base from ten days ago (`place_a_second_student`, with Zhao Min as mentor),
five slots of yesterday logged and signed by Zhao Min (inside the 7-day edit window, 5 h of the 8-hour day, no two at
once, no published plan putting the student at school). Dates are relative to today, so it runs on any day.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

from selenium.webdriver.common.by import By

from tests.e2e.staff import Site
from tests.e2e.web import folded, heading, place_a_second_student, submit, tick

PAGES: list[tuple[str, str]] = [
    ("/teacher/queue", "teacher-gao"),
    ("/teacher/assessments", "teacher-gao"),
    ("/teacher/assessments?student={Liu Yang}", "teacher-gao"),
    ("/coordinator/practice-upload", "coordinator-chen"),
    ("/admin/catalogues", "admin-wu"),
    ("/admin/catalogues/mechatronics", "admin-wu"),
]
"""The pages of this part: (path, handle of who opens it). The queue with entries in it is opened by the journey."""

NAME = "Wen Qiang"
SLOTS = [("08:00", "09:00"), ("09:15", "10:15"), ("10:30", "11:30"), ("13:00", "14:00"), ("14:15", "15:15")]


def _countersigning_school(site: Site) -> str:
    """The demo school whose rule set asks the school to countersign (found through the API, as an admin)."""
    schools = {p["school_id"] for p in site.api("GET", "/placements?page_size=100") if p.get("school_id")}
    for school in sorted(schools):
        if site.api("GET", f"/schools/{school}")["rule_set"] == "cn-vocational-internship":
            return school
    raise AssertionError(f"no school under the vocational rule set among {schools}")


def _five_signed_entries(site: Site, student: str, day: date) -> list[str]:
    """Five slots of `day` logged and signed by Zhao Min; returned once the progress read model holds them as
    awaiting the school's countersignature."""
    entries = []
    for start, end in SLOTS:
        logged = site.api("POST", f"/students/{student}/practice-entries", {
            "day": day.isoformat(), "start": start, "end": end, "competencies": ["MEC-01"],
            "description": f"bogie inspection {start}-{end}"}, as_="mentor-zhao", expect=(201,))
        site.api("POST", f"/students/{student}/practice-entries/{logged['entry_id']}/sign-off", {},
                 as_="mentor-zhao")
        entries.append(str(logged["entry_id"]))
    deadline = time.monotonic() + 60
    while True:
        progress = site.api("GET", f"/students/{student}/progress", expect=(200, 404))
        awaiting = {e["entry_id"] for e in (progress or {}).get("awaiting_countersignature", [])}
        if awaiting >= set(entries):
            return entries
        assert time.monotonic() < deadline, ("the entries never awaited the school's countersignature", progress)
        time.sleep(0.5)


def journey(site: Site) -> None:
    today = date.today()
    school = _countersigning_school(site)
    demo = replace(site.demo, school=school, admin=site.token("admin-wu"))
    student = place_a_second_student(demo, NAME, today - timedelta(days=10))
    entries = _five_signed_entries(site, student, today - timedelta(days=1))
    keys = {f"{student}:{entry}" for entry in entries}

    # -- Lin Hui signs in: the queue is her home page --
    lin = site.browser("teacher-lin")
    assert lin.driver.current_url.endswith("/teacher/queue"), lin.driver.current_url
    lin.page("teacher-queue-five-awaiting")
    assert heading(lin) == "Countersignature queue"
    boxes = [b for b in lin.find("#countersign-form input[name=entries]") if b.get_attribute("value") in keys]
    assert len(boxes) == 5, folded(lin.text())
    assert NAME in lin.text() and "Signed by Zhao Min" in lin.text()

    # -- she ticks the five and countersigns them at once --
    for box in boxes:
        tick(lin, box)
    lin.page("teacher-queue-five-ticked")
    submit(lin, lin.driver.find_element(By.CSS_SELECTOR, "#countersign-form button[name=action][value=countersign]"))
    lin.page("teacher-queue-five-countersigned")
    results = [folded(li.text) for li in lin.find("ul.results li.done")]
    assert len(results) == 5 and all(r.startswith(f"Countersigned: {NAME},") for r in results), results
    assert not lin.find("ul.results li.refused")
    for start, end in SLOTS:
        assert any(f"{start}–{end}" in r for r in results), (start, results)
    left = {b.get_attribute("value") for b in lin.find("#countersign-form input[name=entries]")}
    assert not keys & left, "the queue no longer holds them"

    # -- and the student's record says so --
    progress = site.api("GET", f"/students/{student}/progress")
    assert not {e["entry_id"] for e in progress["awaiting_countersignature"]} & set(entries)
    assert progress["signed_hours"] >= 5

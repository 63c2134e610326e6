"""The mentor's pages, used as a mentor uses them: signed in through the real form, in the demo world (Zhao Min
mentors Liu Yang at CRRC's rail base; a second student, Ma Chao, is placed there too so that a shift can be logged
for two). What is asserted is what a person sees: names, results, refusals in words next to the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from dualtrack.demo import person_id
from services.common.identity import Actor, CommandContext, Role
from tests.support.pages import PageSite, csrf, page_site, text

pytestmark = pytest.mark.api

ZHAO = "mentor-zhao"
CHEN = "coordinator-chen"
LIU = "student-liu"


class Site(PageSite):
    second: str


def place_a_second_student(container: Any, ids: Any) -> str:
    """Ma Chao, enrolled at the Qingdao college and placed at the rail base from 1 November."""
    placements = container.placements
    school, crrc, rail = UUID(ids.schools[0]), ids.enterprises[1], UUID(ids.centres[2])
    coordinator = CommandContext(Actor(person_id("coordinator-chen"), Role.COORDINATOR, school_id=str(school)),
                                 correlation_id="pages-test")
    student = placements.enrol_student(coordinator, school, name="Ma Chao", major="mechatronics", cohort=2024,
                                       enrolment_date=date(2024, 9, 1), date_of_birth=date(2005, 8, 8)).id
    placement = placements.propose_placement(coordinator, student, centre_id=rail, start=date(2026, 11, 2),
                                             planned_end=date(2027, 1, 15), post="bogie fitter",
                                             weekly_hours=40, speciality_override_reason="bogie drives").placement_id
    placements.approve_placement_as_school(coordinator, student, placement)
    admin = CommandContext(Actor(person_id("enterprise-admin-qian"), Role.ENTERPRISE_ADMIN, enterprise_id=crrc),
                           correlation_id="pages-test")
    placements.approve_placement_as_enterprise(admin, student, placement, mentor_id=person_id("mentor-zhao"))
    himself = CommandContext(Actor(str(student), Role.STUDENT, student_id=str(student)), correlation_id="pages-test")
    placements.confirm_placement(himself, student, placement)
    placements.activate_placement(coordinator, student, placement, on=date(2026, 11, 2))
    return str(student)


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    def prepare(container: Any, ids: Any) -> dict[str, Any]:
        return {"second": place_a_second_student(container, ids)}

    with page_site(sqlite_demo_template, tmp_path_factory, "mentor-pages", prepare, Site) as built:
        yield built


# -- today ------------------------------------------------------------------------------------------
def test_given_a_mentor_when_they_open_today_then_they_see_their_students_by_name_their_hours_and_the_queue(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get("/mentor/today")
    assert page.status_code == 200
    seen = text(page)
    assert "High-Speed Train Maintenance Base" in seen
    assert "Liu Yang" in seen and "Ma Chao" in seen
    assert "0 of 8 h" in seen and "0 of 40 h" in seen, "hours today and this week against the caps"
    assert re.search(r"Entries awaiting your signature: \d+", seen)
    assert site.liu not in seen, "names, not ids, where a person reads"
    assert "Content-Security-Policy" in page.headers and "'unsafe-inline'" not in page.headers[
        "Content-Security-Policy"]


def test_given_a_coordinator_or_a_student_when_they_open_the_mentors_pages_then_they_are_refused(site: Site) -> None:
    for who in (CHEN, LIU):
        browser = site.browser(who)
        for path in ("/mentor/today", "/mentor/practice", "/mentor/queue", "/mentor/centres",
                     f"/mentor/students/{site.liu}"):
            assert browser.get(path).status_code == 403, (who, path)


def test_given_nobody_signed_in_when_a_mentors_page_is_opened_then_it_leads_to_the_sign_in(site: Site) -> None:
    answer = site.app.test_client().get("/mentor/today")
    assert answer.status_code == 303 and "/sign-in" in answer.headers["Location"]


# -- logging practice -------------------------------------------------------------------------------
def test_given_two_students_when_the_mentor_logs_one_shift_for_both_then_each_has_their_own_entry(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    form = zhao.get("/mentor/practice")
    assert form.status_code == 200 and "Ma Chao" in text(form) and "MEC-01" in text(form)
    before = {s: entries_of(site, s) for s in (site.liu, site.second)}
    answer = zhao.post("/mentor/practice", data={
        "csrf_token": csrf(zhao), "students": [site.liu, site.second], "day": "2026-11-30", "start": "08:00",
        "end": "10:00", "competencies": ["MEC-01"], "description": "bogie inspection, both apprentices"})
    shown = site.follow(zhao, answer)
    assert "wait_for=" in answer.headers["Location"]
    assert "Logged for Liu Yang." in text(shown) and "Logged for Ma Chao." in text(shown)
    for student in (site.liu, site.second):
        assert len(entries_of(site, student)) == len(before[student]) + 1
    today = text(zhao.get("/mentor/today"))
    assert "2 of 8 h" in today and "2 of 40 h" in today


def entries_of(site: Site, student: str) -> dict[str, Any]:
    admin = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="pages-test")
    record = site.container.training.get_training_record(admin, UUID(student))
    return dict(record.entries) if record else {}


@pytest.mark.parametrize(("language", "words"), [
    ("en", "This time overlaps what is already logged on"),
    ("zh-CN", "这个时段与"),
])
def test_given_a_slot_already_taken_when_the_mentor_logs_it_then_the_refusal_is_in_words_next_to_the_start(
        site: Site, language: str, words: str) -> None:
    zhao = site.browser(ZHAO, language)
    answer = zhao.post("/mentor/practice", data={
        "csrf_token": csrf(zhao), "students": [site.liu], "day": "2026-11-23", "start": "09:00", "end": "10:00",
        "competencies": ["MEC-01"], "description": "a second go at the gearbox"})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    start_field = page[page.index('id="start"'):page.index('id="end"')]
    assert words in text(start_field), start_field
    assert "08:00–12:00" in start_field
    assert "overlapping-entries" not in page, "no codes where a person reads"
    assert 'value="a second go at the gearbox"' in page or ">a second go at the gearbox<" in page


def test_given_a_form_without_its_csrf_token_when_it_is_sent_then_it_is_refused_with_400(site: Site) -> None:
    zhao = site.browser(ZHAO)
    answer = zhao.post("/mentor/practice", data={"students": [site.liu], "day": "2026-11-30", "start": "13:00",
                                                 "end": "14:00", "competencies": ["MEC-01"], "description": "x"})
    assert answer.status_code == 400


def test_given_a_student_when_the_mentor_repeats_their_latest_entry_then_the_form_is_filled_from_it(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get(f"/mentor/practice?repeat={site.liu}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'id="start" name="start" value="\d\d:\d\d"', html)
    assert f'value="{site.liu}" checked' in html


# -- the queue --------------------------------------------------------------------------------------
def test_given_three_entries_awaiting_when_the_mentor_signs_them_at_once_then_three_results_are_shown(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get("/mentor/queue")
    entries = re.findall(r'name="entries" value="([^"]+)"', page.get_data(as_text=True))
    assert len(entries) >= 3 and "Liu Yang" in text(page)
    answer = zhao.post("/mentor/queue/sign", data={"csrf_token": csrf(zhao, "/mentor/queue"),
                                                   "entries": entries[:3]})
    shown = text(site.follow(zhao, answer))
    assert shown.count("Signed: ") == 3, shown
    left = re.findall(r'name="entries" value="([^"]+)"', zhao.get("/mentor/queue").get_data(as_text=True))
    assert not set(entries[:3]) & set(left)


def test_given_an_entry_when_the_mentor_sends_it_back_without_a_reason_then_it_is_refused_next_to_the_reason(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    entries = re.findall(r'name="entry" value="([^"]+)"', zhao.get("/mentor/queue").get_data(as_text=True))
    assert entries
    token = csrf(zhao, "/mentor/queue")
    refused = zhao.post("/mentor/queue/reject", data={"csrf_token": token, "entry": entries[0], "reason": "  "})
    assert refused.status_code == 422
    assert "Give the reason for sending the entry back" in text(refused)
    answer = zhao.post("/mentor/queue/reject", data={"csrf_token": token, "entry": entries[0],
                                                     "reason": "the times do not match the shift roster"})
    assert "Sent back to" in text(site.follow(zhao, answer))


# -- a student, the centres -------------------------------------------------------------------------
def test_given_a_student_of_mine_when_the_mentor_opens_their_page_then_progress_logbook_and_assessments_show(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get(f"/mentor/students/{site.liu}")
    assert page.status_code == 200
    seen = text(page)
    assert "Liu Yang" in seen and "MEC-01" in seen and "Assemble and adjust drive units" in seen
    assert '<svg class="chart"' in page.get_data(as_text=True)
    assert "Earlier revisions: 1" in seen, "the corrected entry shows its earlier revision"
    answer = zhao.post(f"/mentor/students/{site.liu}/assessments", data={
        "csrf_token": csrf(zhao), "competency": "MEC-02", "result": "75", "evidence": "programmed an interlock",
        "assessed_on": "2026-11-30"})
    assert "Assessment of MEC-02 recorded" in text(site.follow(zhao, answer))
    out_of_scale = zhao.post(f"/mentor/students/{site.liu}/assessments", data={
        "csrf_token": csrf(zhao), "competency": "MEC-01", "result": "9", "evidence": "x", "assessed_on": ""})
    assert out_of_scale.status_code == 409 and "is not on this competency's scale" in text(out_of_scale)


def test_given_a_mentor_when_they_open_their_centres_then_each_shows_its_calendar_and_hours_delivered(
        site: Site) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get("/mentor/centres")
    assert page.status_code == 200
    seen = text(page)
    assert "High-Speed Train Maintenance Base" in seen and "Liu Yang" in seen
    assert '<svg class="chart"' in page.get_data(as_text=True) and "<th scope=" in page.get_data(as_text=True)


# -- paging (a mentor with hundreds of students sees a page at a time) -----------------------------
@pytest.fixture()
def one_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of one student or entry, so that the demo's two students and its queue span several pages."""
    from services.progress import pages as progress_pages
    from services.training import pages as training_pages

    monkeypatch.setattr(progress_pages, "PAGE_SIZE", 1)
    monkeypatch.setattr(training_pages, "PAGE_SIZE", 1)


def test_given_more_students_than_a_page_when_the_mentor_opens_today_then_a_page_shows_with_links_and_the_count(
        site: Site, one_a_page: None) -> None:
    zhao = site.browser(ZHAO)
    first, second = text(zhao.get("/mentor/today")), text(zhao.get("/mentor/today?page=2"))
    assert "Students placed now at the centres you mentor: 2" in first and "Showing 1–1 of 2" in first
    assert "Next page" in first and "Previous page" in second and "Showing 2–2 of 2" in second
    placed = [{name for name in ("Liu Yang", "Ma Chao") if f"Log practice for {name}" in page} for page in (first, second)]
    assert len(placed[0]) == len(placed[1]) == 1 and placed[0] != placed[1], "one student a page, each once"
    assert "Showing 2–2 of 2" in text(zhao.get("/mentor/today?page=9")), "past the end: the last page"


def test_given_a_long_queue_when_the_mentor_signs_on_a_page_then_only_that_pages_entries_are_offered(
        site: Site, one_a_page: None) -> None:
    zhao = site.browser(ZHAO)
    page = zhao.get("/mentor/queue").get_data(as_text=True)
    offered = re.findall(r'name="entries" value="([^"]+)"', page)
    if len(offered) == 0:
        pytest.skip("the demo's queue was emptied by the tests before")
    assert len(offered) == 1 and 'name="page" value="1"' in page
    total = int(re.search(r"oldest first: (\d+)", text(zhao.get("/mentor/queue"))).group(1))
    if total > 1:
        assert f"Showing 1–1 of {total}" in text(zhao.get("/mentor/queue")) and "Next page" in page
        second = zhao.get("/mentor/queue?page=2").get_data(as_text=True)
        assert re.findall(r'name="entries" value="([^"]+)"', second) != offered


def test_given_students_on_two_pages_when_the_mentor_logs_for_one_on_the_second_then_it_is_logged_there(
        site: Site, one_a_page: None) -> None:
    zhao = site.browser(ZHAO)
    second = zhao.get("/mentor/practice?page=2").get_data(as_text=True)
    chosen = re.findall(r'name="students" value="([^"]+)"', second)
    assert len(chosen) == 1 and 'name="page" value="2"' in second and "Previous page" in second
    before = len(entries_of(site, chosen[0]))
    answer = zhao.post("/mentor/practice", data={
        "csrf_token": csrf(zhao), "students": chosen, "page": "2", "day": "2026-11-27", "start": "17:00",
        "end": "18:00", "competencies": ["MEC-01"], "description": "paging check"})
    assert answer.status_code == 303, text(answer)[:2000]
    assert "page=2" in answer.headers["Location"]
    assert "Logged for" in text(site.follow(zhao, answer))
    assert len(entries_of(site, chosen[0])) == before + 1
    other = re.findall(r'name="students" value="([^"]+)"', zhao.get("/mentor/practice?page=1").get_data(as_text=True))
    repeat = zhao.get(f"/mentor/practice?page=1&repeat={chosen[0]}").get_data(as_text=True)
    assert f'value="{chosen[0]}" checked' in repeat and other[0] in repeat, "a student of another page, chosen"

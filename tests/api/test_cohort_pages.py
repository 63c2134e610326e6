"""The coordinator's cohort pages, used as Chen Jing (coordinator at the Qingdao college) uses them: signed in through
the real form, in the demo world on its day (Monday 30 November 2026), with two students of her own placed at CRRC's
rail base for these tests: one whose entries stopped on Friday 20 November (red, "no entry") and whose name and
entries begin with what a spreadsheet would run as a formula, and one who started today with today's practice
logged and signed (green)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, time
from typing import Any
from uuid import UUID

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from dualtrack.demo import DEMO_TODAY, person_id
from services.common.identity import Actor, CommandContext, Role
from tests.support.pages import PageSite, page_site, text

pytestmark = pytest.mark.api

CHEN = "coordinator-chen"
HUANG = "coordinator-huang"
ZHAO = "mentor-zhao"
LIU = "student-liu"
GAO = "teacher-gao"
RISKY_NAME = '=HYPERLINK("http://evil.example","click")'


class Site(PageSite):
    red: str
    green: str
    amber: dict[str, str]


def place(container: Any, ids: Any, name: str, start: date, proposed_only: bool = False) -> tuple[str, str]:
    """`name`, enrolled at the Qingdao college and placed at the rail base from `start` (Zhao Min mentors); or only
    proposed there."""
    placements = container.placements
    school, crrc, rail = UUID(ids.schools[0]), ids.enterprises[1], UUID(ids.centres[2])
    chen = CommandContext(Actor(person_id("coordinator-chen"), Role.COORDINATOR, school_id=str(school)), "cohort")
    student = placements.enrol_student(chen, school, name=name, major="mechatronics", cohort=2024,
                                       enrolment_date=date(2024, 9, 1), date_of_birth=date(2005, 8, 8)).id
    placement = placements.propose_placement(chen, student, centre_id=rail, start=start, planned_end=date(2027, 3, 1),
                                             post="bogie fitter", weekly_hours=40,
                                             speciality_override_reason="bogie drives").placement_id
    if proposed_only:
        return str(student), placement
    placements.approve_placement_as_school(chen, student, placement)
    qian = CommandContext(Actor(person_id("enterprise-admin-qian"), Role.ENTERPRISE_ADMIN, enterprise_id=crrc),
                          "cohort")
    placements.approve_placement_as_enterprise(qian, student, placement, mentor_id=person_id("mentor-zhao"))
    placements.confirm_placement(CommandContext(Actor(str(student), Role.STUDENT, student_id=str(student)), "cohort"),
                                 student, placement)
    placements.activate_placement(chen, student, placement, on=start)
    return str(student), placement


def students_red_green_and_amber(container: Any, ids: Any) -> dict[str, Any]:
    """One student whose entries stopped on 20 November (red), one placed today with a day signed (green), and two
    amber: one waiting for approval, one eligible for a certificate."""
    crrc = ids.enterprises[1]
    zhao = CommandContext(Actor(person_id("mentor-zhao"), Role.MENTOR, enterprise_id=crrc), "cohort")
    red, _ = place(container, ids, RISKY_NAME, date(2026, 11, 2))
    for day, description in ((date(2026, 11, 19), "=1+2 gearbox"), (date(2026, 11, 20), "@SUM(A1) wheelset")):
        container.training.log_practice(zhao, UUID(red), day=day, start=time(8), end=time(12),
                                        competencies=["MEC-01"], description=description)
    green, _ = place(container, ids, "Bai Lu", DEMO_TODAY)
    entry = container.training.log_practice(zhao, UUID(green), day=DEMO_TODAY, start=time(8), end=time(12),
                                            competencies=["MEC-01"], description="first shift").entry_id
    container.training.sign_off_practice(zhao, UUID(green), entry)
    amber = {"approval": place(container, ids, "Cao Ning", date(2026, 12, 7), proposed_only=True)[0],
             "eligible": eligible(container, ids, zhao)}
    return {"red": red, "green": green, "amber": amber}


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "cohort-pages", students_red_green_and_amber, Site) as built:
        yield built


def eligible(container: Any, ids: Any, zhao: CommandContext) -> str:
    """A student placed today who meets the X-RTM certificate's junior level (6 h of MEC-01 signed and assessed 3 or
    more by both sides, 2 h of MEC-03 signed) and was not awarded it."""
    student, placement = place(container, ids, "Deng Hui", DEMO_TODAY)
    for start, end, codes in ((8, 12, ["MEC-01"]), (13, 17, ["MEC-01", "MEC-03"])):
        entry = container.training.log_practice(zhao, UUID(student), day=DEMO_TODAY, start=time(start), end=time(end),
                                                competencies=codes, description="drive unit").entry_id
        container.training.sign_off_practice(zhao, UUID(student), entry)
    gao = CommandContext(Actor(person_id("teacher-gao"), Role.TEACHER, school_id=ids.schools[0]), "cohort")
    for who, result in ((zhao, 4.0), (gao, 3.5)):
        container.training.assess_competency(who, UUID(student), placement, competency="MEC-01", result=result,
                                             evidence="adjusted a drive unit", assessed_on=DEMO_TODAY)
    return student


def row_of(page: str, student_id: str) -> str:
    """The dashboard's table row of a student, as text."""
    found = re.search(rf'<tr class="row-\w+">\s*<th scope="row"><a href="/coordinator/students/{student_id}">.*?</tr>',
                      page, re.S)
    assert found, f"no row for {student_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


# -- the dashboard -------------------------------------------------------------------------------------------------
def test_given_entries_that_stopped_when_the_coordinator_opens_the_dashboard_then_that_student_is_red_with_the_reason(
        site: Site) -> None:
    chen = site.browser(CHEN)
    page = chen.get("/coordinator")
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    html = page.get_data(as_text=True)
    red = row_of(html, site.red)
    assert "Red" in red and "No entry for 5 working days (the last on Nov 20, 2026)" in red, red
    green = row_of(html, site.green)
    assert "Green" in green and "Nothing to act on" in green, green
    assert re.search(r"Red: \d+", text(page)) and re.search(r"Green: \d+", text(page))
    assert "What the lights mean" in text(page) and "3 working days" in text(page)
    assert "Liu Yang" in text(page), "names, not ids"


def test_given_a_proposal_unapproved_or_a_certificate_level_met_then_the_student_is_amber_saying_which(
        site: Site) -> None:
    page = site.browser(CHEN).get("/coordinator?light=amber").get_data(as_text=True)
    waiting = row_of(page, site.amber["approval"])
    assert "Amber" in waiting and "A placement from Dec 7, 2026 is waiting for: the school's approval, the " \
        "enterprise's approval, the student's confirmation" in waiting, waiting
    met = row_of(page, site.amber["eligible"])
    assert "Amber" in met and "Eligible for X-RTM junior, not yet awarded" in met, met
    assert "Behind" not in met


def test_given_filters_when_the_coordinator_narrows_the_dashboard_then_only_matching_students_are_listed(
        site: Site) -> None:
    chen = site.browser(CHEN)
    reds = chen.get("/coordinator?light=red").get_data(as_text=True)
    assert site.red in reds and site.green not in reds
    greens = chen.get(f"/coordinator?light=green&centre={site.ids.centres[2]}&cohort=2024&class=mechatronics")
    assert greens.status_code == 200
    assert site.green in greens.get_data(as_text=True) and site.red not in greens.get_data(as_text=True)
    elsewhere = chen.get(f"/coordinator?centre={site.ids.centres[0]}").get_data(as_text=True)
    assert site.red not in elsewhere and site.green not in elsewhere
    none = chen.get("/coordinator?cohort=1999").get_data(as_text=True)
    assert "No student of your school matches these filters." in re.sub(r"\s+", " ", none)


def test_given_bad_filter_values_when_the_dashboard_is_asked_then_the_page_names_the_field_instead_of_failing(
        site: Site) -> None:
    chen = site.browser(CHEN)
    answer = chen.get("/coordinator?cohort=twenty&light=purple&centre=nowhere&page=-3")
    assert answer.status_code == 400
    seen = text(answer)
    assert "Choose a cohort from the list" in seen and "Choose red, amber or green." in seen
    assert "Choose a training centre from the list." in seen
    assert site.red in answer.get_data(as_text=True), "the students still shown, without the bad filters"
    assert chen.get("/coordinator/exports?cohort=abc").status_code == 400
    assert chen.get("/coordinator/exports/progress.csv?cohort=1999").status_code == 400
    assert chen.get("/coordinator/exports/secrets.csv").status_code == 404


def test_given_another_schools_coordinator_or_other_roles_when_they_open_the_pages_then_they_see_none_of_these(
        site: Site) -> None:
    huang = site.browser(HUANG)
    page = huang.get("/coordinator")
    assert page.status_code == 200
    assert site.red not in page.get_data(as_text=True) and "Liu Yang" not in text(page)
    assert huang.get(f"/coordinator/students/{site.red}").status_code == 403, "as for a student id that names nobody"
    hours = huang.get("/coordinator/exports/hours.csv").get_data(as_text=True)
    assert "gearbox" not in hours and "Liu Yang" not in hours
    for who in (ZHAO, LIU):
        browser = site.browser(who)
        for path in ("/coordinator", "/coordinator/exports", f"/coordinator/students/{site.red}",
                     "/coordinator/exports/hours.xlsx"):
            assert browser.get(path).status_code == 403, (who, path)


def test_given_a_student_of_the_school_when_the_coordinator_opens_them_then_progress_logbook_and_placements_show(
        site: Site) -> None:
    chen = site.browser(CHEN)
    reads_before = site.container.audit.count_reads(site.red)
    page = chen.get(f"/coordinator/students/{site.red}")
    assert page.status_code == 200
    seen = text(page)
    assert "High-Speed Train Maintenance Base" in seen and "@SUM(A1) wheelset" in seen
    assert "Hours by competency" in seen and "awaiting signature" in seen
    assert site.container.audit.count_reads(site.red) == reads_before + 2, "the progress and the logbook read"
    assert site.browser(GAO).get(f"/coordinator/students/{site.red}").status_code == 200, "teachers read it too"


# -- the exports ---------------------------------------------------------------------------------------------------
def test_given_a_cohort_when_its_workbooks_are_downloaded_then_every_risky_text_is_a_text_cell_not_a_formula(
        site: Site) -> None:
    chen = site.browser(CHEN)
    assert "single quote" in text(chen.get("/coordinator/exports?cohort=2024"))
    risky = 0
    for what in ("progress", "hours", "placements"):
        answer = chen.get(f"/coordinator/exports/{what}.xlsx?cohort=2024")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
        assert answer.headers["Cache-Control"] == "no-store"
        assert f'filename="{what}-2024-2026-11-30.xlsx"' in answer.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(answer.data)).active
        values = [cell for row in sheet.iter_rows() for cell in row]
        assert any(c.value == RISKY_NAME for c in values), what
        for cell in values:
            assert cell.data_type != "f", (what, cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                assert cell.data_type == "s"
                risky += 1
    hours = [c.value for row in load_workbook(io.BytesIO(chen.get("/coordinator/exports/hours.xlsx").data)).active
             .iter_rows() for c in row]
    assert "=1+2 gearbox" in hours and "@SUM(A1) wheelset" in hours
    assert risky >= 5


def test_given_a_cohort_when_its_csv_is_downloaded_then_risky_texts_begin_with_a_single_quote(site: Site) -> None:
    chen = site.browser(CHEN)
    answer = chen.get("/coordinator/exports/hours.csv?cohort=2024")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Cache-Control"] == "no-store" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Student", "Day"]
    cells = [c for row in rows for c in row]
    assert "'" + RISKY_NAME in cells and "'=1+2 gearbox" in cells and "'@SUM(A1) wheelset" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    progress = list(csv.reader(io.StringIO(chen.get("/coordinator/exports/progress.csv").get_data(as_text=True))))
    assert any(row[0] == "Liu Yang" and row[3] == "MEC-01" for row in progress)
    placements = chen.get("/coordinator/exports/placements.csv").get_data(as_text=True)
    assert "High-Speed Train Maintenance Base" in placements

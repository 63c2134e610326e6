"""The rotation planner's pages, used as a coordinator uses them: signed in through the real form, in the demo world
plus four students of the Qingdao college placed at a small workshop of two places (so a plan that sends them
together is over its capacity). What is asserted is what a person sees: the grid, the conflicts next to their cells
and grouped per student, refusals in words next to the field."""

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

NAMES = ["An Ping", "Bai Lu", "Cao Yu", "Dong Mei"]
PATTERN = {"start": "2027-01-04", "school_weeks": "1", "enterprise_weeks": "2", "cycles": "2", "groups": "1",
           "hours_per_week": "40"}


class Site(PageSite):
    students: list[str]
    centre: str


def small_workshop_with_four_students(container: Any, ids: Any) -> tuple[list[str], str]:
    """A workshop of two places at CRRC and four students of the Qingdao college agreed there from January."""
    placements, school = container.placements, UUID(ids.schools[0])
    system = CommandContext.for_system("planner-pages-test")
    centre = placements.open_centre(system, enterprise_id=UUID(ids.enterprises[1]), name="Small Bogie Workshop",
                                    address="1 Test Road", capacity=2, specialities=["mechatronics"]).id
    placements.assign_mentor(system, centre, mentor_id=person_id("mentor-zhao"), name="Zhao Min")
    chen = CommandContext(Actor(person_id("coordinator-chen"), Role.COORDINATOR, school_id=str(school)),
                          correlation_id="planner-pages-test")
    students = []
    for n, name in enumerate(NAMES):
        student = placements.enrol_student(chen, school, name=name, major="mechatronics", cohort=2025,
                                           enrolment_date=date(2025, 9, 1), date_of_birth=date(2005, 3, 1 + n)).id
        placement = placements.propose_placement(
            chen, student, centre_id=centre, start=date(2027, 1, 4), planned_end=date(2027, 6, 30),
            post="bogie fitter", weekly_hours=40, capacity_override_justification="a second bench for the term"
        ).placement_id
        placements.approve_placement_as_school(chen, student, placement)
        placements.approve_placement_as_enterprise(system, student, placement, mentor_id=person_id("mentor-zhao"))
        himself = CommandContext(Actor(str(student), Role.STUDENT, student_id=str(student)), correlation_id="t")
        placements.confirm_placement(himself, student, placement)
        students.append(str(student))
    placements.enrol_student(chen, school, name="Fan Qing", major="mechatronics", cohort=2025,
                             enrolment_date=date(2025, 9, 1), date_of_birth=date(2005, 4, 1))  # not placed yet
    return students, str(centre)


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    def prepare(container: Any, ids: Any) -> dict[str, Any]:
        students, centre = small_workshop_with_four_students(container, ids)
        return {"students": students, "centre": centre}

    with page_site(sqlite_demo_template, tmp_path_factory, "planner-pages", prepare, Site) as built:
        yield built


@pytest.fixture(scope="module")
def chen(site: Site) -> Any:
    return site.browser("coordinator-chen")


def between(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end, page.index(start))]


def post_block(client: Any, block_page: str, data: dict[str, Any]) -> Any:
    """A block's form, sent as its page sends it: to the plan's blocks, naming the block."""
    blocks, block = block_page.rsplit("/", 1)
    return client.post(blocks, data={**data, "block": block})


def generate(site: Site, chen: Any, title: str, **changes: Any) -> Any:
    return chen.post("/coordinator/plans/new", data={
        "csrf_token": csrf(chen), "title": title, "cohort": "mechatronics-2025", **PATTERN,
        "students": site.students, **changes})


def generated(site: Site, chen: Any, title: str) -> str:
    answer = generate(site, chen, title)
    assert answer.status_code == 303, text(answer)[:3000]
    return answer.headers["Location"].split("?")[0].rsplit("/", 1)[-1]


def test_given_four_students_at_a_workshop_of_two_when_the_coordinator_generates_a_plan_then_the_grid_shows_its_blocks_and_the_capacity_conflict_next_to_its_cells_grouped_by_student(
        site: Site, chen: Any) -> None:
    form = chen.get("/coordinator/plans/new?year=2025")
    assert form.status_code == 200
    assert all(name in text(form) for name in NAMES) and "Liu Yang" not in text(form), "the cohort filter"
    assert "Fan Qing" in text(form), "a student not placed yet is planned at school"
    assert "Fan Qing" not in text(chen.get(f"/coordinator/plans/new?year=2025&centre={site.centre}"))
    answer = generate(site, chen, "Workshop winter 2027")
    assert answer.status_code == 303
    page = chen.get(answer.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    seen = text(page)
    assert "Workshop winter 2027" in seen and "draft" in seen
    assert "School · A1" in seen and "Enterprise · A2" in seen and "Small Bogie Workshop: 4" in seen
    cell = between(html, 'id="cell-2027-W02-A"', "</td>")
    assert "Enterprise" in text(cell) and "Centre: Small Bogie Workshop" in text(cell), "the conflict in its cell"
    group = between(html, 'id="conflicts-centre-', "</article>")
    assert "Over capacity: up to 4 students for 2 places" in text(group)
    assert "2027 W02, 2027 W03, 2027 W05, 2027 W06" in text(group), "one line for the weeks, not one per week"
    for name in NAMES:
        assert text(group).count(f"{name} (group A): weeks 2027 W02, 2027 W03, 2027 W05, 2027 W06") == 1
    listing = text(chen.get("/coordinator/plans"))
    assert "Workshop winter 2027" in listing and "New plan from a pattern" in listing
    zh = site.browser("coordinator-chen", "zh-CN")
    in_chinese = text(zh.get(answer.headers["Location"]))
    assert "周次与分组" in in_chinese and "超出容量：" in in_chinese and "按学生：" in in_chinese
    plan = answer.headers["Location"].split("?")[0]
    for path, words in (("/coordinator/plans", "工学交替计划"), ("/coordinator/plans/new", "按模式新建计划"),
                        (f"{plan}/blocks/A2", "修改这个时段"),
                        (f"/coordinator/plans/{site.ids.plans[1]}/revisions", "两版修订并排比较")):
        page = zh.get(path)
        assert page.status_code == 200 and words in text(page), path


def test_given_a_capacity_conflict_when_published_then_refused_until_overridden_with_a_justification(
        site: Site, chen: Any) -> None:
    plan = generated(site, chen, "Workshop: publication")
    path = f"/coordinator/plans/{plan}"
    html = chen.get(path).get_data(as_text=True)
    gid = re.search(r'name="why-([^"]+)"', html).group(1)
    keys = re.findall(rf'name="seen-{re.escape(gid)}" value="([^"]+)"', html)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    base = {"csrf_token": csrf(chen, path), "version": version, f"seen-{gid}": keys}

    refused = chen.post(f"{path}/publication", data={**base, "action": "publish"})
    assert refused.status_code == 409
    assert "Not published: 4 conflict(s) remain without a justification." in text(refused)
    assert "Not overridden" in text(between(refused.get_data(as_text=True), f'id="conflicts-{gid}"', "</article>"))

    empty = chen.post(f"{path}/publication", data={**base, "action": f"override:{gid}", f"why-{gid}": "  "})
    assert empty.status_code == 422
    field = between(empty.get_data(as_text=True), f'id="why-{gid}"', "</article>")
    assert 'aria-invalid="true"' in field and "Give a justification to override these conflicts" in text(field)

    why = "the workshop lends two benches from the hall for these weeks"
    accepted = chen.post(f"{path}/publication", data={**base, "action": f"override:{gid}", f"why-{gid}": why})
    assert accepted.status_code == 200 and "Overridden with this justification" in text(accepted)
    assert why in accepted.get_data(as_text=True), "kept in the form until published"

    done = chen.post(f"{path}/publication", data={**base, "action": "publish", f"why-{gid}": why})
    assert done.status_code == 303, text(done)[:2000]
    shown = text(chen.get(done.headers["Location"]))
    assert "Published as revision 1" in shown and "Justified earlier: " + why in shown
    assert "Publish the plan" not in shown


def test_given_a_draft_when_one_block_is_changed_then_only_that_block_changes(site: Site, chen: Any) -> None:
    plan = generated(site, chen, "Workshop: one block")
    admin = Actor("admin-1", Role.ADMIN)
    before = site.container.schedules.get_plan(admin, UUID(plan)).content
    path = f"/coordinator/plans/{plan}/blocks/A2"
    form = chen.get(path)
    assert form.status_code == 200 and "Block A2 of group A" in text(form)
    html = form.get_data(as_text=True)
    data = {"csrf_token": csrf(chen, path), "version": re.search(r'name="version" value="(\d+)"', html).group(1),
            "kind": "enterprise", "start": "2027-01-11", "end": "2027-01-22", "hours_per_week": "32",
            **{f"centre-{s}": site.centre for s in site.students}}
    answer = post_block(chen, path, data)
    assert answer.status_code == 303, text(answer)[:2000]
    assert "Block A2 is changed" in text(chen.get(answer.headers["Location"]))
    after = site.container.schedules.get_plan(admin, UUID(plan)).content
    assert after.block("A2").hours_per_week == 32
    assert [b for b in after.blocks if b.id != "A2"] == [b for b in before.blocks if b.id != "A2"]


def test_given_a_published_plan_when_one_block_is_changed_with_a_reason_then_a_revision_shows_the_difference(
        site: Site, chen: Any) -> None:
    plan = generated(site, chen, "Workshop: revised")
    site.container.schedules.publish_plan(CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="t"),
                                          UUID(plan), {c.key: "lent benches" for c in site.container.schedules
                                                       .check_plan(Actor("admin-1", Role.ADMIN), UUID(plan))})
    path = f"/coordinator/plans/{plan}/blocks/A4"
    html = chen.get(path).get_data(as_text=True)
    assert "this change makes a new revision" in text(html)
    data = {"csrf_token": csrf(chen, path), "version": re.search(r'name="version" value="(\d+)"', html).group(1),
            "kind": "school", "start": "2027-02-01", "end": "2027-02-12", "reason": " "}
    refused = post_block(chen, path, data)
    assert refused.status_code == 422
    assert "Give the reason for the change" in text(between(refused.get_data(as_text=True), 'id="reason"', "</form>"))
    data["reason"] = "the workshop closes for its yearly overhaul"
    brought = post_block(chen, path, data)  # the four are at the workshop then in the plan published before
    assert brought.status_code == 409
    html = brought.get_data(as_text=True)
    assert "Conflicts this change brings" in text(html) and "Student: An Ping" in text(html)
    assert "Planned in two places at once in weeks 2027 W05:" in text(html)
    seen = re.findall(r'name="seen" value="([^"]+)"', html)
    answer = post_block(chen, path, {**data, "seen": seen, "justification": "back at school for the overhaul"})
    assert answer.status_code == 303, text(answer)[:2000]
    compared = chen.get(f"/coordinator/plans/{plan}/revisions")
    seen = text(compared)
    assert "the workshop closes for its yearly overhaul" in seen
    row = text(between(compared.get_data(as_text=True), '<tr class="changed">', "</tr>"))
    assert row.startswith(" A4 changed") and "Enterprise" in row and "School" in row


def test_given_a_revised_plan_when_two_revisions_are_compared_then_the_difference_is_marked(
        site: Site, chen: Any) -> None:
    spring = site.ids.plans[1]
    page = chen.get(f"/coordinator/plans/{spring}/revisions?first=1&second=2")
    assert page.status_code == 200
    seen = text(page)
    assert "Haier moved apprentices to four 9-hour shifts a week" in seen
    row = text(between(page.get_data(as_text=True), '<tr class="changed">', "</tr>"))
    assert "changed" in row and "40 h a week" in row and "36 h a week" in row
    html = page.get_data(as_text=True)
    assert 'class="differs">40 h a week' in html and 'class="differs">36 h a week' in html


def test_given_another_schools_coordinator_a_mentor_or_a_student_then_the_plans_are_not_theirs(
        site: Site, chen: Any) -> None:
    spring = site.ids.plans[1]
    huang = site.browser("coordinator-huang")
    for path in (f"/coordinator/plans/{spring}", f"/coordinator/plans/{spring}/revisions",
                 f"/coordinator/plans/{spring}/blocks/A1"):
        assert huang.get(path).status_code == 404, path
    assert "Mechatronics 2024 class 2" not in text(huang.get("/coordinator/plans"))
    for handle in ("mentor-zhao", "student-liu"):
        other = site.browser(handle)
        for path in ("/coordinator/plans", "/coordinator/plans/new", f"/coordinator/plans/{spring}"):
            assert other.get(path).status_code == 403, (handle, path)


def test_given_garbage_in_the_forms_and_addresses_then_a_page_names_the_field_never_a_500(
        site: Site, chen: Any) -> None:
    answer = generate(site, chen, "", start="2027-01-05", school_weeks="two", groups="9", **{
        "holiday-0-name": "Spring festival", "holiday-0-start": "2027-02-10", "holiday-0-end": "not a day"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "A pattern starts on a Monday." in text(between(html, 'id="start"', "</div>"))
    assert "Give a whole number from 1 to 52." in text(between(html, 'id="school_weeks"', "</div>"))
    assert "9 groups for 4 students" in text(between(html, 'id="groups"', "</div>"))
    assert "Give the date as YYYY-MM-DD." in text(between(html, 'id="holiday-0-end"', "</div>"))
    assert "Give a title" in text(between(html, 'id="title"', 'id="cohort"'))
    outsider = generate(site, chen, "x", students=[str(UUID(int=7))])
    assert outsider.status_code == 422 and "Choose students of your school" in text(outsider)
    for path in ("/coordinator/plans/not-a-plan", f"/coordinator/plans/{UUID(int=1)}",
                 f"/coordinator/plans/{site.ids.plans[1]}/blocks/Z9"):
        assert chen.get(path).status_code == 404, path
    bad = chen.get(f"/coordinator/plans/{site.ids.plans[1]}/revisions?first=x&second=99")
    assert bad.status_code == 422 and "Choose one of the revisions listed." in text(bad)
    plan = generated(site, chen, "Workshop: garbage")
    path = f"/coordinator/plans/{plan}/blocks/A1"
    block = post_block(chen, path, {"csrf_token": csrf(chen, path), "kind": "boat", "start": "2027-01-10",
                                  "end": "2027-01-01"})
    assert block.status_code == 422
    html = block.get_data(as_text=True)
    assert "Choose school or enterprise." in text(between(html, 'id="kind"', "</fieldset>"))
    assert "The end must not be before the start." in text(between(html, 'id="end"', "</div>"))
    path = f"/coordinator/plans/{plan}/blocks/A2"
    centre = post_block(chen, path, {"csrf_token": csrf(chen, path), "kind": "enterprise", "start": "2027-01-11",
                                   "end": "2027-01-22", "hours_per_week": "40", f"centre-{site.students[0]}": "nowhere"})
    assert centre.status_code == 422
    assert "Choose each student&#39;s centre from the list." in between(centre.get_data(as_text=True), 'id="centres"',
                                                                         "</fieldset>")


def test_given_more_students_match_than_a_list_holds_when_the_form_opens_then_it_asks_for_a_narrower_filter(
        site: Site, chen: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import services.schedules.pages as planner

    monkeypatch.setattr(planner, "LISTED_AT_MOST", 4)
    everyone = chen.get("/coordinator/plans/new").get_data(as_text=True)
    assert "choose a cohort, major or centre above to list them (at most 4 at once)" in text(everyone)
    assert 'name="students"' not in everyone
    at_the_workshop = chen.get(f"/coordinator/plans/new?centre={site.centre}").get_data(as_text=True)
    assert at_the_workshop.count('name="students"') == 4 and "at most 4 at once" not in text(at_the_workshop)

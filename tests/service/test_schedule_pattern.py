"""Plans generated from a pattern ("from D, N weeks at school then M at enterprises, K cycles, G groups"), through
the SchedulesApplication on in-memory event stores.

The cohort: 120 students of the school, each with an agreed placement covering the term at one of six centres of
ten places (twenty students a centre, over capacity with the coordinator's justification that the plan alternates
them), dealt into four groups that spend four weeks at school then four at enterprises, twice. The cohort is built
once (a module-scoped fixture), and every command the tests look at runs in the fixture, so the tests only read and
do not depend on their order.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import Container
from services.schedules.domain import InvalidPlan
from tests.conftest import make_settings
from tests.service.placement_world import names
from tests.service.schedule_world import ScheduleWorld, build_schedule_world, pattern

pytestmark = pytest.mark.rules

START = date(2027, 3, 1)  # a Monday
TERM_END = START + timedelta(weeks=16, days=-1)
CAPACITY = 10


@dataclass
class Cohort:
    sw: ScheduleWorld
    centres: list[UUID]
    centre_of: dict[str, str]
    """Each student's centre, as placed."""
    placement_of: dict[str, str]
    plan: UUID
    again: UUID
    """The same pattern generated a second time, the students given in another order."""
    conflicts_before: list[Any]
    published_events: list[Any]
    conflicts_after: list[Any]

    def read(self, plan: UUID) -> Any:
        return self.sw.schedules.get_plan(self.sw.admin.actor, plan)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cohort]:
    container = Container(make_settings(tmp_path_factory.mktemp("cohort") / "var", "memory:"))
    try:
        sw = build_schedule_world(container, workshop_capacity=CAPACITY, depot_capacity=CAPACITY)
        centres = [(sw.workshop, "m-wang"), (sw.depot, "m-zhao")]
        centres += [(sw.add_centre(f"Centre {n}", CAPACITY, f"m-{n}"), f"m-{n}") for n in range(1, 5)]
        students: list[UUID] = []
        centre_of: dict[str, str] = {}
        for i in range(120):
            centre, mentor = centres[i % len(centres)]
            name = f"Student {i:03d}"
            student = (sw.placed(name, centre=centre) if centre in (sw.workshop, sw.depot)
                       else sw.placed_at(centre, mentor, name))
            students.append(student)
            centre_of[str(student)] = str(centre)
        placement_of = {s: next(iter(sw.app.get_student(sw.admin, UUID(s)).placements)) for s in centre_of}
        plan = sw.generate(pattern(students, start=START, groups=4, cycles=2))
        conflicts_before = sw.conflicts(plan)
        shuffled = list(reversed(students))
        random.Random(20270301).shuffle(shuffled)
        again = sw.generate(pattern(shuffled, start=START, groups=4, cycles=2), title="generated again")
        position = sw.schedules.max_position()
        sw.publish(plan)
        yield Cohort(sw, [c for c, _ in centres], centre_of, placement_of, plan, again, conflicts_before,
                     sw.events(position + 1), sw.conflicts(plan))
    finally:
        container.close()


def test_given_the_cohort_when_generated_then_the_checker_finds_no_conflict(cohort: Cohort) -> None:
    assert cohort.conflicts_before == []


def test_given_the_generated_plan_when_published_then_no_override_is_needed_and_it_stays_conflict_free(
    cohort: Cohort,
) -> None:
    assert names(cohort.published_events) == ["RotationPlanPublished"]
    assert cohort.conflicts_after == []
    read = cohort.read(cohort.plan)
    assert (read.status, read.revision) == ("published", 1)


def test_given_the_generated_plan_then_no_centre_hosts_more_than_its_ten_places_in_any_week(cohort: Cohort) -> None:
    content = cohort.read(cohort.plan).content
    weekly: dict[tuple[str, date], set[str]] = defaultdict(set)
    for block in content.blocks:
        for a in block.assignments:
            for monday in block.period.mondays():
                weekly[(a.centre_id, monday)].add(a.student_id)
    assert max(len(s) for s in weekly.values()) <= CAPACITY
    assert {centre for centre, _ in weekly} == {str(c) for c in cohort.centres}
    assert {monday for _, monday in weekly} == {START + timedelta(weeks=w) for w in range(16)}  # every week used


def test_given_the_generated_plan_then_four_groups_of_thirty_each_student_in_one_and_at_their_placements_centre(
    cohort: Cohort,
) -> None:
    content = cohort.read(cohort.plan).content
    assert [(g.name, len(g.students)) for g in content.groups] == [("A", 30), ("B", 30), ("C", 30), ("D", 30)]
    membership = Counter(s for g in content.groups for s in g.students)
    assert set(membership) == set(cohort.centre_of) and set(membership.values()) == {1}
    for group in content.groups:  # each centre's twenty students are spread five to a group
        assert Counter(cohort.centre_of[s] for s in group.students) == {str(c): 5 for c in cohort.centres}
    enterprise = [b for b in content.blocks if b.kind == "enterprise"]
    for b in enterprise:
        assert {a.student_id: a.centre_id for a in b.assignments} == {
            s: cohort.centre_of[s] for s in content.members(b.group)}, b.id
        assert b.hours_per_week == 40


def test_given_the_generated_plan_then_the_groups_alternate_staggered_over_the_term(cohort: Cohort) -> None:
    content = cohort.read(cohort.plan).content
    assert (content.term.start, content.term.end) == (START, TERM_END)
    at_enterprises: Counter[date] = Counter()
    for group in content.groups:
        blocks = sorted((b for b in content.blocks if b.group == group.name), key=lambda b: b.start)
        assert blocks[0].start == START and blocks[-1].end == TERM_END - timedelta(days=2)  # the last Friday
        assert all(x.kind != y.kind for x, y in pairwise(blocks))  # school and enterprise by turns
        assert all(x.end + timedelta(days=3) == y.start for x, y in pairwise(blocks))  # Friday, then Monday
        weeks = Counter(b.kind for b in blocks for _ in b.period.mondays())
        assert weeks == {"school": 8, "enterprise": 8}, group.name
        for b in blocks:
            if b.kind == "enterprise":
                at_enterprises.update(b.period.mondays())
    assert set(at_enterprises.values()) == {2}  # two groups of four at enterprises every week


def test_given_the_generated_plan_then_every_explanation_names_its_reason(cohort: Cohort) -> None:
    generated = cohort.read(cohort.plan).generated_from
    assert generated["pattern"] == {
        "start": "2027-03-01", "school_weeks": 4, "enterprise_weeks": 4, "cycles": 2, "groups": 4,
        "hours_per_week": 40, "students": sorted(cohort.centre_of), "calendar": {"holidays": [], "exam_weeks": []}}
    explained = generated["explanations"]
    assert [(g["group"], g["students"], g["offset_weeks"]) for g in explained["groups"]] == [
        ("A", 30, 0), ("B", 30, 2), ("C", 30, 4), ("D", 30, 6)]
    for g in explained["groups"]:
        assert g["reason"] == (f"starts {g['offset_weeks']} week(s) into the 8-week cycle (4 at school, 4 at "
                               "enterprises), spreading the 4 groups evenly: at most 2 at enterprises in any week")
    assert len(explained["students"]) == 120
    for s in explained["students"]:
        student = s["student_id"]
        assert (s["centre_id"], s["placement_id"]) == (cohort.centre_of[student], cohort.placement_of[student])
        assert s["reason"].startswith(f"placement {s['placement_id']} at centre {s['centre_id']} (agreed, "
                                      "2027-03-01..2027-06-30) covers most of the term; ")
        assert s["reason"].endswith(" of the centre's 20 students, dealt to the groups in turn")
    content = cohort.read(cohort.plan).content
    assert {s["student_id"]: s["group"] for s in explained["students"]} == {
        student: g.name for g in content.groups for student in g.students}
    assert [(c["centre_id"], c["peak"], c["capacity"]) for c in explained["centres"]] == [
        (c, CAPACITY, CAPACITY) for c in sorted(map(str, cohort.centres))]
    for c in explained["centres"]:
        assert c["reason"] == (f"at most 10 of its students are at enterprises in the same week ({c['peak_week']}), "
                               "within its capacity of 10")


def test_given_the_same_pattern_with_the_students_in_another_order_when_generated_again_then_the_plan_is_identical(
    cohort: Cohort,
) -> None:
    first, again = cohort.read(cohort.plan), cohort.read(cohort.again)
    assert again.content.to_dict() == first.revision_numbered(1).content.to_dict()
    assert again.generated_from == first.generated_from


# -- smaller cohorts --------------------------------------------------------------------------------------------------


@pytest.fixture
def sw(container) -> ScheduleWorld:
    return build_schedule_world(container)


def test_given_students_without_an_approved_placement_in_the_term_then_they_are_left_without_a_centre_and_told_why(
    sw: ScheduleWorld,
) -> None:
    placed = [sw.placed("Liu Yang"), sw.placed("Zhou Jie")]
    proposed = sw.proposed("Sun Li", centre=sw.depot)
    unplaced = sw.enrol("Wu Gang")
    earlier = sw.enrol("Ma Lin")
    sw.agree(earlier, sw.depot, date(2026, 9, 1), date(2027, 2, 26))  # ends before the term
    without = sorted(map(str, (proposed, unplaced, earlier)))
    plan = sw.generate(pattern([*placed, proposed, unplaced, earlier], groups=2))
    read = sw.schedules.get_plan(sw.admin.actor, plan)
    for s in read.generated_from["explanations"]["students"]:
        if s["student_id"] in without:
            assert (s["centre_id"], s["placement_id"]) == (None, None)
            assert s["reason"] == ("no approved placement overlaps the term: planned at school blocks only, "
                                   "without a centre in enterprise blocks")
    assert sorted(s for g in read.content.groups for s in g.students) == sorted(map(str, (*placed, *without)))
    assert all(a.student_id not in without for b in read.content.blocks for a in b.assignments)
    conflicts = sw.conflicts(plan)
    assert {c.kind for c in conflicts} == {"student-without-centre"}
    enterprise = {b.id: b for b in read.content.blocks if b.kind == "enterprise"}
    assert sorted((c.objects["block_id"], c.objects["student_id"]) for c in conflicts) == sorted(
        (b.id, s) for b in enterprise.values() for s in read.content.members(b.group) if s in without)


def test_given_two_placements_in_the_term_then_the_student_goes_to_the_one_covering_most_of_it(
    sw: ScheduleWorld,
) -> None:
    student = sw.enrol()
    sw.agree(student, sw.workshop, date(2027, 3, 1), date(2027, 3, 19))
    depot = sw.agree(student, sw.depot, date(2027, 3, 22), date(2027, 6, 30))
    plan = sw.generate(pattern([student]))
    read = sw.schedules.get_plan(sw.admin.actor, plan)
    [explained] = read.generated_from["explanations"]["students"]
    assert (explained["centre_id"], explained["placement_id"]) == (str(sw.depot), depot)
    assert [(b.id, b.kind, [a.centre_id for a in b.assignments]) for b in read.content.blocks] == [
        ("A1", "school", []), ("A2", "enterprise", [str(sw.depot)])]
    assert sw.conflicts(plan) == []


@pytest.mark.parametrize(("change", "field"), [
    ({"start": "2027-03-02"}, "start"),
    ({"groups": 3}, "groups"),
    ({"cycles": 0}, "cycles"),
    ({"hours_per_week": 0}, "hours_per_week"),
    ({"start": "2027-02-30"}, "start"),
])
def test_given_a_pattern_that_cannot_be_followed_when_generated_then_invalid_plan_names_the_field_and_nothing_is_stored(
    sw: ScheduleWorld, change: dict[str, Any], field: str,
) -> None:
    students = [sw.placed("Liu Yang"), sw.placed("Zhou Jie")]
    before = sw.schedules.max_position()
    with pytest.raises(InvalidPlan) as refused:
        sw.generate({**pattern(students), **change})
    assert refused.value.details["field"] == field, refused.value.message
    assert sw.schedules.max_position() == before


def test_given_holidays_and_exam_weeks_in_the_pattern_then_the_plan_carries_them_and_the_checker_sees_them(
    sw: ScheduleWorld,
) -> None:
    student = sw.placed()
    calendar = {"holidays": [{"start": "2027-04-05", "end": "2027-04-05", "name": "Qingming"}],
                "exam_weeks": [{"start": "2027-03-15", "end": "2027-03-19", "name": "mid-term"}]}
    plan = sw.generate(pattern([student], **calendar))
    assert sw.schedules.get_plan(sw.admin.actor, plan).content.to_dict()["calendar"] == calendar
    assert [(c.kind, c.week) for c in sw.conflicts(plan)] == [("enterprise-block-on-holiday", "2027-W14")]

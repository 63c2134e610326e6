"""The conflict checker, through the SchedulesApplication, on in-memory event stores.

Each kind of conflict is found with its kind, the ISO week where it first bites, the objects involved and its
figures; a plan that holds together has none. Content that does not hold together is refused before anything
is stored (InvalidPlan naming the field), as are students of another school and unknown students or centres.

The spring term runs from Monday 1 March 2027 (2027-W09) to Sunday 23 May (2027-W20); `placed()` students have
an agreed placement at the workshop (capacity 2) from 1 March to 30 June; the depot has capacity 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.common import rules as rules_module
from services.common.errors import NotFound, RuleViolated
from services.schedules.domain import InvalidPlan
from tests.service.schedule_world import (
    ScheduleWorld,
    block,
    build_schedule_world,
    content,
)

pytestmark = pytest.mark.rules

MAR_1, MAR_15, MAR_22, MAR_26, MAR_29 = (date(2027, 3, d) for d in (1, 15, 22, 26, 29))
APR_5, APR_9, APR_16, APR_19, APR_23 = (date(2027, 4, d) for d in (5, 9, 16, 19, 23))


@pytest.fixture
def sw(container) -> ScheduleWorld:
    return build_schedule_world(container)


def found(sw: ScheduleWorld, plan: UUID) -> list[dict[str, Any]]:
    return [c.to_dict() for c in sw.conflicts(plan)]


def only(sw: ScheduleWorld, plan: UUID) -> dict[str, Any]:
    [conflict] = found(sw, plan)
    return conflict


def kinds(sw: ScheduleWorld, plan: UUID) -> list[str]:
    return [c.kind for c in sw.conflicts(plan)]


def at(students: list[UUID], centre: UUID) -> dict[UUID, UUID]:
    return {s: centre for s in students}


# -- a plan that holds together -----------------------------------------------------------------------------------


def test_given_two_students_alternating_within_the_workshops_capacity_when_checked_then_there_is_no_conflict(
    sw: ScheduleWorld,
) -> None:
    plan = sw.draft(sw.alternating([sw.placed("Liu Yang"), sw.placed("Zhou Jie")],
                                   holidays=[(date(2027, 3, 8), date(2027, 3, 8), "Women's Day")],
                                   exam_weeks=[(date(2027, 5, 10), date(2027, 5, 14), "finals")]))
    assert sw.conflicts(plan) == []


# -- student-double-booked ------------------------------------------------------------------------------------------


def test_given_a_student_in_two_groups_whose_blocks_overlap_when_checked_then_the_student_is_double_booked_from_the_overlap(
    sw: ScheduleWorld,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(content({"A": [a, b], "B": [b]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("B1", "B", "enterprise", MAR_15, APR_9, 40, {b: sw.workshop}),
    ]))
    conflict = only(sw, plan)
    assert conflict == {
        "key": f"student-double-booked:{b}:{plan}/A1:{plan}/B1", "kind": "student-double-booked", "week": "2027-W11",
        "objects": {"student_id": str(b), "blocks": [{"plan_id": str(plan), "block_id": "A1"},
                                                     {"plan_id": str(plan), "block_id": "B1"}]},
        "message": f"student {b} is planned in block A1 of plan {plan} (at school) and block B1 of plan {plan} "
                   f"(at centre {sw.workshop}) from 2027-03-15",
        "details": {},
    }


def test_given_a_student_of_another_published_plan_at_the_same_time_when_checked_then_each_overlap_is_a_double_booking(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    published = sw.draft(sw.alternating([a]), title="the published plan")
    sw.publish(published)
    plan = sw.draft(content({"X": [a]}, [block("X1", "X", "school", MAR_22, APR_9)]), title="a second plan")
    conflicts = found(sw, plan)
    assert [(c["key"], c["week"], c["objects"]) for c in conflicts] == [
        (f"student-double-booked:{a}:{plan}/X1:{published}/A1", "2027-W12",
         {"student_id": str(a), "blocks": [{"plan_id": str(plan), "block_id": "X1"},
                                           {"plan_id": str(published), "block_id": "A1"}]}),
        (f"student-double-booked:{a}:{plan}/X1:{published}/A2", "2027-W13",
         {"student_id": str(a), "blocks": [{"plan_id": str(plan), "block_id": "X1"},
                                           {"plan_id": str(published), "block_id": "A2"}]}),
    ]
    assert {c["kind"] for c in conflicts} == {"student-double-booked"}
    assert f"block A2 of plan {published} (at centre {sw.workshop})" in conflicts[1]["message"]


def test_given_a_student_of_another_plan_that_is_only_a_draft_when_checked_then_there_is_no_double_booking(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    sw.draft(sw.alternating([a]), title="a draft")
    plan = sw.draft(content({"X": [a]}, [block("X1", "X", "school", MAR_22, APR_9)]))
    assert sw.conflicts(plan) == []


# -- centre-over-capacity ----------------------------------------------------------------------------------------------


def test_given_three_students_at_a_centre_of_two_places_for_two_weeks_when_checked_then_each_week_is_over_capacity(
    sw: ScheduleWorld,
) -> None:
    students = [sw.placed(name) for name in ("Liu Yang", "Zhou Jie", "Sun Li")]
    plan = sw.draft(content({"A": students}, [
        block("A1", "A", "enterprise", MAR_29, APR_9, 40, at(students, sw.workshop)),
    ]))
    conflicts = found(sw, plan)
    assert [c["key"] for c in conflicts] == [f"centre-over-capacity:{sw.workshop}:2027-W13",
                                             f"centre-over-capacity:{sw.workshop}:2027-W14"]
    for conflict, week in zip(conflicts, ("2027-W13", "2027-W14")):
        assert conflict["kind"] == "centre-over-capacity" and conflict["week"] == week
        assert conflict["objects"] == {"centre_id": str(sw.workshop), "students": sorted(map(str, students)),
                                       "plans": [str(plan)]}
        assert conflict["details"] == {"expected": 3, "capacity": 2, "from_this_plan": 3, "from_other_plans": 0}
        assert conflict["message"] == (f"centre Qingdao Workshop would host 3 students in {week}, "
                                       "over its capacity of 2")


def test_given_another_published_plan_at_the_same_centre_when_checked_then_its_students_count_in_the_weeks_both_share(
    sw: ScheduleWorld,
) -> None:
    a, b, c = sw.placed("Liu Yang"), sw.placed("Zhou Jie"), sw.placed("Sun Li")
    published = sw.draft(content({"A": [a, b]}, [block("A1", "A", "enterprise", MAR_29, APR_9, 40,
                                                       at([a, b], sw.workshop))]), title="the published plan")
    sw.publish(published)
    plan = sw.draft(content({"C": [c]}, [block("C1", "C", "enterprise", APR_5, APR_16, 40, {c: sw.workshop})]),
                    title="a second plan")
    conflict = only(sw, plan)  # 2027-W13 is the other plan's alone; in 2027-W15 the student is alone
    assert (conflict["key"], conflict["kind"], conflict["week"]) == (
        f"centre-over-capacity:{sw.workshop}:2027-W14", "centre-over-capacity", "2027-W14")
    # the other plan (maybe another school's) is named and counted; only this plan's students are listed
    assert conflict["objects"] == {"centre_id": str(sw.workshop), "students": [str(c)],
                                   "plans": sorted(map(str, (plan, published)))}
    assert conflict["details"] == {"expected": 3, "capacity": 2, "from_this_plan": 1, "from_other_plans": 2}


def test_given_students_at_a_centre_in_weeks_that_do_not_overlap_when_checked_then_capacity_is_counted_week_by_week(
    sw: ScheduleWorld,
) -> None:
    a, b = sw.placed("Liu Yang", centre=sw.depot), sw.placed("Zhou Jie", centre=sw.depot)
    plan = sw.draft(content({"A": [a], "B": [b]}, [
        block("A1", "A", "enterprise", MAR_29, APR_9, 40, {a: sw.depot}),  # ends on a Friday...
        block("B1", "B", "enterprise", date(2027, 4, 12), APR_23, 40, {b: sw.depot}),  # ...the next starts Monday
    ]))
    assert sw.conflicts(plan) == []


# -- no-placement-at-centre and outside-placement-period ---------------------------------------------------------------


def test_given_a_student_assigned_to_a_centre_where_they_have_no_placement_when_checked_then_no_placement_at_centre(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()  # at the workshop
    plan = sw.draft(content({"A": [a]}, [block("A1", "A", "enterprise", MAR_29, APR_9, 40, {a: sw.depot})]))
    assert only(sw, plan) == {
        "key": f"no-placement-at-centre:A1:{a}", "kind": "no-placement-at-centre", "week": "2027-W13",
        "objects": {"student_id": str(a), "block_id": "A1", "centre_id": str(sw.depot)},
        "message": f"student {a} has no approved or active placement at centre {sw.depot} for block A1",
        "details": {},
    }


def test_given_a_placement_that_is_only_proposed_when_its_student_is_assigned_there_then_no_placement_at_centre(
    sw: ScheduleWorld,
) -> None:
    a = sw.proposed(centre=sw.depot)
    plan = sw.draft(content({"A": [a]}, [block("A1", "A", "enterprise", MAR_29, APR_9, 40, {a: sw.depot})]))
    conflict = only(sw, plan)
    assert (conflict["key"], conflict["kind"], conflict["week"], conflict["objects"]) == (
        f"no-placement-at-centre:A1:{a}", "no-placement-at-centre", "2027-W13",
        {"student_id": str(a), "block_id": "A1", "centre_id": str(sw.depot)})


def test_given_a_block_beyond_the_students_placement_when_checked_then_outside_placement_period_lists_the_placement(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed(start=APR_5)
    [placement] = sw.app.get_student(sw.admin, a).placements
    plan = sw.draft(content({"A": [a]}, [block("A1", "A", "enterprise", MAR_29, APR_23, 40, {a: sw.workshop})]))
    assert only(sw, plan) == {
        "key": f"outside-placement-period:A1:{a}", "kind": "outside-placement-period", "week": "2027-W13",
        "objects": {"student_id": str(a), "block_id": "A1", "centre_id": str(sw.workshop)},
        "message": f"block A1 (2027-03-29..2027-04-23) is not within student {a}'s placement at centre {sw.workshop}",
        "details": {"placements": [{"placement_id": placement, "start": "2027-04-05", "last_day": "2027-06-30",
                                    "status": "agreed"}]},
    }


# -- the plan's own shape: overlapping blocks, holidays, exam weeks, hours, students left out ---------------------------


def test_given_two_blocks_of_a_group_that_overlap_when_checked_then_overlapping_blocks_names_the_group_and_both_blocks(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    plan = sw.draft(content({"A": [a]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("A2", "A", "enterprise", MAR_22, APR_16, 40, {a: sw.workshop}),
    ]))
    assert only(sw, plan) == {  # the same student in two blocks of one group is no double booking besides
        "key": "overlapping-blocks:A:A1:A2", "kind": "overlapping-blocks", "week": "2027-W12",
        "objects": {"group": "A", "blocks": ["A1", "A2"]},
        "message": "blocks A1 (2027-03-01..2027-03-26) and A2 (2027-03-22..2027-04-16) of group A overlap",
        "details": {},
    }


def test_given_a_holiday_during_an_enterprise_block_when_checked_then_enterprise_block_on_holiday_and_a_school_block_is_fine(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a], holidays=[(date(2027, 3, 8), date(2027, 3, 8), "Women's Day"),
                                                  (APR_5, APR_5, "Qingming")]))
    assert only(sw, plan) == {
        "key": "enterprise-block-on-holiday:A2:2027-04-05", "kind": "enterprise-block-on-holiday", "week": "2027-W14",
        "objects": {"block_id": "A2", "group": "A",
                    "holiday": {"start": "2027-04-05", "end": "2027-04-05", "name": "Qingming"}},
        "message": "enterprise block A2 runs through the holiday Qingming (2027-04-05..2027-04-05)",
        "details": {},
    }


def test_given_an_exam_week_during_an_enterprise_block_when_checked_then_enterprise_block_in_exam_week(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a], exam_weeks=[(APR_19, APR_23, "mid-term"),
                                                    (date(2027, 5, 10), date(2027, 5, 14), "finals")]))
    assert only(sw, plan) == {
        "key": "enterprise-block-in-exam-week:A2:2027-04-19", "kind": "enterprise-block-in-exam-week",
        "week": "2027-W16",
        "objects": {"block_id": "A2", "group": "A",
                    "exam_week": {"start": "2027-04-19", "end": "2027-04-23", "name": "mid-term"}},
        "message": "enterprise block A2 runs through the exam week mid-term (2027-04-19..2027-04-23)",
        "details": {},
    }


def test_given_an_enterprise_block_planning_more_than_40_hours_a_week_under_the_default_rules_then_weekly_hours_over_cap(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    assert sw.conflicts(sw.draft(sw.alternating([a], hours=40))) == []
    plan = sw.draft(sw.alternating([a], hours=44))
    assert only(sw, plan) == {
        "key": "weekly-hours-over-cap:A2", "kind": "weekly-hours-over-cap", "week": "2027-W13",
        "objects": {"block_id": "A2", "group": "A"},
        "message": "block A2 plans 44 h a week, over the default cap of 40 h",
        "details": {"planned_hours": 44, "cap_hours": 40, "rule_set": "default",
                    "weeks": ["2027-W13", "2027-W14", "2027-W15", "2027-W16"]},
    }


def test_given_a_school_on_the_vocational_internship_rules_then_its_cap_applies_in_the_weeks_each_version_is_in_force(
    sw: ScheduleWorld, monkeypatch,
) -> None:
    a = sw.placed(school=sw.vocational_school)
    by = sw.vocational_coordinator
    plan = sw.draft(sw.alternating([a], hours=41), by=by, school=sw.vocational_school)
    assert only(sw, plan)["details"] == {"planned_hours": 41, "cap_hours": 40, "rule_set": "cn-vocational-internship",
                                         "weeks": ["2027-W13", "2027-W14", "2027-W15", "2027-W16"]}
    # A new version of the rules lowers the cap from Monday 12 April: 38 h a week is over it from 2027-W15 only.
    [first] = rules_module.RULE_SETS["cn-vocational-internship"]
    lowered = replace(first, effective_from=date(2027, 4, 12), max_hours_per_week=36)
    monkeypatch.setitem(rules_module.RULE_SETS, "cn-vocational-internship", (first, lowered))
    plan = sw.draft(sw.alternating([a], hours=38), by=by, school=sw.vocational_school)
    conflict = only(sw, plan)
    assert (conflict["key"], conflict["week"], conflict["details"]) == (
        "weekly-hours-over-cap:A2", "2027-W15",
        {"planned_hours": 38, "cap_hours": 36, "rule_set": "cn-vocational-internship",
         "weeks": ["2027-W15", "2027-W16"]})
    assert conflict["message"] == "block A2 plans 38 h a week, over the cn-vocational-internship cap of 36 h"


def test_given_a_student_of_the_group_without_a_centre_in_an_enterprise_block_then_student_without_centre(
    sw: ScheduleWorld,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(content({"A": [a, b]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("A2", "A", "enterprise", MAR_29, APR_23, 40, {a: sw.workshop}),
    ]))
    assert only(sw, plan) == {
        "key": f"student-without-centre:A2:{b}", "kind": "student-without-centre", "week": "2027-W13",
        "objects": {"student_id": str(b), "block_id": "A2", "group": "A"},
        "message": f"student {b} of group A has no centre in enterprise block A2",
        "details": {},
    }


def test_given_many_conflicts_when_checked_then_they_come_ordered_by_week_then_kind(sw: ScheduleWorld) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(content({"A": [a, b]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("A2", "A", "enterprise", MAR_22, APR_23, 44, {a: sw.depot}),
    ], holidays=[(APR_5, APR_5, "Qingming")]))
    assert [(c.week, c.kind) for c in sw.conflicts(plan)] == [
        ("2027-W12", "no-placement-at-centre"), ("2027-W12", "overlapping-blocks"),
        ("2027-W12", "weekly-hours-over-cap"), ("2027-W12", "student-without-centre"),
        ("2027-W14", "enterprise-block-on-holiday"),
    ]


# -- content that does not hold together -----------------------------------------------------------------------------


def _invalid(sw: ScheduleWorld, students: list[UUID]) -> dict[str, tuple[dict[str, Any], str]]:
    a, b = students
    school = block("A1", "A", "school", MAR_1, MAR_26)
    works = block("A2", "A", "enterprise", MAR_29, APR_23, 40, {a: sw.workshop})
    return {
        "block ends before it starts": (content({"A": [a]}, [block("A1", "A", "school", MAR_26, MAR_1)]), "blocks[0]"),
        "term ends before it starts": (content({"A": [a]}, [], term=(date(2027, 5, 23), MAR_1)), "term"),
        "block outside the term": (content({"A": [a]}, [school, block("A2", "A", "school", date(2027, 5, 17),
                                                                      date(2027, 5, 28))]), "blocks[1]"),
        "unknown group": (content({"A": [a]}, [block("A1", "B", "school", MAR_1, MAR_26)]), "blocks[0].group"),
        "duplicate block id": (content({"A": [a]}, [school, {**works, "id": "A1"}]), "blocks[1].id"),
        "enterprise block without hours": (content({"A": [a]}, [school, {**works, "hours_per_week": None}]),
                                           "blocks[1].hours_per_week"),
        "student not in the group": (content({"A": [a], "B": [b]}, [school, block(
            "A2", "A", "enterprise", MAR_29, APR_23, 40, {b: sw.workshop})]), "blocks[1].assignments[0].student_id"),
        "school block with assignments": (content({"A": [a]}, [{**school, "assignments": works["assignments"]}]),
                                          "blocks[0].assignments"),
    }


CASES = ["block ends before it starts", "term ends before it starts", "block outside the term", "unknown group",
         "duplicate block id", "enterprise block without hours", "student not in the group",
         "school block with assignments"]


@pytest.mark.parametrize("case", CASES)
def test_given_content_that_does_not_hold_together_when_drafted_then_invalid_plan_names_the_field_and_nothing_is_stored(
    sw: ScheduleWorld, case: str,
) -> None:
    bad, field = _invalid(sw, [sw.placed("Liu Yang"), sw.placed("Zhou Jie")])[case]
    before = sw.schedules.max_position()
    with pytest.raises(InvalidPlan) as refused:
        sw.draft(bad)
    assert refused.value.details["field"] == field, refused.value.message
    assert sw.schedules.max_position() == before


@pytest.mark.parametrize("case", ["block outside the term", "student not in the group"])
def test_given_content_that_does_not_hold_together_when_a_draft_is_changed_to_it_then_invalid_plan_and_the_draft_stands(
    sw: ScheduleWorld, case: str,
) -> None:
    students = [sw.placed("Liu Yang"), sw.placed("Zhou Jie")]
    plan = sw.draft(sw.alternating(students[:1]))
    bad, field = _invalid(sw, students)[case]
    with pytest.raises(InvalidPlan) as refused:
        sw.schedules.change_draft(sw.coordinator, plan, content=bad)
    assert refused.value.details["field"] == field
    assert sw.schedules.get_plan(sw.admin.actor, plan).version == 1


def test_given_a_student_of_another_school_when_drafted_then_student_of_another_school_and_nothing_is_stored(
    sw: ScheduleWorld,
) -> None:
    ours, theirs = sw.placed("Liu Yang"), sw.placed("Wu Gang", school=sw.other_school)
    before = sw.schedules.max_position()
    with pytest.raises(RuleViolated) as refused:
        sw.draft(sw.alternating([ours, theirs]))
    assert (refused.value.rule, refused.value.details) == (
        "student-of-another-school", {"student_id": str(theirs)}), "the refusal does not say which school they are of"
    assert sw.schedules.max_position() == before


@pytest.mark.parametrize("who", ["unknown student", "malformed student id", "unknown centre", "unknown school"])
def test_given_an_unknown_student_centre_or_school_when_drafted_then_not_found_and_nothing_is_stored(
    sw: ScheduleWorld, who: str,
) -> None:
    a = sw.placed()
    plan = {
        "unknown student": sw.alternating([a, uuid4()]),
        "malformed student id": sw.alternating([a, "student-42"]),
        "unknown centre": sw.alternating([a], centre=uuid4()),
        "unknown school": sw.alternating([a]),
    }[who]
    before = sw.schedules.max_position()
    with pytest.raises(NotFound):
        if who == "unknown school":
            sw.schedules.draft_plan(sw.admin, school_id=str(uuid4()), cohort="c", title="t", content=plan)
        else:
            sw.draft(plan)
    assert sw.schedules.max_position() == before

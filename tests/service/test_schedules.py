"""A rotation plan's life through the SchedulesApplication, on in-memory event stores.

Drafted and changed freely; published only when every conflict is overridden with a justification (one event
per conflict, before the publication); then changed only by revisions with a reason, each kept readable with
its differences from the one before; who may write and read a plan; and the training context refusing practice
on the school days of a published plan. Two processes writing one plan at once: test_schedules_two_processes.py.

The spring term runs from Monday 1 March 2027 (2027-W09) to Sunday 23 May; `placed()` students have an agreed
placement at the workshop (capacity 2) from 1 March to 30 June; the depot has capacity 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import NotAllowed, NotFound, RuleViolated
from services.common.identity import CommandContext, Role
from services.schedules.domain import ConflictsRemain, PlanContent
from tests.service.placement_world import TODAY, as_, names
from tests.service.schedule_world import (
    ScheduleWorld,
    block,
    build_schedule_world,
    content,
    overriding,
    pattern,
    with_schedules,
)
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

MAR_1, MAR_26, MAR_29 = date(2027, 3, 1), date(2027, 3, 26), date(2027, 3, 29)
APR_16, APR_23, APR_26 = date(2027, 4, 16), date(2027, 4, 23), date(2027, 4, 26)
JUSTIFIED = "the enterprise doubles its trainers in April"


@pytest.fixture
def sw(container) -> ScheduleWorld:
    return build_schedule_world(container)


def refused(sw: ScheduleWorld, rule: str, command: Callable[..., Any], *args: Any, **kwargs: Any) -> RuleViolated:
    """Run a command that must be refused by `rule`, and check that nothing was recorded."""
    before = sw.schedules.max_position()
    with pytest.raises(RuleViolated) as caught:
        command(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert sw.schedules.max_position() == before
    return caught.value


def plan_of(sw: ScheduleWorld, plan: UUID) -> Any:
    return sw.schedules.get_plan(sw.admin.actor, plan)


def since(sw: ScheduleWorld, position: int) -> list[Any]:
    return sw.events(position + 1)


def crowded(sw: ScheduleWorld, students: list[UUID]) -> dict[str, Any]:
    """Three or more students alternating at the workshop of two places: over capacity in 2027-W13..W16."""
    return sw.alternating(students)


# -- drafting --------------------------------------------------------------------------------------------------------


def test_given_a_draft_when_its_content_is_changed_then_the_draft_holds_the_new_content_and_stays_unpublished(
    sw: ScheduleWorld,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(sw.alternating([a]))
    sw.schedules.change_draft(sw.coordinator, plan, content=sw.alternating([a, b]))
    drafted = plan_of(sw, plan)
    assert (drafted.status, drafted.revision, drafted.revisions, drafted.version) == ("draft", 0, [], 2)
    assert drafted.content.students == [str(a), str(b)]
    assert drafted.content.to_dict() == PlanContent.from_dict(sw.alternating([a, b])).to_dict()
    assert names(sw.events()) == ["RotationPlanDrafted", "RotationPlanDraftChanged"]
    [summary] = sw.schedules.plans(sw.coordinator.actor)
    assert (summary.plan_id, summary.school_id, summary.cohort, summary.revision) == (
        str(plan), str(sw.school), "mechatronics-2024", 0)


def test_given_a_draft_when_it_is_changed_to_a_pattern_and_back_then_it_remembers_what_it_was_generated_from(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a]))
    sw.schedules.change_draft(sw.coordinator, plan, pattern=pattern([a]))
    generated = plan_of(sw, plan)
    assert generated.generated_from["pattern"]["students"] == [str(a)]
    assert [b.id for b in generated.content.blocks] == ["A1", "A2"]
    sw.schedules.change_draft(sw.coordinator, plan, content=sw.alternating([a]))
    assert plan_of(sw, plan).generated_from is None


# -- publication -----------------------------------------------------------------------------------------------------


def test_given_conflicts_when_published_without_overriding_each_then_plan_has_conflicts_lists_them_and_nothing_is_stored(
    sw: ScheduleWorld,
) -> None:
    plan = sw.draft(crowded(sw, [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]))
    conflicts = sw.conflicts(plan)
    assert [c.week for c in conflicts] == ["2027-W13", "2027-W14", "2027-W15", "2027-W16"]
    error = refused(sw, "plan-has-conflicts", sw.publish, plan)
    assert isinstance(error, ConflictsRemain)
    assert error.details["conflicts"] == [c.to_dict() for c in conflicts]
    partly = overriding(conflicts[:3], JUSTIFIED)
    error = refused(sw, "plan-has-conflicts", sw.publish, plan, partly)
    assert error.details["conflicts"] == [conflicts[3].to_dict()]
    assert plan_of(sw, plan).status == "draft"


def test_given_every_conflict_overridden_when_published_then_one_override_event_each_precedes_the_publication(
    sw: ScheduleWorld,
) -> None:
    plan = sw.draft(crowded(sw, [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]))
    conflicts = sw.conflicts(plan)
    before = sw.schedules.max_position()
    published = sw.publish(plan, overriding(conflicts, f"  {JUSTIFIED}  "))
    events = since(sw, before)
    assert names(events) == ["PlanConflictOverridden"] * 4 + ["RotationPlanPublished"]
    assert [(e.revision, e.conflict, e.justification) for e in events[:4]] == [
        (1, c.to_dict(), JUSTIFIED) for c in conflicts]
    assert {(e.meta.subject, e.meta.role) for e in events} == {("coord-chen", "coordinator")}
    assert (events[4].revision, events[4].content, events[4].school_id) == (
        1, plan_of(sw, plan).content.to_dict(), str(sw.school))
    plan_now = plan_of(sw, plan)
    assert (plan_now.status, plan_now.revision, published.version) == ("published", 1, 6)
    [revision] = plan_now.revisions
    assert [(o.conflict, o.justification, o.by) for o in revision.overrides] == [
        (c.to_dict(), JUSTIFIED, "coord-chen") for c in conflicts]
    assert (revision.number, revision.reason, revision.changes, revision.by) == (1, None, None, "coord-chen")


def test_given_a_clean_plan_when_published_then_only_the_publication_is_recorded(sw: ScheduleWorld) -> None:
    plan = sw.draft(sw.alternating([sw.placed()]))
    before = sw.schedules.max_position()
    sw.publish(plan)
    assert names(since(sw, before)) == ["RotationPlanPublished"]
    [summary] = sw.schedules.plans(sw.admin.actor)
    assert summary.revision == 1


def test_given_an_override_naming_no_conflict_the_plan_has_then_the_publication_is_refused(sw: ScheduleWorld) -> None:
    clean = sw.draft(sw.alternating([sw.placed("Liu Yang")]))
    error = refused(sw, "override-matches-no-conflict", sw.publish, clean, {"centre-over-capacity:x:2027-W13": "x"})
    assert error.details == {"keys": ["centre-over-capacity:x:2027-W13"]}
    plan = sw.draft(crowded(sw, [sw.placed(n) for n in ("Zhou Jie", "Sun Li", "Wu Gang")]))
    overrides = {**overriding(sw.conflicts(plan), JUSTIFIED), "weekly-hours-over-cap:A2": JUSTIFIED}
    error = refused(sw, "override-matches-no-conflict", sw.publish, plan, overrides)
    assert error.details == {"keys": ["weekly-hours-over-cap:A2"]}


def test_given_an_override_with_a_blank_justification_then_the_publication_is_refused(sw: ScheduleWorld) -> None:
    plan = sw.draft(crowded(sw, [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]))
    conflicts = sw.conflicts(plan)
    overrides = {**overriding(conflicts, JUSTIFIED), conflicts[1].key: "   "}
    error = refused(sw, "justification-required", sw.publish, plan, overrides)
    assert error.details == {"keys": [conflicts[1].key]}


def test_given_a_published_plan_then_its_draft_cannot_be_changed_nor_published_again(sw: ScheduleWorld) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a]))
    sw.publish(plan)
    error = refused(sw, "plan-published", sw.schedules.change_draft, sw.coordinator, plan,
                    content=sw.alternating([a], hours=30))
    assert error.details == {"plan_id": str(plan), "revision": 1}
    error = refused(sw, "plan-already-published", sw.publish, plan)
    assert error.details == {"plan_id": str(plan), "revision": 1}


# -- revisions -----------------------------------------------------------------------------------------------------


def test_given_a_revision_then_it_needs_a_reason_must_change_something_and_a_draft_is_not_revised(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    draft = sw.draft(sw.alternating([a]), title="a draft")
    refused(sw, "plan-not-published", sw.revise, draft, sw.alternating([a], hours=30))
    plan = sw.draft(sw.alternating([a]))
    sw.publish(plan)
    refused(sw, "reason-required", sw.revise, plan, sw.alternating([a], hours=30), reason="  ")
    error = refused(sw, "revision-changes-nothing", sw.revise, plan, sw.alternating([a]))
    assert error.details == {"revision": 1}
    position = sw.schedules.max_position()
    revised = sw.revise(plan, sw.alternating([a], hours=30), reason="  the enterprise cut its hours ")
    [event] = sw.events(position + 1)
    assert (type(event).__name__, event.revision, event.reason) == (
        "RotationPlanRevised", 2, "the enterprise cut its hours")
    assert event.changes["blocks_changed"] == [{"block_id": "A2", "changes": {"hours_per_week": {"from": 40, "to": 30}}}]
    assert (revised.version, plan_of(sw, plan).revision) == (3, 2)


def test_given_a_conflict_overridden_at_an_earlier_revision_when_found_again_unchanged_then_it_needs_no_new_override(
    sw: ScheduleWorld,
) -> None:
    students = [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]
    plan = sw.draft(crowded(sw, students))
    first = sw.conflicts(plan)
    sw.publish(plan, overriding(first, JUSTIFIED))
    before = sw.schedules.max_position()
    sw.revise(plan, crowded(sw, students) | {"calendar": {"holidays": [
        {"start": "2027-03-08", "end": "2027-03-08", "name": "Women's Day"}], "exam_weeks": []}},
        reason="Women's Day off at school")
    assert names(since(sw, before)) == ["RotationPlanRevised"]
    assert [c.to_dict() for c in sw.conflicts(plan)] == [c.to_dict() for c in first]


def test_given_a_conflict_overridden_at_an_earlier_revision_when_it_changed_then_it_needs_a_new_override(
    sw: ScheduleWorld,
) -> None:
    students = [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]
    plan = sw.draft(crowded(sw, students))
    sw.publish(plan, overriding(sw.conflicts(plan), JUSTIFIED))
    more = [*students, sw.placed("Wu Gang")]
    error = refused(sw, "plan-has-conflicts", sw.revise, plan, crowded(sw, more), reason="a fourth student")
    changed = error.details["conflicts"]
    assert [c["key"] for c in changed] == [f"centre-over-capacity:{sw.workshop}:2027-W{w}" for w in (13, 14, 15, 16)]
    assert {c["details"]["expected"] for c in changed} == {4}  # same keys, the figures differ: not the same conflict
    before = sw.schedules.max_position()
    sw.revise(plan, crowded(sw, more), reason="a fourth student",
              overrides={c["key"]: "the enterprise takes four" for c in changed})
    events = since(sw, before)
    assert names(events) == ["PlanConflictOverridden"] * 4 + ["RotationPlanRevised"]
    assert [(e.revision, e.conflict, e.justification) for e in events[:4]] == [
        (2, c, "the enterprise takes four") for c in changed]
    assert [o.justification for o in plan_of(sw, plan).revision_numbered(2).overrides] == ["the enterprise takes four"] * 4


def test_given_three_revisions_then_each_stays_readable_with_its_content_reason_and_author(sw: ScheduleWorld) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    contents = [sw.alternating([a]), sw.alternating([a, b]), sw.alternating([a, b], hours=32)]
    plan = sw.draft(contents[0])
    sw.publish(plan, by=sw.admin)
    sw.revise(plan, contents[1], reason="Zhou Jie joins")
    sw.revise(plan, contents[2], reason="shorter weeks", by=sw.admin)
    read = plan_of(sw, plan)
    assert read.revision == 3 and read.content.to_dict() == PlanContent.from_dict(contents[2]).to_dict()
    assert [(r.number, r.reason, r.by) for r in read.revisions] == [
        (1, None, "admin-1"), (2, "Zhou Jie joins", "coord-chen"), (3, "shorter weeks", "admin-1")]
    for number, written in enumerate(contents, start=1):
        assert read.revision_numbered(number).content.to_dict() == PlanContent.from_dict(written).to_dict()
    assert read.revision_numbered(1).content.students == [str(a)]
    assert read.revision_numbered(2).changes == sw.schedules.changes_between(sw.admin.actor, plan, 1, 2)


def test_given_two_revisions_then_changes_between_them_reads_both_ways(sw: ScheduleWorld) -> None:
    a, b, c = sw.placed("Liu Yang"), sw.placed("Zhou Jie"), sw.placed("Sun Li", centre=sw.depot)
    d, e = sw.placed("Wu Gang"), sw.placed("Ma Lin")
    W, D = sw.workshop, sw.depot
    first = content({"A": [a, b], "B": [c]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("A2", "A", "enterprise", MAR_29, APR_23, 40, {a: W, b: W}),
        block("B1", "B", "enterprise", MAR_1, MAR_26, 40, {c: D}),
        block("B2", "B", "school", MAR_29, APR_23),
    ])
    second = content({"A": [a, b], "B": [c, d], "C": [e]}, [
        block("A1", "A", "school", MAR_1, MAR_26),
        block("A2", "A", "enterprise", MAR_29, APR_16, 36, {a: W, b: D}),
        block("B1", "B", "enterprise", MAR_1, MAR_26, 40, {c: D, d: W}),
        block("B3", "B", "school", MAR_29, APR_23),
        block("C1", "C", "school", MAR_1, MAR_26),
    ], holidays=[(date(2027, 5, 3), date(2027, 5, 5), "Labour Day")])
    plan = sw.draft(first)
    sw.publish(plan)
    sw.revise_overriding_all(plan, second, reason="Wu Gang and Ma Lin join; Zhou Jie goes to the depot")
    labour = [{"start": "2027-05-03", "end": "2027-05-05", "name": "Labour Day"}]
    b2 = {"id": "B2", "group": "B", "kind": "school", "start": "2027-03-29", "end": "2027-04-23",
          "hours_per_week": None, "assignments": []}
    b3, c1 = {**b2, "id": "B3"}, {**b2, "id": "C1", "group": "C", "start": "2027-03-01", "end": "2027-03-26"}
    forth = sw.schedules.changes_between(sw.coordinator.actor, plan, 1, 2)
    assert forth == {
        "term": None,
        "holidays": {"added": labour, "removed": []},
        "exam_weeks": {"added": [], "removed": []},
        "groups": [{"group": "B", "added": [str(d)], "removed": [], "status": "changed"},
                   {"group": "C", "added": [str(e)], "removed": [], "status": "added"}],
        "blocks_added": [b3, c1],
        "blocks_removed": [b2],
        "blocks_changed": [{"block_id": "A2", "changes": {"end": {"from": "2027-04-23", "to": "2027-04-16"},
                                                          "hours_per_week": {"from": 40, "to": 36}}}],
        "assignments_changed": [{"block_id": "A2", "student_id": str(b), "from": str(W), "to": str(D)},
                                {"block_id": "B1", "student_id": str(d), "from": None, "to": str(W)}],
    }
    back = sw.schedules.changes_between(sw.coordinator.actor, plan, 2, 1)
    assert back == {
        "term": None,
        "holidays": {"added": [], "removed": labour},
        "exam_weeks": {"added": [], "removed": []},
        "groups": [{"group": "B", "added": [], "removed": [str(d)], "status": "changed"},
                   {"group": "C", "added": [], "removed": [str(e)], "status": "removed"}],
        "blocks_added": [b2],
        "blocks_removed": [b3, c1],
        "blocks_changed": [{"block_id": "A2", "changes": {"end": {"from": "2027-04-16", "to": "2027-04-23"},
                                                          "hours_per_week": {"from": 36, "to": 40}}}],
        "assignments_changed": [{"block_id": "A2", "student_id": str(b), "from": str(D), "to": str(W)},
                                {"block_id": "B1", "student_id": str(d), "from": str(W), "to": None}],
    }
    assert sw.schedules.changes_between(sw.coordinator.actor, plan, 2, 2)["blocks_changed"] == []
    with pytest.raises(NotFound) as missing:
        sw.schedules.changes_between(sw.coordinator.actor, plan, 1, 3)
    assert missing.value.details == {"revision": 3}


def test_given_a_revised_plan_then_the_other_plans_are_checked_against_its_current_revision(sw: ScheduleWorld) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a]), title="the first plan")
    sw.publish(plan)
    later = sw.draft(content({"X": [a]}, [block("X1", "X", "school", date(2027, 5, 3), date(2027, 5, 14))]),
                     title="a later plan")
    assert [c.kind for c in sw.conflicts(later)] == ["student-double-booked"]  # A3 runs 26 April to 21 May
    sw.revise(plan, content({"A": [a]}, [block("A1", "A", "school", MAR_1, MAR_26),
                                         block("A2", "A", "enterprise", MAR_29, APR_23, 40, {a: sw.workshop})]),
              reason="the last weeks move to the later plan")
    assert sw.conflicts(later) == []


# -- who may write and read --------------------------------------------------------------------------------------------


def outsiders(sw: ScheduleWorld, student: UUID) -> dict[str, CommandContext]:
    return {
        "another school's coordinator": sw.other_coordinator,
        "the school's teacher": as_(Role.TEACHER, "teacher-gao", school_id=str(sw.school)),
        "another school's teacher": as_(Role.TEACHER, "teacher-li", school_id=str(sw.other_school)),
        "the workshop's mentor": sw.mentor(sw.workshop),
        "the student": sw.student(student),
        "an auditor": as_(Role.AUDITOR, "auditor-1"),
    }


def test_given_anyone_but_the_schools_coordinators_and_admins_then_drafting_publishing_and_revising_are_not_allowed(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed()
    draft = sw.draft(sw.alternating([a]), by=sw.admin, title="by an admin")
    published = sw.draft(sw.alternating([a]), title="by the coordinator")
    sw.publish(published, by=sw.admin)
    commands: dict[str, Callable[[CommandContext], Any]] = {
        "draft": lambda ctx: sw.draft(sw.alternating([a]), by=ctx),
        "generate": lambda ctx: sw.generate(pattern([a]), by=ctx, school=sw.school),
        "change": lambda ctx: sw.schedules.change_draft(ctx, draft, content=sw.alternating([a], hours=30)),
        "publish": lambda ctx: sw.publish(draft, by=ctx),
        "revise": lambda ctx: sw.revise(published, sw.alternating([a], hours=30), by=ctx),
    }
    for who, ctx in outsiders(sw, a).items():
        for name, command in commands.items():
            before = sw.schedules.max_position()
            with pytest.raises(NotAllowed):
                command(ctx)
            assert sw.schedules.max_position() == before, (who, name)
    sw.schedules.change_draft(sw.coordinator, draft, content=sw.alternating([a], hours=30))
    sw.revise(published, sw.alternating([a], hours=30), by=sw.admin)
    sw.revise(published, sw.alternating([a], hours=32), by=sw.coordinator)
    assert (plan_of(sw, draft).version, plan_of(sw, published).revision) == (2, 3)


def test_given_a_plan_then_the_schools_staff_admins_and_auditors_read_it_and_outsiders_do_not(sw: ScheduleWorld) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a]))
    sw.publish(plan)
    readers = [sw.coordinator, sw.admin, as_(Role.TEACHER, "teacher-gao", school_id=str(sw.school)),
               as_(Role.AUDITOR, "auditor-1")]
    for ctx in readers:
        assert sw.schedules.get_plan(ctx.actor, plan).id == plan
        assert sw.schedules.check_plan(ctx.actor, plan) == []
        assert [s.plan_id for s in sw.schedules.plans(ctx.actor)] == [str(plan)]
    for who in ("another school's coordinator", "another school's teacher", "the student"):
        actor = outsiders(sw, a)[who].actor
        for query in (sw.schedules.get_plan, sw.schedules.check_plan):
            with pytest.raises(NotAllowed):
                query(actor, plan)
        with pytest.raises(NotAllowed):
            sw.schedules.changes_between(actor, plan, 1, 1)
        assert sw.schedules.plans(actor) == [], who


def test_given_plans_placing_students_at_different_centres_then_a_mentor_reads_only_those_at_their_centre(
    sw: ScheduleWorld,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie", centre=sw.depot)
    at_workshop = sw.draft(sw.alternating([a]), title="at the workshop")
    at_depot = sw.draft(sw.alternating([b], centre=sw.depot), title="at the depot")
    for plan in (at_workshop, at_depot):
        sw.publish(plan)
    wang, zhao = sw.mentor(sw.workshop).actor, sw.mentor(sw.depot).actor
    assert sw.schedules.get_plan(wang, at_workshop).id == at_workshop
    assert sw.schedules.get_plan(zhao, at_depot).id == at_depot
    with pytest.raises(NotAllowed):
        sw.schedules.get_plan(wang, at_depot)
    with pytest.raises(NotAllowed):
        sw.schedules.check_plan(zhao, at_workshop)
    assert [s.plan_id for s in sw.schedules.plans(wang)] == [str(at_workshop)]
    assert [s.plan_id for s in sw.schedules.plans(zhao)] == [str(at_depot)]
    not_yet = as_(Role.MENTOR, "m-new", enterprise_id=str(sw.haier)).actor  # a mentor not (yet) at a centre
    assert sw.schedules.plans(not_yet) == []


# -- the training context reads published plans ---------------------------------------------------------------------


NOV_2, NOV_20, DEC_4 = date(2026, 11, 2), date(2026, 11, 20), date(2026, 12, 4)
WEDNESDAY, SATURDAY = MONDAY + timedelta(days=2), MONDAY + timedelta(days=5)


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def november(a: UUID, b: UUID, centre: UUID) -> dict[str, Any]:
    """Group A at the workshop 2-20 November and at school 23 November-4 December (MONDAY is 23 November);
    group B the other way round; Wednesday 25 November is a holiday."""
    return content({"A": [a], "B": [b]}, [
        block("A1", "A", "enterprise", NOV_2, NOV_20, 40, {a: centre}),
        block("A2", "A", "school", MONDAY, DEC_4),
        block("B1", "B", "school", NOV_2, NOV_20),
        block("B2", "B", "enterprise", MONDAY, DEC_4, 40, {b: centre}),
    ], holidays=[(WEDNESDAY, WEDNESDAY, "sports day")], term=(NOV_2, date(2026, 12, 20)))


def test_given_a_published_plan_when_a_mentor_logs_practice_on_a_school_day_then_it_is_refused_as_a_school_day(
    tw: TrainingWorld, container: Container,
) -> None:
    (a, _), (b, _) = tw.placed("Liu Yang"), tw.placed("Zhou Jie")
    sw = with_schedules(tw.world, container)
    plan = sw.draft(november(a, b, tw.workshop))
    sw.publish_overriding_all(plan, "the enterprise runs through the sports day")
    before = tw.training.max_position()
    with pytest.raises(RuleViolated) as caught:
        tw.log(a, MONDAY)
    assert (caught.value.rule, caught.value.details) == ("school-day", {"day": "2026-11-23"})
    assert tw.training.max_position() == before
    tw.log(b, MONDAY)  # in B's enterprise block that day
    tw.log(a, SATURDAY)  # a weekend inside A's school block
    tw.log(a, WEDNESDAY)  # a holiday inside A's school block
    tw.log(a, NOV_20)  # A's enterprise block
    days = {s: sorted(e.current.day for e in tw.training.get_training_record(tw.admin, s).entries.values())
            for s in (a, b)}
    assert days == {a: [NOV_20, WEDNESDAY, SATURDAY], b: [MONDAY]}


def test_given_only_a_draft_when_a_mentor_logs_practice_on_its_school_day_then_it_is_accepted(
    tw: TrainingWorld, container: Container,
) -> None:
    (a, _), (b, _) = tw.placed("Liu Yang"), tw.placed("Zhou Jie")
    sw = with_schedules(tw.world, container)
    sw.draft(november(a, b, tw.workshop))
    assert tw.log(a, MONDAY).entry_id


def test_given_a_revision_that_moves_the_school_block_then_practice_follows_the_revision_in_force(
    tw: TrainingWorld, container: Container,
) -> None:
    (a, _), (b, _) = tw.placed("Liu Yang"), tw.placed("Zhou Jie")
    sw = with_schedules(tw.world, container)
    plan = sw.draft(november(a, b, tw.workshop))
    sw.publish_overriding_all(plan, "the enterprise runs through the sports day")
    with pytest.raises(RuleViolated):
        tw.log(a, MONDAY)
    moved = november(a, b, tw.workshop)
    moved["blocks"][1]["start"] = "2026-11-30"  # A2 now starts a week later: A has no block in MONDAY's week
    moved["blocks"][1]["end"] = "2026-12-11"
    sw.revise_overriding_all(plan, moved, reason="school weeks moved", justification="as before")
    assert tw.log(a, MONDAY).entry_id
    with pytest.raises(RuleViolated) as caught:
        tw.log(a, TODAY)  # Monday 30 November: now a school day
    assert caught.value.rule == "school-day"


# -- one student, however their id is spelled ---------------------------------------------------------------------------


def test_given_a_student_id_spelled_in_capitals_then_the_plan_stores_one_spelling_and_the_school_day_rule_sees_it(
    sw: ScheduleWorld,
) -> None:
    a = sw.placed("Liu Yang")
    shouted = sw.alternating([str(a).upper()])
    plan = sw.draft(shouted)
    sw.publish(plan)
    assert plan_of(sw, plan).content.students == [str(a)]
    assert sw.schedules.is_school_day(str(a), date(2027, 3, 2))
    again = sw.draft(sw.alternating([a]), title="the same student, spelled the usual way")
    assert {c.kind for c in sw.conflicts(again)} == {"student-double-booked"}

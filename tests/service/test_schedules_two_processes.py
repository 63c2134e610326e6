"""Two processes writing rotation plans on one event store, on SQLite files and on PostgreSQL: a change made
elsewhere while a command decides is met at save time, and the command is decided again on it (or, given the
version it read, refused with a version conflict); nothing written by either is lost.

The spring term runs from Monday 1 March 2027 (2027-W09) to Sunday 23 May; `placed()` students have an agreed
placement at the workshop (capacity 2) from 1 March to 30 June; the depot has capacity 1.
"""

from __future__ import annotations

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import RuleViolated, VersionConflict
from services.schedules.domain import ConflictsRemain
from tests.service.conftest import meanwhile
from tests.service.placement_world import names
from tests.service.schedule_world import ScheduleWorld, build_schedule_world, overriding
from tests.service.test_schedules import JUSTIFIED, crowded, plan_of

pytestmark = pytest.mark.stored


@pytest.fixture
def sw(container) -> ScheduleWorld:
    return build_schedule_world(container)


def test_given_a_draft_changed_elsewhere_while_it_is_published_then_the_publication_is_decided_again_on_the_change(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(sw.alternating([a]))
    saves = meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.change_draft(
        sw.coordinator, plan, content=sw.alternating([a, b])))
    published = sw.publish(plan)
    assert len(saves) == 2 and published.version == 3
    read = plan_of(sw, plan)
    assert read.revision_numbered(1).content.students == [str(a), str(b)]  # the change is what got published
    assert names(sw.events()) == ["RotationPlanDrafted", "RotationPlanDraftChanged", "RotationPlanPublished"]



def test_given_a_draft_changed_elsewhere_when_published_with_the_version_read_then_version_conflict_and_the_change_stands(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(sw.alternating([a]))
    saves = meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.change_draft(
        sw.coordinator, plan, content=sw.alternating([a, b])))
    with pytest.raises(VersionConflict):
        sw.schedules.publish_plan(sw.coordinator, plan, expected_version=1)
    assert len(saves) == 1
    read = plan_of(sw, plan)
    assert (read.status, read.version, read.content.students) == ("draft", 2, [str(a), str(b)])



def test_given_overrides_for_conflicts_a_change_elsewhere_removed_when_published_then_the_retry_refuses_them(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    students = [sw.placed(n) for n in ("Liu Yang", "Zhou Jie", "Sun Li")]
    plan = sw.draft(crowded(sw, students))
    overrides = overriding(sw.conflicts(plan), JUSTIFIED)
    meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.change_draft(
        sw.coordinator, plan, content=sw.alternating(students[:2])))
    with pytest.raises(RuleViolated) as caught:
        sw.publish(plan, overrides)
    assert caught.value.rule == "override-matches-no-conflict"
    assert names(sw.events()) == ["RotationPlanDrafted", "RotationPlanDraftChanged"]



def test_given_a_plan_published_elsewhere_while_its_draft_is_changed_then_the_retry_refuses_the_change(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    a, b = sw.placed("Liu Yang"), sw.placed("Zhou Jie")
    plan = sw.draft(sw.alternating([a]))
    saves = meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.publish_plan(sw.coordinator, plan))
    with pytest.raises(RuleViolated) as caught:
        sw.schedules.change_draft(sw.coordinator, plan, content=sw.alternating([a, b]))
    assert caught.value.rule == "plan-published" and len(saves) == 1
    read = plan_of(sw, plan)
    assert (read.revision, read.content.students) == (1, [str(a)])



def test_given_two_revisions_racing_then_both_land_in_turn_and_neither_is_lost(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    a = sw.placed()
    plan = sw.draft(sw.alternating([a]))
    sw.publish(plan)
    meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.revise_plan(
        sw.admin, plan, content=sw.alternating([a], hours=30), reason="elsewhere"))
    sw.revise(plan, sw.alternating([a], hours=36), reason="here")
    read = plan_of(sw, plan)
    assert [(r.number, r.reason) for r in read.revisions] == [(1, None), (2, "elsewhere"), (3, "here")]
    assert read.revision_numbered(3).changes["blocks_changed"] == [
        {"block_id": "A2", "changes": {"hours_per_week": {"from": 30, "to": 36}}}]



def test_given_a_plan_published_elsewhere_then_this_process_checks_against_it(
    sw: ScheduleWorld, elsewhere: Container,
) -> None:
    a = sw.placed()
    ours = sw.draft(sw.alternating([a]), title="ours")
    assert sw.conflicts(ours) == []
    theirs = elsewhere.schedules.draft_plan(sw.coordinator, school_id=str(sw.school), cohort="c", title="theirs",
                                            content=sw.alternating([a])).id
    elsewhere.schedules.publish_plan(sw.coordinator, theirs)
    assert {c.kind for c in sw.conflicts(ours)} == {"student-double-booked"}



def test_given_two_plans_sharing_a_student_published_at_the_same_time_then_the_second_is_decided_again_seeing_the_first(
    sw: ScheduleWorld, elsewhere: Container, monkeypatch,
) -> None:
    a = sw.placed("Liu Yang")
    first = sw.draft(sw.alternating([a]), title="first")
    second = sw.draft(sw.alternating([a]), title="second")
    saves = meanwhile(sw.schedules, monkeypatch, lambda: elsewhere.schedules.publish_plan(sw.coordinator, first))
    with pytest.raises(ConflictsRemain) as caught:
        sw.publish(second)
    assert len(saves) == 1  # the first attempt lost the race on the publication register, the second saw `first`
    assert {c["kind"] for c in caught.value.details["conflicts"]} == {"student-double-booked"}
    assert (plan_of(sw, first).revision, plan_of(sw, second).revision) == (1, 0)
    assert [(e.plan_id, e.revision) for e in sw.register_events() if hasattr(e, "plan_id")] == [(str(first), 1)]

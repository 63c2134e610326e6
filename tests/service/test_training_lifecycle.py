"""A practice entry's life, training plans, competency catalogues, assessments and who may do what, through the
TrainingApplication, on in-memory event stores.

Sign-off (and countersignature under the vocational rules), rejection with a reason, corrections as new
revisions that never overwrite what was signed, the events on record with their metadata, plans drawn up from
the catalogue in force at a placement's start, catalogue changes by effective date, assessments by both sides
combined by the rule set, and access decisions. Two applications writing one student's record at once:
test_training_two_processes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.common.errors import (
    DomainError,
    NotAllowed,
    NotFound,
    RuleViolated,
    VersionConflict,
)
from services.common.identity import CommandContext, Role
from services.training.domain import training_record_id
from tests.service.placement_world import TODAY, as_, names
from tests.service.training_world import (
    MONDAY,
    PLACEMENT_START,
    TrainingWorld,
    build_training_world,
)

pytestmark = pytest.mark.rules

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in range(1, 5))
MAJOR = "mechatronics"


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def refused(tw: TrainingWorld, rule: str, command: Callable[..., Any], *args: Any, **kwargs: Any) -> RuleViolated:
    """Run a command that must be refused by `rule`, and check that nothing was recorded."""
    before = tw.training.max_position()
    with pytest.raises(RuleViolated) as caught:
        command(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert tw.training.max_position() == before
    return caught.value


def not_allowed(tw: TrainingWorld, command: Callable[..., Any], *args: Any, **kwargs: Any) -> NotAllowed:
    before = tw.training.max_position()
    with pytest.raises(NotAllowed) as caught:
        command(*args, **kwargs)
    assert tw.training.max_position() == before
    return caught.value


def correct(tw: TrainingWorld, ctx: CommandContext, student: UUID, entry: str, *, day: date = MONDAY,
            start: str = "08:00", end: str = "12:00", competencies: tuple[str, ...] = ("M1",),
            description: str = "practice", reason: str | None = "corrected", **extra: Any) -> Any:
    h1, m1 = start.split(":")
    h2, m2 = end.split(":")
    return tw.training.correct_practice(ctx, student, entry, day=day, start=time(int(h1), int(m1)),
                                        end=time(int(h2), int(m2)), competencies=list(competencies),
                                        description=description, reason=reason, **extra)  # type: ignore[arg-type]


def since(tw: TrainingWorld, position: int) -> list[Any]:
    return tw.events(position + 1)


def vocational(tw: TrainingWorld, name: str = "Sun Li") -> tuple[UUID, str]:
    return tw.placed(name, school=tw.vocational_school)


# -- sign-off and countersignature ---------------------------------------------------------------------------


def test_given_a_pending_entry_when_its_mentor_signs_it_then_it_is_signed_and_the_signature_names_the_revision(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    assert tw.entry(student, entry).status == "pending"
    before = tw.training.max_position()
    result = tw.sign(student, entry)
    assert (result.entry_id, result.id) == (entry, training_record_id(str(student)))
    assert tw.entry(student, entry).status == "signed"
    (signed,) = since(tw, before)
    assert (type(signed).__name__, signed.entry_id, signed.revision, signed.countersignature_required) == (
        "PracticeSignedOff", entry, 1, False)
    assert (signed.meta.subject, signed.meta.role, signed.meta.business_date) == ("m-wang", "mentor", MONDAY)


def test_given_the_vocational_rules_when_the_mentor_signs_then_a_teacher_of_the_school_countersigns(
    tw: TrainingWorld,
) -> None:
    student, _ = vocational(tw)
    entry = tw.log(student, MONDAY).entry_id
    tw.sign(student, entry)
    assert tw.entry(student, entry).status == "awaiting-countersignature"
    assert tw.events()[-1].countersignature_required is True
    not_allowed(tw, tw.training.countersign_practice, tw.teacher(tw.school), student, entry)  # another school
    not_allowed(tw, tw.training.countersign_practice, tw.mentor(tw.workshop), student, entry)
    tw.training.countersign_practice(tw.teacher(tw.vocational_school), student, entry)
    assert tw.entry(student, entry).status == "signed"
    countersigned = tw.events()[-1]
    assert (type(countersigned).__name__, countersigned.entry_id, countersigned.revision) == (
        "PracticeCountersigned", entry, 1)
    assert (countersigned.meta.subject, countersigned.meta.role, countersigned.meta.business_date) == (
        "teacher-gao", "teacher", MONDAY)
    other = tw.log(student, TUESDAY).entry_id
    tw.sign(student, other)
    tw.training.countersign_practice(tw.vocational_coordinator, student, other)  # a coordinator of the school too
    assert tw.entry(student, other).status == "signed"


# -- rejection -----------------------------------------------------------------------------------------------


def test_given_a_pending_entry_when_the_mentor_rejects_it_then_a_reason_is_required_and_recorded(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    for blank in ("", "   "):
        error = refused(tw, "rejection-reason", tw.training.reject_practice, tw.mentor(tw.workshop), student, entry,
                        reason=blank)
        assert error.details == {"entry_id": entry}
    tw.training.reject_practice(tw.mentor(tw.workshop), student, entry, reason="he was at the other line")
    assert tw.entry(student, entry).status == "rejected"
    rejected = tw.events()[-1]
    assert (type(rejected).__name__, rejected.entry_id, rejected.revision, rejected.reason) == (
        "PracticeRejected", entry, 1, "he was at the other line")
    assert (rejected.meta.reason, rejected.meta.subject, rejected.meta.business_date) == (
        "he was at the other line", "m-wang", MONDAY)
    teacher_rejects = tw.log(student, TUESDAY).entry_id
    tw.training.reject_practice(tw.teacher(), student, teacher_rejects, reason="no such task in the plan")
    assert tw.entry(student, teacher_rejects).status == "rejected"


def test_given_the_vocational_rules_then_the_mentor_rejects_before_signing_and_a_teacher_until_countersigning(
    tw: TrainingWorld,
) -> None:
    student, _ = vocational(tw)
    mentor, teacher = tw.mentor(tw.workshop), tw.teacher(tw.vocational_school)
    pending, awaiting, signed = (tw.log(student, day).entry_id for day in (MONDAY, TUESDAY, WEDNESDAY))
    tw.training.reject_practice(teacher, student, pending, reason="the hours are wrong")
    tw.sign(student, awaiting)
    error = refused(tw, "entry-status", tw.training.reject_practice, mentor, student, awaiting, reason="second thoughts")
    assert error.details == {"entry_id": awaiting, "status": "awaiting-countersignature", "allowed": ["pending"]}
    tw.training.reject_practice(teacher, student, awaiting, reason="not what the plan says")
    tw.sign(student, signed)
    tw.training.countersign_practice(teacher, student, signed)
    error = refused(tw, "entry-status", tw.training.reject_practice, teacher, student, signed, reason="too late")
    assert error.details == {"entry_id": signed, "status": "signed",
                             "allowed": ["pending", "awaiting-countersignature"]}
    assert [tw.entry(student, e).status for e in (pending, awaiting, signed)] == ["rejected", "rejected", "signed"]


# -- entry statuses --------------------------------------------------------------------------------------------


def test_given_entries_in_each_status_then_a_command_that_does_not_fit_the_status_is_refused_with_entry_status(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    mentor, teacher = tw.mentor(tw.workshop), tw.teacher()
    pending, signed, rejected = (tw.log(student, day).entry_id for day in (MONDAY, TUESDAY, WEDNESDAY))
    tw.sign(student, signed)
    tw.training.reject_practice(mentor, student, rejected, reason="wrong day")
    cases = [
        (tw.sign, (student, signed), "signed", ["pending"]),
        (tw.sign, (student, rejected), "rejected", ["pending"]),
        (tw.training.countersign_practice, (teacher, student, pending), "pending", ["awaiting-countersignature"]),
        (tw.training.countersign_practice, (teacher, student, signed), "signed", ["awaiting-countersignature"]),
    ]
    for command, args, status, allowed in cases:
        error = refused(tw, "entry-status", command, *args)
        assert (error.details["status"], error.details["allowed"]) == (status, allowed), (command, status)
    error = refused(tw, "entry-status", tw.training.reject_practice, mentor, student, signed, reason="r")
    assert error.details["status"] == "signed"
    refused(tw, "entry-status", tw.training.reject_practice, mentor, student, rejected, reason="again")
    before = tw.training.max_position()
    with pytest.raises(NotFound):
        tw.sign(student, "no-such-entry")
    assert tw.training.max_position() == before


# -- corrections --------------------------------------------------------------------------------------------------


def test_given_an_entry_when_corrected_then_a_new_revision_points_at_the_previous_one_and_awaits_signature(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY, "08:00", "12:00", description="assembled a gearbox").entry_id
    mentor = tw.mentor(tw.workshop)
    tw.training.reject_practice(mentor, student, entry, reason="he left at eleven")
    correct(tw, mentor, student, entry, end="11:00", description="assembled a gearbox", reason="left at eleven")
    corrected = tw.entry(student, entry)
    assert (corrected.status, corrected.revision) == ("pending", 2)
    assert [(p.end, p.description) for p in corrected.revisions] == [
        (time(12), "assembled a gearbox"), (time(11), "assembled a gearbox")]
    event = tw.events()[-1]
    assert (type(event).__name__, event.entry_id, event.corrects_revision, event.revision, event.end) == (
        "PracticeCorrected", entry, 1, 2, "11:00")
    assert (event.meta.reason, event.meta.subject, event.meta.business_date) == ("left at eleven", "m-wang", MONDAY)
    correct(tw, mentor, student, entry, day=TUESDAY, end="11:00", reason="it was Tuesday")
    event = tw.events()[-1]
    assert (event.corrects_revision, event.revision, event.day, event.meta.business_date) == (2, 3, TUESDAY, TUESDAY)
    assert [p.day for p in tw.entry(student, entry).revisions] == [MONDAY, MONDAY, TUESDAY]
    tw.sign(student, entry)
    assert tw.events()[-1].revision == 3


def test_given_a_signed_entry_when_corrected_then_the_signed_revision_stays_on_record_and_the_new_one_awaits_signature(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY, "08:00", "12:00").entry_id
    tw.sign(student, entry)
    correct(tw, tw.teacher(), student, entry, end="10:00", reason="the machine broke at ten")
    corrected = tw.entry(student, entry)
    assert (corrected.status, corrected.revision) == ("pending", 2)
    assert (corrected.revisions[0].start, corrected.revisions[0].end) == (time(8), time(12))  # what was signed
    by_type = [(type(e).__name__, getattr(e, "revision", None)) for e in tw.events()
               if getattr(e, "entry_id", None) == entry]
    assert by_type == [("PracticeLogged", None), ("PracticeSignedOff", 1), ("PracticeCorrected", 2)]
    logged = next(e for e in tw.events() if type(e).__name__ == "PracticeLogged" and e.entry_id == entry)
    assert (logged.start, logged.end) == ("08:00", "12:00")
    tw.sign(student, entry)
    assert (tw.entry(student, entry).status, tw.events()[-1].revision) == ("signed", 2)
    assert len(tw.entry(student, entry).revisions) == 2


def test_given_a_countersigned_entry_under_the_vocational_rules_when_corrected_then_both_signatures_are_needed_again(
    tw: TrainingWorld,
) -> None:
    student, _ = vocational(tw)
    teacher = tw.teacher(tw.vocational_school)
    entry = tw.log(student, MONDAY).entry_id
    tw.sign(student, entry)
    tw.training.countersign_practice(teacher, student, entry)
    correct(tw, teacher, student, entry, competencies=("M1", "M3"), reason="safety briefing too")
    assert tw.entry(student, entry).status == "pending"
    refused(tw, "entry-status", tw.training.countersign_practice, teacher, student, entry)
    tw.sign(student, entry)
    tw.training.countersign_practice(teacher, student, entry)
    assert (tw.entry(student, entry).status, tw.events()[-1].revision) == ("signed", 2)


def test_given_a_correction_then_it_must_change_something_and_say_why(tw: TrainingWorld) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY, description="assembled a gearbox").entry_id
    mentor = tw.mentor(tw.workshop)
    error = refused(tw, "correction-changes-nothing", correct, tw, mentor, student, entry,
                    description="assembled a gearbox", reason="just checking")
    assert error.details == {"entry_id": entry, "revision": 1}
    for reason in (None, "", "  "):
        error = refused(tw, "correction-reason", correct, tw, mentor, student, entry,
                        description="assembled two gearboxes", reason=reason)
        assert error.details == {"entry_id": entry}
    correct(tw, mentor, student, entry, description="assembled two gearboxes", reason="a second one after lunch")
    assert tw.entry(student, entry).current.description == "assembled two gearboxes"


def test_given_a_student_then_they_correct_only_their_own_drafts_that_are_not_signed(tw: TrainingWorld) -> None:
    student, _ = tw.placed()
    me, mentor = tw.student(student), tw.mentor(tw.workshop)
    draft = tw.log(student, MONDAY, by=me).entry_id
    assert tw.entry(student, draft).drafted_by_student is True
    correct(tw, me, student, draft, end="11:30", reason="typo")
    tw.training.reject_practice(mentor, student, draft, reason="you left at eleven")
    correct(tw, me, student, draft, end="11:00", reason="as you say")  # a rejected draft: still mine to fix
    tw.sign(student, draft, mentor)
    error = refused(tw, "student-corrects-own-drafts", correct, tw, me, student, draft, end="10:00", reason="oops")
    assert error.details == {"entry_id": draft, "status": "signed"}
    by_mentor = tw.log(student, TUESDAY).entry_id
    error = refused(tw, "student-corrects-own-drafts", correct, tw, me, student, by_mentor, day=TUESDAY,
                    end="13:00", reason="I stayed longer")
    assert error.details == {"entry_id": by_mentor, "status": "pending"}
    assert [p.end for p in tw.entry(student, draft).revisions] == [time(12), time(11, 30), time(11)]


# -- the events on record -------------------------------------------------------------------------------------------


def test_given_a_students_first_entry_then_the_record_is_opened_the_plan_drawn_up_and_the_practice_logged_at_once(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    before = tw.training.max_position()
    result = tw.log(student, MONDAY, "08:00", "12:30", ["M1", "M2"], description="wired a PLC cabinet")
    opened, drawn, logged = since(tw, before)
    assert names([opened, drawn, logged]) == ["TrainingRecordOpened", "TrainingPlanDrawnUp", "PracticeLogged"]
    record_id = training_record_id(str(student))
    assert {e.originator_id for e in (opened, drawn, logged)} == {record_id} and result.id == record_id
    assert [e.originator_version for e in (opened, drawn, logged)] == [1, 2, 3] and result.version == 3
    assert (opened.student_id, opened.school_id, opened.major) == (str(student), str(tw.school), MAJOR)
    assert (drawn.placement_id, drawn.centre_id, drawn.enterprise_id, drawn.catalogue_date) == (
        placement, str(tw.workshop), str(tw.haier), PLACEMENT_START)
    assert logged.entry_id == result.entry_id
    assert (logged.placement_id, logged.centre_id, logged.day, logged.start, logged.end, logged.competencies,
            logged.description, logged.drafted_by_student) == (
        placement, str(tw.workshop), MONDAY, "08:00", "12:30", ["M1", "M2"], "wired a PLC cabinet", False)
    assert (logged.meta.subject, logged.meta.role, logged.meta.correlation_id, logged.meta.reason,
            logged.meta.business_date) == ("m-wang", "mentor", "corr-m-wang", None, MONDAY)
    before = tw.training.max_position()
    tw.log(student, TUESDAY, by=tw.student(student))
    (draft,) = since(tw, before)
    assert (type(draft).__name__, draft.drafted_by_student, draft.meta.role, draft.meta.subject,
            draft.meta.business_date) == ("PracticeLogged", True, "student", f"student-{student}", TUESDAY)


def test_given_commands_on_an_entry_then_each_event_carries_the_actor_the_role_the_reason_and_the_entrys_day(
    tw: TrainingWorld,
) -> None:
    student, _ = vocational(tw)
    entry = tw.log(student, WEDNESDAY).entry_id
    start = tw.training.max_position()
    tw.training.reject_practice(tw.teacher(tw.vocational_school), student, entry, reason="no evidence")
    correct(tw, tw.mentor(tw.workshop), student, entry, day=WEDNESDAY, end="11:00", reason="photo added")
    tw.sign(student, entry)
    tw.training.countersign_practice(tw.teacher(tw.vocational_school), student, entry)
    recorded = [(type(e).__name__, e.meta.subject, e.meta.role, e.meta.reason, e.meta.business_date)
                for e in since(tw, start)]
    assert recorded == [
        ("PracticeRejected", "teacher-gao", "teacher", "no evidence", WEDNESDAY),
        ("PracticeCorrected", "m-wang", "mentor", "photo added", WEDNESDAY),
        ("PracticeSignedOff", "m-wang", "mentor", None, WEDNESDAY),
        ("PracticeCountersigned", "teacher-gao", "teacher", None, WEDNESDAY),
    ]


# -- training plans ---------------------------------------------------------------------------------------------------


def test_given_a_catalogue_revised_over_time_then_each_plan_is_drawn_from_the_catalogue_in_force_at_its_placements_start(
    tw: TrainingWorld,
) -> None:
    t = tw.training
    t.revise_competency_target(tw.admin, MAJOR, "M1", target_hours=150, effective_from=date(2026, 10, 1),
                               reason="new drive units")
    t.retire_competency(tw.admin, MAJOR, "M3", effective_from=date(2026, 10, 1), reason="taught at school")
    early, early_placement = tw.placed("Liu Yang")  # started 1 September
    late, late_placement = tw.placed("Zhou Jie", start=date(2026, 10, 5))
    tw.log(early, MONDAY, competencies=["M3"])
    tw.log(late, MONDAY)
    early_plan = t.get_training_record(tw.admin, early).plan(early_placement)
    late_plan = t.get_training_record(tw.admin, late).plan(late_placement)
    assert {c: v["target_hours"] for c, v in early_plan.targets.items()} == {"M1": 120, "M2": 80, "M3": 20}
    assert {c: v["target_hours"] for c, v in late_plan.targets.items()} == {"M1": 150, "M2": 80}
    assert early_plan.targets["M2"] == {"code": "M2", "title": "Wire PLC controls", "target_hours": 80,
                                        "scale": "percent"}
    drawn = [e for e in tw.events() if type(e).__name__ == "TrainingPlanDrawnUp"]
    assert [(e.placement_id, e.catalogue_date) for e in drawn] == [
        (early_placement, PLACEMENT_START), (late_placement, date(2026, 10, 5))]
    error = refused(tw, "competency-not-in-plan", tw.log, late, TUESDAY, competencies=["M3"])
    assert error.details == {"unknown": ["M3"], "plan": ["M1", "M2"]}


def test_given_a_plan_drawn_up_before_a_catalogue_revision_then_it_keeps_its_targets(tw: TrainingWorld) -> None:
    student, placement = tw.placed()
    tw.log(student, MONDAY)
    t = tw.training
    t.revise_competency_target(tw.admin, MAJOR, "M1", target_hours=200, effective_from=date(2026, 6, 1),
                               reason="back-dated revision")
    t.retire_competency(tw.admin, MAJOR, "M2", effective_from=date(2026, 6, 1), reason="back-dated")
    plan = t.get_training_record(tw.admin, student).plan(placement)
    assert {c: v["target_hours"] for c, v in plan.targets.items()} == {"M1": 120, "M2": 80, "M3": 20}
    tw.log(student, TUESDAY, competencies=["M2"])  # still in this plan
    newcomer, newcomer_placement = tw.placed("Zhou Jie")  # the same start, drawn up after the revision
    tw.log(newcomer, MONDAY)
    fresh = t.get_training_record(tw.admin, newcomer).plan(newcomer_placement)
    assert {c: v["target_hours"] for c, v in fresh.targets.items()} == {"M1": 200, "M3": 20}


def test_given_a_placement_then_a_coordinator_draws_its_plan_up_once_and_the_first_entry_does_not_draw_another(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    tw.training.draw_up_training_plan(tw.coordinator, student, placement)
    error = refused(tw, "plan-exists", tw.training.draw_up_training_plan, tw.coordinator, student, placement)
    assert error.details == {"placement_id": placement}
    tw.log(student, MONDAY)
    refused(tw, "plan-exists", tw.training.draw_up_training_plan, tw.admin, student, placement)
    assert names(tw.events()).count("TrainingPlanDrawnUp") == 1
    before = tw.training.max_position()
    with pytest.raises(NotFound):
        tw.training.draw_up_training_plan(tw.coordinator, student, "no-such-placement")
    assert tw.training.max_position() == before


def test_given_an_empty_catalogue_for_the_major_then_no_plan_can_be_drawn_up(tw: TrainingWorld) -> None:
    student = tw.enrol(major="welding")
    placement = tw.activate(student, tw.agree(student, tw.workshop, PLACEMENT_START, date(2027, 1, 29),
                                              speciality_override_reason="welding of the robot frames"))
    error = refused(tw, "empty-catalogue", tw.training.draw_up_training_plan, tw.coordinator, student, placement)
    assert error.details == {"major": "welding", "on": "2026-09-01"}
    refused(tw, "empty-catalogue", tw.log, student, MONDAY)


def test_given_a_plan_when_a_coordinator_adjusts_a_target_then_the_plan_changes_and_a_same_target_is_refused(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    t = tw.training
    error = refused(tw, "no-training-plan", t.adjust_training_target, tw.coordinator, student, placement, "M1",
                    target_hours=100, reason="shorter placement")
    assert error.details == {"placement_id": placement}
    version = tw.log(student, MONDAY).version
    result = t.adjust_training_target(tw.coordinator, student, placement, "M1", target_hours=100,
                                      reason="shorter placement", expected_version=version)
    assert result.version == version + 1
    adjusted = tw.events()[-1]
    assert (type(adjusted).__name__, adjusted.placement_id, adjusted.code, adjusted.target_hours,
            adjusted.previous_target_hours, adjusted.meta.reason) == (
        "TrainingTargetAdjusted", placement, "M1", 100, 120, "shorter placement")
    assert t.get_training_record(tw.admin, student).plan(placement).targets["M1"]["target_hours"] == 100
    assert t.get_catalogue(MAJOR).latest("M1").target_hours == 120  # the catalogue is not touched
    error = refused(tw, "target-unchanged", t.adjust_training_target, tw.coordinator, student, placement, "M1",
                    target_hours=100, reason="again")
    assert error.details == {"code": "M1"}
    error = refused(tw, "target-hours", t.adjust_training_target, tw.admin, student, placement, "M1",
                    target_hours=0, reason="none")
    assert error.details == {"target_hours": 0}
    error = refused(tw, "competency-not-in-plan", t.adjust_training_target, tw.coordinator, student, placement,
                    "M9", target_hours=10, reason="new")
    assert error.details == {"code": "M9", "plan": ["M1", "M2", "M3"]}
    before = t.max_position()
    with pytest.raises(VersionConflict):
        t.adjust_training_target(tw.coordinator, student, placement, "M2", target_hours=60, reason="stale",
                                 expected_version=version)
    assert t.max_position() == before


# -- competency catalogues by effective date ---------------------------------------------------------------------------


def test_given_catalogue_changes_from_dates_then_the_catalogue_in_force_on_any_day_follows_them(
    tw: TrainingWorld,
) -> None:
    t = tw.training
    t.define_competency(tw.admin, MAJOR, code="M4", title="Maintain hydraulics", target_hours=40, scale="five-point",
                        effective_from=date(2026, 12, 1))
    t.revise_competency_target(tw.admin, MAJOR, "M1", target_hours=150, effective_from=date(2027, 2, 1),
                               reason="new drive units")
    t.retire_competency(tw.admin, MAJOR, "M3", effective_from=date(2027, 1, 1), reason="taught at school")
    catalogue = t.get_catalogue(MAJOR)

    def in_force(day: date) -> dict[str, int]:
        return {c.code: c.target_hours for c in catalogue.in_force(day)}

    assert in_force(date(2025, 12, 31)) == {}
    assert in_force(date(2026, 1, 1)) == {"M1": 120, "M2": 80, "M3": 20}
    assert in_force(date(2026, 11, 30)) == {"M1": 120, "M2": 80, "M3": 20}
    assert in_force(date(2026, 12, 1)) == {"M1": 120, "M2": 80, "M3": 20, "M4": 40}
    assert in_force(date(2027, 1, 1)) == {"M1": 120, "M2": 80, "M4": 40}
    assert in_force(date(2027, 2, 1)) == {"M1": 150, "M2": 80, "M4": 40}
    revised = next(e for e in tw.events() if type(e).__name__ == "CompetencyTargetRevised")
    assert (revised.code, revised.target_hours, revised.effective_from, revised.meta.reason,
            revised.meta.business_date, revised.meta.subject) == (
        "M1", 150, date(2027, 2, 1), "new drive units", date(2027, 2, 1), tw.admin.actor.subject)

    for earlier in (date(2027, 1, 15), date(2027, 2, 1)):
        error = refused(tw, "effective-date-order", t.revise_competency_target, tw.admin, MAJOR, "M1",
                        target_hours=160, effective_from=earlier, reason="r")
        assert error.details == {"code": "M1", "last_effective_from": "2027-02-01"}
    refused(tw, "effective-date-order", t.retire_competency, tw.admin, MAJOR, "M1",
            effective_from=date(2026, 12, 31), reason="r")
    refused(tw, "competency-exists", t.define_competency, tw.admin, MAJOR, code="M2", title="again",
            target_hours=10, scale="percent", effective_from=date(2027, 3, 1))
    refused(tw, "competency-retired", t.revise_competency_target, tw.admin, MAJOR, "M3", target_hours=30,
            effective_from=date(2027, 3, 1), reason="r")
    refused(tw, "competency-retired", t.retire_competency, tw.admin, MAJOR, "M3",
            effective_from=date(2027, 3, 1), reason="r")
    refused(tw, "assessment-scale", t.define_competency, tw.admin, MAJOR, code="M5", title="x",
            target_hours=10, scale="ten-point", effective_from=date(2027, 3, 1))
    refused(tw, "target-hours", t.define_competency, tw.admin, MAJOR, code="M5", title="x",
            target_hours=0, scale="percent", effective_from=date(2027, 3, 1))
    with pytest.raises(NotFound):
        t.revise_competency_target(tw.admin, MAJOR, "M9", target_hours=10, effective_from=date(2027, 3, 1),
                                   reason="r")
    with pytest.raises(NotFound):
        t.get_catalogue("welding")
    refused(tw, "effective-date-order", t.define_competency, tw.admin, MAJOR, code="M3", title="back",
            target_hours=25, scale="pass-fail", effective_from=date(2027, 1, 1))
    t.define_competency(tw.admin, MAJOR, code="M3", title="Workplace safety", target_hours=25,
                        scale="pass-fail", effective_from=date(2027, 3, 1))  # brought back
    catalogue = t.get_catalogue(MAJOR)
    assert in_force(date(2027, 2, 28)) == {"M1": 150, "M2": 80, "M4": 40}
    assert in_force(date(2027, 3, 1)) == {"M1": 150, "M2": 80, "M3": 25, "M4": 40}


# -- assessments -----------------------------------------------------------------------------------------------------


def test_given_each_assessment_scale_then_a_result_outside_it_is_refused_with_its_bounds(tw: TrainingWorld) -> None:
    student, placement = tw.placed()
    teacher = tw.teacher()

    def assess(competency: str, result: float, **extra: Any) -> Any:
        return tw.training.assess_competency(teacher, student, placement, competency=competency, result=result,
                                             evidence="observed at the bench", **extra)

    for competency, results, bounds in (("M1", (0, 0.5, 5.5, 6), (1, 5)), ("M2", (-1, 100.5, 101), (0, 100)),
                                        ("M3", (-1, 2), (0, 1))):
        for result in results:
            error = refused(tw, "result-out-of-scale", assess, competency, result)
            assert (error.details["result"], error.details["lowest"], error.details["highest"]) == (
                result, *bounds), (competency, result)
    for competency, result in (("M1", 1), ("M1", 5), ("M2", 0), ("M2", 100), ("M3", 0), ("M3", 1)):
        assess(competency, result)
    error = refused(tw, "no-future-date", assess, "M1", 4, assessed_on=TODAY + timedelta(days=1))
    assert error.details == {"on": "2026-12-01"}
    error = refused(tw, "competency-not-in-plan", assess, "M9", 4)
    assert error.details == {"competency": "M9", "plan": ["M1", "M2", "M3"]}
    assessed = [e for e in tw.events() if type(e).__name__ == "CompetencyAssessed"]
    assert [(e.competency, e.scale, e.result, e.passed) for e in assessed] == [
        ("M1", "five-point", 1.0, False), ("M1", "five-point", 5.0, True), ("M2", "percent", 0.0, False),
        ("M2", "percent", 100.0, True), ("M3", "pass-fail", 0.0, False), ("M3", "pass-fail", 1.0, True)]


def test_given_the_pass_fail_scale_then_a_result_between_pass_and_fail_is_out_of_scale(tw: TrainingWorld) -> None:
    """"1 passes, 0 does not": a half is neither."""
    student, placement = tw.placed()
    error = refused(tw, "result-out-of-scale", tw.training.assess_competency, tw.teacher(), student, placement,
                    competency="M3", result=0.5, evidence="half the checklist")
    assert (error.details["lowest"], error.details["highest"]) == (0, 1)


def test_given_the_default_rules_when_both_sides_assess_then_the_lower_result_counts_and_both_must_pass(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    t = tw.training

    def assess(ctx: CommandContext, competency: str, result: float) -> Any:
        return t.assess_competency(ctx, student, placement, competency=competency, result=result,
                                   evidence="observed", assessed_on=FRIDAY)

    before = t.max_position()
    assess(tw.mentor(tw.workshop), "M1", 4)  # the first command on the record: it opens it, draws up the plan
    assert names(since(tw, before)) == ["TrainingRecordOpened", "TrainingPlanDrawnUp", "CompetencyAssessed"]
    enterprise = tw.events()[-1]
    assert (type(enterprise).__name__, enterprise.placement_id, enterprise.competency, enterprise.assessor,
            enterprise.result, enterprise.passed, enterprise.assessed_on) == (
        "CompetencyAssessed", placement, "M1", "enterprise", 4.0, True, FRIDAY)
    assert (enterprise.meta.subject, enterprise.meta.business_date) == ("m-wang", FRIDAY)
    before = t.max_position()
    assess(tw.teacher(), "M1", 2)
    school, combined = since(tw, before)
    assert (school.assessor, school.result, school.passed, school.meta.role) == ("school", 2.0, False, "teacher")
    assert (type(combined).__name__, combined.competency, combined.enterprise_result, combined.school_result,
            combined.result, combined.passed, combined.rule, combined.rule_set) == (
        "CompetencyAssessmentsCombined", "M1", 4.0, 2.0, 2.0, False, "lower-of-both", "default")
    assess(tw.coordinator, "M1", 3)  # the school's side again, now by the coordinator: the latest counts
    combined = tw.events()[-1]
    assert (combined.enterprise_result, combined.school_result, combined.result, combined.passed) == (
        4.0, 3.0, 3.0, True)
    assess(tw.mentor(tw.workshop), "M2", 90)
    assess(tw.teacher(), "M2", 55)
    combined = tw.events()[-1]
    assert (combined.competency, combined.result, combined.passed) == ("M2", 55.0, False)


def test_given_the_vocational_rules_when_both_sides_assess_then_the_results_are_weighted_half_each(
    tw: TrainingWorld,
) -> None:
    student, placement = vocational(tw)
    t = tw.training
    expected = {"M1": (4, 2.5, 3.25, True), "M2": (90, 35, 62.5, True), "M3": (1, 0, 0.5, False)}
    for competency, (enterprise, school, _, _) in expected.items():
        t.assess_competency(tw.mentor(tw.workshop), student, placement, competency=competency, result=enterprise,
                            evidence="observed")
        t.assess_competency(tw.teacher(tw.vocational_school), student, placement, competency=competency,
                            result=school, evidence="oral exam")
    combined = {e.competency: (e.enterprise_result, e.school_result, e.result, e.passed)
                for e in tw.events() if type(e).__name__ == "CompetencyAssessmentsCombined"}
    assert combined == expected
    last = tw.events()[-1]
    assert (last.rule, last.rule_set) == ("weighted-mean (enterprise 0.5, school 0.5)", "cn-vocational-internship")


# -- who may do what -----------------------------------------------------------------------------------------------


def commands(tw: TrainingWorld, student: UUID, placement: str, entry: str) -> dict[str, Callable[[Any], Any]]:
    """Every training command about the student (and the catalogue), as a function of who asks."""
    t = tw.training
    return {
        "log": lambda ctx: tw.log(student, TUESDAY, by=ctx, placement_id=placement, reason="back-filled"),
        "correct": lambda ctx: correct(tw, ctx, student, entry, end="11:00", reason="left at eleven"),
        "sign": lambda ctx: t.sign_off_practice(ctx, student, entry),
        "countersign": lambda ctx: t.countersign_practice(ctx, student, entry),
        "reject": lambda ctx: t.reject_practice(ctx, student, entry, reason="not seen at the bench"),
        "assess": lambda ctx: t.assess_competency(ctx, student, placement, competency="M1", result=4,
                                                  evidence="assembled a drive unit"),
        "draw-up-plan": lambda ctx: t.draw_up_training_plan(ctx, student, placement),
        "adjust-target": lambda ctx: t.adjust_training_target(ctx, student, placement, "M1", target_hours=100,
                                                              reason="shorter placement"),
        "define-competency": lambda ctx: t.define_competency(ctx, MAJOR, code="M4", title="Maintain hydraulics",
                                                             target_hours=40, scale="five-point",
                                                             effective_from=date(2026, 12, 1)),
        "revise-target": lambda ctx: t.revise_competency_target(ctx, MAJOR, "M1", target_hours=150,
                                                                effective_from=date(2026, 12, 1), reason="r"),
        "retire-competency": lambda ctx: t.retire_competency(ctx, MAJOR, "M3", effective_from=date(2026, 12, 1),
                                                             reason="r"),
    }


CATALOGUE = ["define-competency", "revise-target", "retire-competency"]


def outcomes(tw: TrainingWorld, ctx: CommandContext, table: dict[str, Callable[[Any], Any]],
             which: list[str] | None = None) -> dict[str, str]:
    """Try the commands as ctx; map each to 'not-allowed', 'accepted' or the rule that refused it. A refused
    command records nothing."""
    found = {}
    for name, command in table.items():
        if which is not None and name not in which:
            continue
        before = tw.training.max_position()
        try:
            command(ctx)
            found[name] = "accepted"
        except NotAllowed:
            found[name] = "not-allowed"
            assert tw.training.max_position() == before, name
        except DomainError as error:
            found[name] = getattr(error, "rule", type(error).__name__)
    return found


def test_given_people_without_a_say_over_the_student_then_every_training_command_is_not_allowed(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed("Liu Yang")
    classmate, _ = tw.placed("Zhou Jie")
    entry = tw.log(student, MONDAY).entry_id
    table = commands(tw, student, placement, entry)
    outsiders = {
        "mentor of another enterprise": (tw.mentor(tw.depot), list(table)),
        "mentor of the enterprise not assigned to the centre": (
            as_(Role.MENTOR, "m-li", enterprise_id=str(tw.haier)), list(table)),
        "teacher of another school": (tw.teacher(tw.other_school, "teacher-jinan"), list(table)),
        "coordinator of another school": (tw.other_coordinator, list(table)),
        "another student": (tw.student(classmate), list(table)),
        "auditor": (tw.auditor(), list(table)),
    }
    for who, (ctx, which) in outsiders.items():
        assert outcomes(tw, ctx, table, which) == {name: "not-allowed" for name in which}, who
    assert tw.entry(student, entry).status == "pending"
    assert tw.training.get_training_record(tw.auditor(), student).entries.keys() == {entry}  # auditors read
    for ctx in (tw.mentor(tw.depot), tw.teacher(tw.other_school), tw.student(classmate)):
        with pytest.raises(NotAllowed):
            tw.training.get_training_record(ctx, student)


def test_given_a_mentor_of_another_enterprise_when_logging_without_naming_the_placement_then_it_is_not_allowed(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    error = not_allowed(tw, tw.log, student, MONDAY, by=tw.mentor(tw.depot))
    assert error.details["student_id"] == str(student)


def test_given_a_placement_that_ended_then_its_mentor_acts_on_it_only_within_the_edit_window(
    tw: TrainingWorld,
) -> None:
    gone, gone_placement = tw.placed("Liu Yang")
    left, left_placement = tw.placed("Zhou Jie")
    gone_entry = tw.log(gone, date(2026, 11, 13), by=tw.coordinator, reason="paper logbook").entry_id
    left_entry = tw.log(left, date(2026, 11, 16)).entry_id
    tw.app.complete_placement(tw.coordinator, gone, gone_placement, on=date(2026, 11, 15))  # window opens 16 Nov
    tw.app.complete_placement(tw.coordinator, left, left_placement, on=date(2026, 11, 16))
    mentor = tw.mentor(tw.workshop)
    beyond = commands(tw, gone, gone_placement, gone_entry)
    acting = ["log", "correct", "sign", "reject", "assess"]
    assert outcomes(tw, mentor, beyond, acting) == {name: "not-allowed" for name in acting}
    with pytest.raises(NotAllowed):  # nor reads the record any more: the student is no longer theirs to follow
        tw.training.get_training_record(mentor, gone)
    assert tw.training.get_training_record(mentor, left).entries.keys() == {left_entry}
    tw.sign(left, left_entry)
    tw.log(left, date(2026, 11, 16), "13:00", "15:00")
    tw.training.assess_competency(mentor, left, left_placement, competency="M1", result=4, evidence="final check")
    assert tw.entry(left, left_entry).status == "signed"


def test_given_a_signature_is_personal_then_only_a_mentor_of_the_centre_signs_not_an_admin_nor_the_school(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    table = commands(tw, student, placement, entry)
    for ctx in (tw.admin, tw.coordinator, tw.teacher(), tw.student(student)):
        assert outcomes(tw, ctx, table, ["sign"]) == {"sign": "not-allowed"}, ctx.actor
    assert outcomes(tw, tw.admin, table, ["countersign", "reject", "assess"]) == {
        "countersign": "not-allowed", "reject": "not-allowed", "assess": "not-allowed"}
    assert outcomes(tw, tw.teacher(), table, ["log"]) == {"log": "not-allowed"}
    assert outcomes(tw, tw.mentor(tw.workshop), table, ["countersign"]) == {"countersign": "not-allowed"}
    assert outcomes(tw, tw.admin, table, ["log"]) == {"log": "accepted"}
    tw.sign(student, entry)
    assert tw.entry(student, entry).status == "signed"


def test_given_catalogues_and_plans_then_coordinators_change_plans_and_only_admins_the_catalogue(
    tw: TrainingWorld
) -> None:
    student, placement = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    table = commands(tw, student, placement, entry)
    editing = ["draw-up-plan", "adjust-target", *CATALOGUE]
    for ctx in (tw.mentor(tw.workshop), tw.teacher(), tw.student(student), tw.auditor()):
        assert outcomes(tw, ctx, table, editing) == {name: "not-allowed" for name in editing}, ctx.actor
    assert outcomes(tw, tw.coordinator, table, editing) == {
        "draw-up-plan": "plan-exists", "adjust-target": "accepted", "define-competency": "not-allowed",
        "revise-target": "not-allowed", "retire-competency": "not-allowed"}
    with pytest.raises(NotAllowed) as refusal:
        table["retire-competency"](tw.coordinator)
    assert refusal.value.details["rule"] == "catalogue-owner"
    assert outcomes(tw, tw.admin, table, editing) == {
        "draw-up-plan": "plan-exists", "adjust-target": "target-unchanged", "define-competency": "accepted",
        "revise-target": "accepted", "retire-competency": "accepted"}


# -- unknown ids ------------------------------------------------------------------------------------------------------


def test_given_unknown_students_entries_or_placements_then_not_found_and_nothing_recorded(tw: TrainingWorld) -> None:
    student, _ = tw.placed()
    tw.log(student, MONDAY)
    before = tw.training.max_position()
    stranger = UUID("00000000-0000-4000-8000-000000000000")
    for command in (lambda: tw.log(stranger, MONDAY),
                    lambda: tw.log(student, MONDAY, "13:00", "14:00", placement_id="no-such-placement"),
                    lambda: tw.sign(student, "no-such-entry"),
                    lambda: correct(tw, tw.mentor(tw.workshop), student, "no-such-entry", end="11:00"),
                    lambda: tw.training.assess_competency(tw.teacher(), student, "no-such-placement",
                                                          competency="M1", result=4, evidence="e"),
                    lambda: tw.training.get_training_record(tw.admin, stranger)):
        with pytest.raises(NotFound):
            command()
    assert tw.training.max_position() == before
    unplaced = tw.enrol("Zhou Jie")
    assert tw.training.get_training_record(tw.admin, unplaced) is None  # nothing logged: an empty logbook

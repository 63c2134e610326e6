"""The logbook rules of the TrainingApplication, on in-memory event stores.

Each refusal names its rule (`RuleViolated.rule`) and its figures in `details`, and a refused entry records
nothing. The clock stands at TODAY (Monday 2026-11-30); the student is placed at the workshop from 2026-09-01,
so the week of MONDAY (23-27 November) lies inside the placement and inside every edit window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.common import rules as rules_module
from services.common.errors import RuleViolated
from services.common.rules import RuleSet
from tests.service.placement_world import TODAY, names
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = (MONDAY + timedelta(days=n) for n in range(1, 7))


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


def entries_of(tw: TrainingWorld, student: UUID) -> dict[str, Any]:
    return tw.training.get_training_record(tw.admin, student).entries


# -- the facts of an entry ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [("12:00", "12:00"), ("12:00", "08:00")])
def test_given_an_end_not_after_the_start_when_practice_is_logged_then_time_order_names_both_times(
    tw: TrainingWorld, start: str, end: str,
) -> None:
    student, _ = tw.placed()
    error = refused(tw, "time-order", tw.log, student, MONDAY, start, end)
    assert error.details == {"start": start, "end": end}


def test_given_competencies_outside_the_placements_plan_then_competency_not_in_plan_names_them_and_the_plan(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    for competencies, unknown in ((["M9"], ["M9"]), (["M1", "WELD-2"], ["WELD-2"]), ([], [])):
        error = refused(tw, "competency-not-in-plan", tw.log, student, MONDAY, competencies=competencies)
        assert error.details == {"unknown": unknown, "plan": ["M1", "M2", "M3"]}, competencies
    logged = tw.log(student, MONDAY, competencies=["M1", "M3"])
    assert tw.entry(student, logged.entry_id).current.competencies == ("M1", "M3")


def test_given_a_day_after_today_then_no_future_date_and_today_itself_is_fine(tw: TrainingWorld) -> None:
    student, _ = tw.placed()
    error = refused(tw, "no-future-date", tw.log, student, TODAY + timedelta(days=1))
    assert error.details == {"day": "2026-12-01"}
    logged = tw.log(student, TODAY)
    assert tw.entry(student, logged.entry_id).current.day == TODAY


# -- the placement must hold the student that day -------------------------------------------------------


def test_given_a_placement_activated_after_its_planned_start_then_days_before_the_activation_are_refused(
    tw: TrainingWorld,
) -> None:
    student = tw.enrol()
    placement = tw.agree(student, tw.workshop, date(2026, 11, 16), date(2027, 1, 29))
    tw.activate(student, placement, date(2026, 11, 18))
    error = refused(tw, "placement-not-running", tw.log, student, date(2026, 11, 17), placement_id=placement)
    assert error.details == {"day": "2026-11-17", "placement_id": placement, "status": "active",
                             "started": "2026-11-18", "last_day": "2027-01-29", "pauses": []}
    error = refused(tw, "placement-not-running", tw.log, student, date(2026, 11, 17))  # no placement named
    assert error.details == {"day": "2026-11-17"}
    tw.log(student, date(2026, 11, 18))


def test_given_a_completed_placement_then_days_after_its_end_are_refused_and_its_last_day_is_fine(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    tw.app.complete_placement(tw.coordinator, student, placement, on=date(2026, 11, 24))
    error = refused(tw, "placement-not-running", tw.log, student, WEDNESDAY, placement_id=placement)
    assert error.details == {"day": "2026-11-25", "placement_id": placement, "status": "completed",
                             "started": "2026-09-01", "last_day": "2026-11-24", "pauses": []}
    refused(tw, "placement-not-running", tw.log, student, WEDNESDAY)
    tw.log(student, TUESDAY)  # the mentor still logs the last days, within the edit window


def test_given_a_paused_placement_then_the_days_of_the_pause_are_refused_and_the_day_it_resumed_is_fine(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    tw.app.pause_placement(tw.coordinator, student, placement, on=TUESDAY, reason="machine overhaul")
    error = refused(tw, "placement-not-running", tw.log, student, TUESDAY, placement_id=placement)
    assert error.details == {"day": "2026-11-24", "placement_id": placement, "status": "paused",
                             "started": "2026-09-01", "last_day": "2027-01-29", "pauses": [["2026-11-24", None]]}
    tw.app.resume_placement(tw.coordinator, student, placement, on=THURSDAY)
    for day in (TUESDAY, WEDNESDAY):
        error = refused(tw, "placement-not-running", tw.log, student, day, placement_id=placement)
        assert (error.details["day"], error.details["status"], error.details["pauses"]) == (
            str(day), "active", [["2026-11-24", "2026-11-26"]])
        refused(tw, "placement-not-running", tw.log, student, day)
    tw.log(student, MONDAY)
    tw.log(student, THURSDAY)
    assert len(entries_of(tw, student)) == 2


@pytest.mark.parametrize("approved_by", [(), ("school", "enterprise", "student")], ids=["proposed", "agreed"])
def test_given_a_placement_never_activated_then_no_day_of_its_period_can_be_logged(
    tw: TrainingWorld, approved_by: tuple[str, ...],
) -> None:
    student = tw.enrol()
    placement = tw.propose(student, tw.workshop, date(2026, 11, 16), date(2027, 1, 29))
    tw.approve_all(student, placement, order=approved_by)
    status = "agreed" if approved_by else "proposed"
    error = refused(tw, "placement-not-running", tw.log, student, MONDAY, by=tw.coordinator, placement_id=placement)
    assert error.details == {"day": "2026-11-23", "placement_id": placement, "status": status, "started": None,
                             "last_day": "2027-01-29", "pauses": []}
    error = refused(tw, "placement-not-running", tw.log, student, MONDAY, by=tw.coordinator)
    assert error.details == {"day": "2026-11-23"}


# -- the published alternation plan ---------------------------------------------------------------------


class SchoolDays:
    """A published alternation plan: the given students are at school on the given days."""

    def __init__(self, *days: tuple[UUID, date]) -> None:
        self.days = {(str(student), day) for student, day in days}

    def is_school_day(self, student_id: str, day: date) -> bool:
        return (student_id, day) in self.days


def test_given_a_published_school_day_then_practice_on_it_is_refused_for_that_student_only(tw: TrainingWorld) -> None:
    student, _ = tw.placed("Liu Yang")
    classmate, _ = tw.placed("Zhou Jie")
    tw.training.connect(placements=tw.training.placements, school_days=SchoolDays((student, WEDNESDAY)))
    error = refused(tw, "school-day", tw.log, student, WEDNESDAY)
    assert error.details == {"day": "2026-11-25"}
    refused(tw, "school-day", tw.log, student, WEDNESDAY, by=tw.coordinator, reason="he was at the workshop")
    tw.log(classmate, WEDNESDAY)
    tuesday = tw.log(student, TUESDAY).entry_id
    error = refused(tw, "school-day", tw.training.correct_practice, tw.mentor(tw.workshop), student, tuesday,
                    day=WEDNESDAY, start=time(8), end=time(12), competencies=["M1"], description="practice",
                    reason="wrong day")
    assert error.details == {"day": "2026-11-25"}


# -- caps -------------------------------------------------------------------------------------------------


def test_given_hours_logged_on_a_day_when_more_pass_the_daily_cap_then_max_hours_per_day_gives_the_figures(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    tw.log(student, MONDAY, "08:00", "12:00")
    tw.log(student, MONDAY, "13:00", "16:30")
    error = refused(tw, "max-hours-per-day", tw.log, student, MONDAY, "16:30", "17:30")
    assert error.details == {"day": "2026-11-23", "logged_hours": 7.5, "entry_hours": 1.0, "cap_hours": 8,
                             "rule_set": "default"}
    tw.log(student, MONDAY, "16:30", "17:00")  # exactly eight hours
    error = refused(tw, "max-hours-per-day", tw.log, student, MONDAY, "17:00", "17:20")
    assert (error.details["logged_hours"], error.details["entry_hours"]) == (8.0, 0.33)
    refused(tw, "max-hours-per-day", tw.log, student, MONDAY, "18:00", "19:00", by=tw.coordinator,
            reason="overtime")  # a coordinator is bound by the cap as well
    tw.log(student, TUESDAY, "08:00", "16:00")  # another day starts over


def test_given_a_full_iso_week_then_its_saturday_and_sunday_are_refused_and_the_next_monday_starts_over(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    tw.log(student, SUNDAY - timedelta(days=7), "08:00", "16:00")  # Sunday 22 November: the week before
    for day in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY):
        tw.log(student, day, "08:00", "16:00")
    for day in (SATURDAY, SUNDAY):
        error = refused(tw, "max-hours-per-week", tw.log, student, day, "09:00", "10:00")
        assert error.details == {"week_of": "2026-11-23", "logged_hours": 40.0, "entry_hours": 1.0,
                                 "cap_hours": 40, "rule_set": "default"}
    tw.log(student, TODAY, "08:00", "16:00")  # Monday 30 November: a new ISO week


def test_given_a_transfer_in_the_middle_of_a_week_then_the_weekly_cap_counts_both_placements_of_the_student(
    tw: TrainingWorld,
) -> None:
    student, workshop = tw.placed()
    for day in (MONDAY, TUESDAY):
        tw.log(student, day, "08:00", "16:00")  # by Wang Fang at the workshop
    depot = tw.app.transfer_placement(tw.coordinator, student, workshop, to_centre_id=tw.depot, on=WEDNESDAY,
                                      reason="rotation to rail maintenance").placement_id
    tw.approve_all(student, depot)
    tw.activate(student, depot, WEDNESDAY)
    zhao = tw.mentor(tw.depot)
    for day in (WEDNESDAY, THURSDAY, FRIDAY):
        tw.log(student, day, "08:00", "16:00", by=zhao)
    error = refused(tw, "max-hours-per-week", tw.log, student, SATURDAY, "09:00", "10:00", by=zhao)
    assert error.details == {"week_of": "2026-11-23", "logged_hours": 40.0, "entry_hours": 1.0, "cap_hours": 40,
                             "rule_set": "default"}
    record = tw.training.get_training_record(tw.admin, student)
    assert set(record.plans) == {workshop, depot}
    assert sorted((e.current.day, e.placement_id) for e in record.entries.values()) == [
        (MONDAY, workshop), (TUESDAY, workshop), (WEDNESDAY, depot), (THURSDAY, depot), (FRIDAY, depot)]


def test_given_an_iso_week_across_the_new_year_then_its_days_in_both_years_count_towards_one_weekly_cap(
    tw: TrainingWorld,
) -> None:
    tw.training.today = lambda: date(2027, 1, 4)  # type: ignore[method-assign]
    student, _ = tw.placed()
    for day in (date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)):
        tw.log(student, day, "08:00", "16:00")
    error = refused(tw, "max-hours-per-week", tw.log, student, date(2027, 1, 2), "09:00", "10:00")
    assert (error.details["week_of"], error.details["logged_hours"]) == ("2026-12-28", 40.0)
    tw.log(student, date(2027, 1, 4), "08:00", "16:00")


# -- one thing at a time ------------------------------------------------------------------------------------


def test_given_an_entry_when_another_overlaps_it_then_overlapping_entries_names_it_and_touching_slots_are_fine(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    early = tw.log(student, MONDAY, "08:00", "10:00").entry_id
    late = tw.log(student, MONDAY, "10:00", "12:00").entry_id  # touches the first: fine
    error = refused(tw, "overlapping-entries", tw.log, student, MONDAY, "11:30", "12:30")
    assert error.details == {"day": "2026-11-23", "conflicting_entries": [late]}
    error = refused(tw, "overlapping-entries", tw.log, student, MONDAY, "09:00", "11:00")
    assert sorted(error.details["conflicting_entries"]) == sorted([early, late])
    tw.log(student, MONDAY, "12:00", "13:00")
    tw.log(student, MONDAY, "07:00", "08:00")
    tw.log(student, TUESDAY, "09:00", "11:00")  # the same hours on another day
    assert len(entries_of(tw, student)) == 5


def test_given_an_entry_when_it_is_corrected_then_it_is_not_checked_against_itself(tw: TrainingWorld) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY, "08:00", "16:00").entry_id
    other = tw.log(student, TUESDAY, "08:00", "12:00").entry_id
    tw.training.correct_practice(tw.mentor(tw.workshop), student, entry, day=MONDAY, start=time(9), end=time(17),
                                 competencies=["M1"], description="practice", reason="started an hour later")
    assert tw.entry(student, entry).current.start == time(9)
    mentor = tw.mentor(tw.workshop)

    def move(entry_id: str, day: date, start: int, end: int) -> Any:
        return tw.training.correct_practice(mentor, student, entry_id, day=day, start=time(start), end=time(end),
                                            competencies=["M1"], description="practice", reason="wrong hours")

    error = refused(tw, "max-hours-per-day", move, other, MONDAY, 12, 13)
    assert (error.details["logged_hours"], error.details["entry_hours"]) == (8.0, 1.0)  # not its own 4 h
    move(entry, MONDAY, 9, 13)
    error = refused(tw, "overlapping-entries", move, other, MONDAY, 12, 14)
    assert error.details == {"day": "2026-11-23", "conflicting_entries": [entry]}
    move(other, MONDAY, 13, 17)
    assert sorted((e.current.day, e.current.start) for e in entries_of(tw, student).values()) == [
        (MONDAY, time(9)), (MONDAY, time(13))]


# -- rejected entries ----------------------------------------------------------------------------------------


def test_given_a_rejected_entry_then_it_no_longer_counts_towards_the_caps_nor_blocks_its_slot(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    for day in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY):
        tw.log(student, day, "08:00", "16:00")
    wrong = tw.log(student, FRIDAY, "08:00", "16:00").entry_id
    refused(tw, "max-hours-per-day", tw.log, student, FRIDAY, "16:00", "17:00")
    refused(tw, "max-hours-per-week", tw.log, student, SATURDAY, "08:00", "09:00")
    tw.training.reject_practice(tw.mentor(tw.workshop), student, wrong, reason="he was off sick on Friday")
    tw.log(student, FRIDAY, "09:00", "17:00")  # the rejected slot, a full day, a full week again
    refused(tw, "max-hours-per-week", tw.log, student, SATURDAY, "08:00", "09:00")
    statuses = sorted(e.status for e in entries_of(tw, student).values())
    assert statuses == ["pending"] * 5 + ["rejected"]


# -- the edit window ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mentor", "student"])
def test_given_the_default_rules_then_days_more_than_14_days_back_are_refused_to_mentors_and_students(
    tw: TrainingWorld, who: str,
) -> None:
    student, _ = tw.placed()
    ctx = tw.mentor(tw.workshop) if who == "mentor" else tw.student(student)
    error = refused(tw, "edit-window", tw.log, student, date(2026, 11, 15), by=ctx, reason="forgot to log it")
    assert error.details == {"day": "2026-11-15", "window_days": 14, "window_opens": "2026-11-16",
                             "rule_set": "default"}
    tw.log(student, date(2026, 11, 16), by=ctx)


@pytest.mark.parametrize("who", ["mentor", "student"])
def test_given_the_vocational_rules_then_the_edit_window_is_seven_days(tw: TrainingWorld, who: str) -> None:
    student, _ = tw.placed("Sun Li", school=tw.vocational_school)
    ctx = tw.mentor(tw.workshop) if who == "mentor" else tw.student(student)
    error = refused(tw, "edit-window", tw.log, student, SUNDAY - timedelta(days=7), by=ctx)
    assert error.details == {"day": "2026-11-22", "window_days": 7, "window_opens": "2026-11-23",
                             "rule_set": "cn-vocational-internship"}
    tw.log(student, MONDAY, by=ctx)
    classmate, _ = tw.placed("Liu Yang")  # on the default rules the same day is still open
    tw.log(classmate, SUNDAY - timedelta(days=7), by=ctx if who == "mentor" else tw.student(classmate))


def test_given_a_day_beyond_the_edit_window_then_a_coordinator_logs_it_with_a_reason_and_not_without(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    old = date(2026, 11, 2)
    for reason in (None, "", "   "):
        error = refused(tw, "edit-window", tw.log, student, old, by=tw.coordinator, reason=reason)
        assert error.details["window_opens"] == "2026-11-16"
    backfilled = tw.log(student, old, by=tw.coordinator, reason="paper logbook handed in late")
    assert tw.entry(student, backfilled.entry_id).current.day == old
    logged = tw.events()[-1]
    assert (type(logged).__name__, logged.day, logged.meta.reason, logged.meta.role) == (
        "PracticeLogged", old, "paper logbook handed in late", "coordinator")
    tw.log(student, date(2026, 11, 3), by=tw.admin, reason="paper logbook, second page")
    vocational, _ = tw.placed("Sun Li", school=tw.vocational_school)
    tw.log(vocational, date(2026, 11, 20), by=tw.vocational_coordinator, reason="paper logbook")
    refused(tw, "edit-window", tw.log, vocational, date(2026, 11, 20), "13:00", "14:00", by=tw.vocational_coordinator)


def test_given_an_entry_inside_the_window_when_a_mentor_moves_it_to_a_day_outside_then_edit_window(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, date(2026, 11, 16)).entry_id
    error = refused(tw, "edit-window", tw.training.correct_practice, tw.mentor(tw.workshop), student, entry,
                    day=date(2026, 11, 13), start=time(8), end=time(12), competencies=["M1"],
                    description="practice", reason="it was the Friday before")
    assert error.details["day"] == "2026-11-13"
    tw.training.correct_practice(tw.coordinator, student, entry, day=date(2026, 11, 13), start=time(8),
                                 end=time(12), competencies=["M1"], description="practice",
                                 reason="it was the Friday before")
    assert tw.entry(student, entry).current.day == date(2026, 11, 13)


# -- rule sets by effective date ------------------------------------------------------------------------------


def test_given_a_new_version_of_the_rule_set_with_a_lower_daily_cap_then_days_from_its_date_follow_it(
    tw: TrainingWorld, monkeypatch,
) -> None:
    default = rules_module.RULE_SETS["default"]
    monkeypatch.setitem(rules_module.RULE_SETS, "default", default + (
        RuleSet("default", WEDNESDAY, "from 25 November: at most 6 h a day", max_hours_per_day=6),))
    student, _ = tw.placed()
    tw.log(student, TUESDAY, "08:00", "16:00")  # the old version: eight hours
    error = refused(tw, "max-hours-per-day", tw.log, student, WEDNESDAY, "08:00", "16:00")
    assert error.details == {"day": "2026-11-25", "logged_hours": 0.0, "entry_hours": 8.0, "cap_hours": 6,
                             "rule_set": "default"}
    tw.log(student, WEDNESDAY, "08:00", "14:00")
    refused(tw, "max-hours-per-day", tw.log, student, THURSDAY, "08:00", "14:30")
    hours = sorted((e.current.day, e.current.minutes / 60) for e in entries_of(tw, student).values())
    assert hours == [(TUESDAY, 8.0), (WEDNESDAY, 6.0)]
    assert names(tw.events()).count("PracticeLogged") == 2


def test_given_a_new_version_of_the_rule_set_when_an_entry_is_corrected_onto_a_day_under_it_then_the_new_cap_applies(
    tw: TrainingWorld, monkeypatch,
) -> None:
    """Logged on Wednesday, eight hours are refused under the new six-hour cap; moved there from Tuesday by a
    correction, they must be refused just the same."""
    default = rules_module.RULE_SETS["default"]
    monkeypatch.setitem(rules_module.RULE_SETS, "default", default + (
        RuleSet("default", WEDNESDAY, "from 25 November: at most 6 h a day", max_hours_per_day=6),))
    student, _ = tw.placed()
    entry = tw.log(student, TUESDAY, "08:00", "16:00").entry_id
    refused(tw, "max-hours-per-day", tw.log, student, WEDNESDAY, "08:00", "16:00")
    error = refused(tw, "max-hours-per-day", tw.training.correct_practice, tw.mentor(tw.workshop), student, entry,
                    day=WEDNESDAY, start=time(8), end=time(16), competencies=["M1"], description="practice",
                    reason="it was Wednesday")
    assert (error.details["cap_hours"], error.details["entry_hours"]) == (6, 8.0)
    assert tw.entry(student, entry).current.day == TUESDAY

"""A placement's life through the PlacementsApplication, on in-memory event stores.

Proposal, the three approvals in any order, agreement (the centre books a place only then), activation,
pause and resume, completion, stop, withdrawal, transfer and amended terms, each with its refusals, its
events and what the student's record and the centre's places show afterwards. Two last approvals at once from
two threads: test_placements_application.py, on the databases.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.common.errors import NotFound, RuleViolated, VersionConflict
from tests.service.placement_world import ORDERS, World, build_world, names

pytestmark = pytest.mark.rules

START, END = date(2026, 3, 2), date(2026, 6, 30)


@pytest.fixture
def world(container) -> World:
    return build_world(container)


def refused(world: World, rule: str, command, *args, **kwargs) -> RuleViolated:
    """Run a command that must be refused by `rule`, and check that nothing was recorded."""
    before = world.app.max_position()
    with pytest.raises(RuleViolated) as caught:
        command(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert world.app.max_position() == before
    return caught.value


def stop(world: World, student, placement, on: date, reason_code: str = "health", reason_text: str | None = None):
    return world.app.stop_placement(world.coordinator, student, placement, on=on, reason_code=reason_code,
                                    reason_text=reason_text)


def amend(world: World, student, placement, *, start: date = START, end: date = date(2026, 7, 31),
          post: str = "assembly technician", weekly_hours: int = 36, reason: str = "programme extended"):
    return world.app.amend_placement(world.coordinator, student, placement, start=start, planned_end=end, post=post,
                                     weekly_hours=weekly_hours, reason=reason)


# -- proposal and the three approvals ---------------------------------------------------------------


def test_given_a_proposal_when_school_enterprise_and_student_approve_in_any_order_then_it_is_agreed_and_only_then_the_centre_books_a_place(
    world: World,
) -> None:
    world.app.change_centre_capacity(world.admin, world.workshop, capacity=3)
    approvals = {"school": "PlacementApprovedBySchool", "enterprise": "PlacementApprovedByEnterprise",
                 "student": "PlacementConfirmedByStudent"}
    booked: dict[str, tuple[date, date]] = {}
    for order in ORDERS.values():
        student = world.enrol(f"student {order}")
        proposed_at = world.app.max_position()
        placement = world.propose(student, start=START, end=END)
        assert world.placement(student, placement).status == "proposed"
        for party in order[:-1]:
            world.approve(party, student, placement)
            assert world.placement(student, placement).status == "proposed", order
            assert world.bookings(world.workshop) == booked, order
        world.approve(order[-1], student, placement)

        agreed = world.placement(student, placement)
        assert agreed.status == "agreed", order
        assert (agreed.school_approved, agreed.enterprise_approved, agreed.mentor_id, agreed.confirmed_by) == (
            1, 1, "m-wang", "student")
        booked[placement] = (START, END)
        assert world.bookings(world.workshop) == booked, order
        recorded = world.events(proposed_at + 1)
        assert names(recorded) == ["PlacementProposed", *(approvals[p] for p in order), "PlacementAgreed",
                                   "PlaceBooked"], order
        by_type = {type(e).__name__: e for e in recorded}
        assert by_type["PlacementProposed"].originator_id == student
        assert by_type["PlacementProposed"].meta.subject == "coord-chen"
        assert by_type["PlacementApprovedBySchool"].meta.subject == "coord-chen"
        assert (by_type["PlacementApprovedByEnterprise"].meta.subject,
                by_type["PlacementApprovedByEnterprise"].mentor_id) == ("ea-zhou", "m-wang")
        assert by_type["PlacementConfirmedByStudent"].meta.subject == f"student-{student}"
        place = by_type["PlaceBooked"]
        assert (place.originator_id, place.placement_id, place.student_id, place.start, place.end) == (
            world.workshop, placement, str(student), START, END)


def test_given_a_proposal_then_the_student_record_shows_its_terms_and_no_approval_yet(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student, world.depot, START, END, post="bogie fitter", weekly_hours=32, kind="follow")
    shown = world.placement(student, placement)
    assert (shown.centre_id, shown.enterprise_id, shown.kind) == (str(world.depot), str(world.crrc), "follow")
    assert (shown.terms.version, shown.terms.start, shown.terms.planned_end, shown.terms.post,
            shown.terms.weekly_hours) == (1, START, END, "bogie fitter", 32)
    assert (shown.school_approved, shown.enterprise_approved, shown.confirmed_by) == (None, None, None)


# -- activation ---------------------------------------------------------------------------------------


def test_given_an_agreed_placement_then_it_activates_on_or_after_its_start_not_in_the_future_and_only_once(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.agree(student, start=date(2026, 9, 1), end=date(2026, 10, 30))
    world.app.today = lambda: date(2026, 8, 20)
    refused(world, "activation-within-period", world.app.activate_placement, world.coordinator, student, placement,
            on=date(2026, 8, 31))
    refused(world, "no-future-date", world.app.activate_placement, world.coordinator, student, placement,
            on=date(2026, 9, 1))
    refused(world, "activation-within-period", world.app.activate_placement, world.coordinator, student, placement)

    world.app.today = lambda: date(2026, 9, 3)
    world.app.activate_placement(world.coordinator, student, placement)  # on: today
    active = world.placement(student, placement)
    assert (active.status, active.activated_on) == ("active", date(2026, 9, 3))
    assert names(world.events())[-1] == "PlacementActivated"
    assert world.events()[-1].on == date(2026, 9, 3)
    error = refused(world, "placement-status", world.app.activate_placement, world.coordinator, student, placement)
    assert error.details["status"] == "active"


def test_given_a_placement_not_yet_agreed_or_past_its_end_then_activation_is_refused(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student)
    world.approve("school", student, placement)
    world.approve("enterprise", student, placement)
    error = refused(world, "placement-status", world.app.activate_placement, world.coordinator, student, placement,
                    on=START)
    assert error.details["status"] == "proposed"
    world.approve("student", student, placement)
    refused(world, "activation-within-period", world.app.activate_placement, world.coordinator, student, placement,
            on=date(2026, 7, 1))


# -- pause and resume ---------------------------------------------------------------------------------


def test_given_an_active_placement_when_paused_with_a_reason_and_resumed_then_the_record_and_events_show_the_break(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    world.app.pause_placement(world.coordinator, student, placement, on=date(2026, 5, 4),
                              reason="hand injury, two weeks' rest")
    paused = world.placement(student, placement)
    assert (paused.status, paused.paused_on) == ("paused", date(2026, 5, 4))
    pause_event = world.events()[-1]
    assert (type(pause_event).__name__, pause_event.on, pause_event.meta.reason) == (
        "PlacementPaused", date(2026, 5, 4), "hand injury, two weeks' rest")
    assert world.bookings(world.workshop) == {placement: (START, END)}  # a break keeps the place

    world.app.resume_placement(world.mentor(world.workshop), student, placement, on=date(2026, 5, 18),
                               reason="doctor's note")
    resumed = world.placement(student, placement)
    assert (resumed.status, resumed.paused_on) == ("active", None)
    resume_event = world.events()[-1]
    assert (type(resume_event).__name__, resume_event.on, resume_event.meta.reason, resume_event.meta.subject) == (
        "PlacementResumed", date(2026, 5, 18), "doctor's note", "m-wang")


def test_given_pauses_and_resumes_then_each_out_of_order_or_out_of_period_date_is_refused(world: World) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student), on=date(2026, 3, 9))
    app, coordinator = world.app, world.coordinator
    refused(world, "placement-status", app.resume_placement, coordinator, student, placement, on=date(2026, 4, 1))
    refused(world, "date-within-placement", app.pause_placement, coordinator, student, placement,
            on=date(2026, 3, 5), reason="before it started")
    refused(world, "date-within-placement", app.pause_placement, coordinator, student, placement,
            on=date(2026, 7, 1), reason="after its end")
    app.today = lambda: date(2026, 4, 10)
    refused(world, "no-future-date", app.pause_placement, coordinator, student, placement, on=date(2026, 4, 11),
            reason="tomorrow")
    app.pause_placement(coordinator, student, placement, on=date(2026, 4, 6), reason="illness")
    refused(world, "placement-status", app.pause_placement, coordinator, student, placement, on=date(2026, 4, 7),
            reason="again")
    refused(world, "resume-after-pause", app.resume_placement, coordinator, student, placement, on=date(2026, 4, 5))
    refused(world, "no-future-date", app.resume_placement, coordinator, student, placement, on=date(2026, 4, 11))
    app.resume_placement(coordinator, student, placement, on=date(2026, 4, 6))
    assert world.placement(student, placement).status == "active"


def test_given_a_break_that_ended_when_a_new_pause_is_dated_before_that_resume_then_it_is_refused(world: World) -> None:
    """Breaks in learning must not overlap: a pause dated inside a break that is already over contradicts it."""
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    world.app.pause_placement(world.coordinator, student, placement, on=date(2026, 5, 4), reason="injury")
    world.app.resume_placement(world.coordinator, student, placement, on=date(2026, 5, 18))
    before = world.app.max_position()
    with pytest.raises(RuleViolated):
        world.app.pause_placement(world.coordinator, student, placement, on=date(2026, 5, 10), reason="back-dated")
    assert world.app.max_position() == before


# -- completion and stop ------------------------------------------------------------------------------


def test_given_an_active_placement_when_completed_early_then_its_place_is_released_from_the_next_day(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    world.app.complete_placement(world.coordinator, student, placement, on=date(2026, 6, 12))
    done = world.placement(student, placement)
    assert (done.status, done.ended_on) == ("completed", date(2026, 6, 12))
    assert world.bookings(world.workshop) == {placement: (START, date(2026, 6, 12))}
    completed, released = world.events()[-2:]
    assert (type(completed).__name__, completed.on) == ("PlacementCompleted", date(2026, 6, 12))
    assert (type(released).__name__, released.placement_id, released.from_date) == (
        "PlaceReleased", placement, date(2026, 6, 13))
    on_time = world.enrol("Zhou Jie")
    other = world.activate(on_time, world.agree(on_time))
    world.app.complete_placement(world.coordinator, on_time, other, on=END)
    assert names(world.events())[-1] == "PlacementCompleted"  # completed as planned: no place to release
    assert world.bookings(world.workshop)[other] == (START, END)


def test_given_placements_not_running_or_a_future_date_then_completion_is_refused(world: World) -> None:
    student = world.enrol()
    placement = world.agree(student)
    app = world.app
    refused(world, "placement-status", app.complete_placement, world.coordinator, student, placement, on=END)
    world.activate(student, placement)
    app.pause_placement(world.coordinator, student, placement, on=date(2026, 4, 1), reason="strike")
    refused(world, "placement-status", app.complete_placement, world.coordinator, student, placement, on=END)
    app.resume_placement(world.coordinator, student, placement, on=date(2026, 4, 8))
    app.today = lambda: date(2026, 6, 1)
    refused(world, "no-future-date", app.complete_placement, world.coordinator, student, placement, on=END)
    refused(world, "date-within-placement", app.complete_placement, world.coordinator, student, placement,
            on=date(2026, 2, 27))


def test_given_an_active_placement_when_stopped_with_a_reason_then_it_ends_that_day_and_the_place_is_free_after(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    stop(world, student, placement, date(2026, 5, 15), "health", "allergy to refrigerant")
    stopped = world.placement(student, placement)
    assert (stopped.status, stopped.ended_on) == ("stopped", date(2026, 5, 15))
    assert world.bookings(world.workshop) == {placement: (START, date(2026, 5, 15))}
    event, released = world.events()[-2:]
    assert (type(event).__name__, event.on, event.reason_code, event.reason_text, event.meta.reason) == (
        "PlacementStopped", date(2026, 5, 15), "health", "allergy to refrigerant", "allergy to refrigerant")
    assert (type(released).__name__, released.from_date) == ("PlaceReleased", date(2026, 5, 16))


def test_given_a_stop_then_its_date_must_lie_within_the_running_placement_and_its_reason_come_from_the_list(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.agree(student)
    app = world.app
    refused(world, "placement-status", stop, world, student, placement, date(2026, 4, 1))
    world.activate(student, placement, on=date(2026, 3, 9))
    refused(world, "date-within-placement", stop, world, student, placement, date(2026, 2, 27))
    refused(world, "date-within-placement", stop, world, student, placement, date(2026, 3, 5))  # before activation
    refused(world, "date-within-placement", stop, world, student, placement, date(2026, 7, 1))
    refused(world, "stop-reason", stop, world, student, placement, date(2026, 4, 1), "bored")
    refused(world, "stop-reason-text", stop, world, student, placement, date(2026, 4, 1), "other")
    refused(world, "stop-reason-text", stop, world, student, placement, date(2026, 4, 1), "other", "   ")
    app.pause_placement(world.coordinator, student, placement, on=date(2026, 3, 20), reason="family matters")
    stop(world, student, placement, date(2026, 4, 1), "other", "the family moved to Shanghai")  # a paused one stops too
    stopped = world.placement(student, placement)
    assert (stopped.status, stopped.ended_on) == ("stopped", date(2026, 4, 1))
    assert world.events()[-2].reason_text == "the family moved to Shanghai"
    refused(world, "placement-status", stop, world, student, placement, date(2026, 4, 2))


def test_given_a_stopped_placement_then_its_freed_days_take_another_student_without_an_override(world: World) -> None:
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    placement = world.activate(first, world.agree(first, world.depot))  # the depot has one place
    refused(world, "centre-capacity", world.propose, second, world.depot, date(2026, 5, 18), date(2026, 6, 30))
    stop(world, first, placement, date(2026, 5, 15))
    later = world.agree(second, world.depot, date(2026, 5, 18), date(2026, 6, 30))
    assert world.bookings(world.depot) == {placement: (START, date(2026, 5, 15)),
                                           later: (date(2026, 5, 18), date(2026, 6, 30))}
    assert "CapacityOverrideGranted" not in names(world.events())


# -- withdrawal -----------------------------------------------------------------------------------------


def test_given_a_proposed_placement_when_withdrawn_then_no_place_was_ever_held(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student)
    world.app.withdraw_placement(world.coordinator, student, placement, reason="the enterprise cancelled")
    assert world.placement(student, placement).status == "withdrawn"
    event = world.events()[-1]
    assert (type(event).__name__, event.meta.reason) == ("PlacementWithdrawn", "the enterprise cancelled")
    assert "PlaceReleased" not in names(world.events())
    refused(world, "nothing-to-approve", world.approve, "school", student, placement)


def test_given_an_agreed_placement_when_withdrawn_before_it_starts_then_its_place_is_released_for_others(
    world: World,
) -> None:
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    placement = world.agree(first, world.depot)
    refused(world, "centre-capacity", world.propose, second, world.depot)
    world.app.withdraw_placement(world.coordinator, first, placement, reason="night shifts")
    assert world.bookings(world.depot) == {}
    released = world.events()[-1]
    assert (type(released).__name__, released.from_date, released.meta.reason) == ("PlaceReleased", START,
                                                                                   "night shifts")
    other = world.agree(second, world.depot)
    assert world.bookings(world.depot) == {other: (START, END)}
    again = world.propose(first, world.workshop, START, END)  # the withdrawn period is free again for the student
    assert world.placement(first, again).status == "proposed"


def test_given_a_placement_that_started_or_ended_then_it_cannot_be_withdrawn(world: World) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    error = refused(world, "placement-status", world.app.withdraw_placement, world.coordinator, student, placement,
                    reason="too late")
    assert error.details["allowed"] == ["proposed", "agreed"]
    world.app.complete_placement(world.coordinator, student, placement, on=END)
    refused(world, "placement-status", world.app.withdraw_placement, world.coordinator, student, placement,
            reason="too late")


# -- transfer -------------------------------------------------------------------------------------------


def test_given_an_active_placement_when_transferred_then_a_linked_placement_follows_and_the_record_carries_over(
    world: World,
) -> None:
    student = world.enrol()
    old = world.activate(student, world.agree(student))
    result = world.app.transfer_placement(world.coordinator, student, old, to_centre_id=world.depot,
                                          on=date(2026, 5, 4), reason="rotation to rail maintenance",
                                          post="bogie fitter")
    new = result.placement_id
    assert (result.id, new != old) == (student, True)
    record = world.app.get_student(world.admin, student)
    assert set(record.placements) == {old, new}
    moved, follows = record.placements[old], record.placements[new]
    assert (moved.status, moved.ended_on, moved.transferred_to) == ("transferred", date(2026, 5, 3), new)
    assert (follows.status, follows.transferred_from, follows.centre_id) == ("proposed", old, str(world.depot))
    assert (follows.terms.start, follows.terms.planned_end, follows.terms.post, follows.terms.weekly_hours) == (
        date(2026, 5, 4), END, "bogie fitter", 40)
    assert world.bookings(world.workshop) == {old: (START, date(2026, 5, 3))}
    assert world.bookings(world.depot) == {}
    transferred = next(e for e in world.events() if type(e).__name__ == "PlacementTransferred")
    assert (transferred.on, transferred.to_placement_id, transferred.meta.reason) == (
        date(2026, 5, 4), new, "rotation to rail maintenance")
    released = world.events()[-1]
    assert (type(released).__name__, released.originator_id, released.from_date) == (
        "PlaceReleased", world.workshop, date(2026, 5, 4))

    world.approve_all(student, new, order=("enterprise", "school", "student"))
    assert world.bookings(world.depot) == {new: (date(2026, 5, 4), END)}
    world.activate(student, new)
    assert world.placement(student, new).status == "active"
    # The new host's mentor sees the whole record, the old placement included.
    seen_by_new_host = world.app.get_student(world.mentor(world.depot), student)
    assert set(seen_by_new_host.placements) == {old, new}


def test_given_a_paused_placement_when_transferred_then_the_new_placement_keeps_post_and_hours(world: World) -> None:
    student = world.enrol()
    old = world.activate(student, world.agree(student, weekly_hours=30, post="line assistant"))
    world.app.pause_placement(world.coordinator, student, old, on=date(2026, 4, 1), reason="workshop flooded")
    new = world.app.transfer_placement(world.coordinator, student, old, to_centre_id=world.depot,
                                       on=date(2026, 4, 15), reason="the workshop stays shut").placement_id
    follows = world.placement(student, new)
    assert (follows.terms.post, follows.terms.weekly_hours, follows.kind) == ("line assistant", 30, "post")
    assert world.placement(student, old).status == "transferred"


def test_given_a_transfer_then_it_goes_to_another_open_centre_with_room_on_a_date_within_the_placement(
    world: World,
) -> None:
    student, other = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    holder = world.agree(other, world.depot)
    placement = world.agree(student)
    app = world.app

    def transfer(on: date = date(2026, 5, 4), to=world.depot, **extra):
        return app.transfer_placement(world.coordinator, student, placement, to_centre_id=to, on=on,
                                      reason="move", **extra)

    refused(world, "placement-status", transfer)  # agreed, not started
    world.activate(student, placement)
    refused(world, "transfer-to-another-centre", transfer, to=world.workshop)
    refused(world, "transfer-within-period", transfer, on=START)
    refused(world, "transfer-within-period", transfer, on=date(2026, 7, 1))
    error = refused(world, "centre-capacity", transfer)
    assert error.details["conflicting_placements"] == [holder]
    new = transfer(capacity_override_justification="a second bench was lent").placement_id
    assert world.placement(student, new).capacity_override_justification == "a second bench was lent"
    world.app.withdraw_placement(world.coordinator, student, new, reason="the bench went back")
    world.app.close_centre(world.admin, world.depot, reason="site sold")
    leaving = world.enrol("Ma Lin")
    running = world.activate(leaving, world.agree(leaving, start=START, end=END))
    error = refused(world, "centre-closed", app.transfer_placement, world.coordinator, leaving, running,
                    to_centre_id=world.depot, on=date(2026, 5, 4), reason="move")
    assert error.details["centre_id"] == str(world.depot)


def test_given_a_placement_activated_late_when_transferred_before_that_activation_then_it_is_refused(
    world: World,
) -> None:
    """The old placement would end (the day before the transfer) before it ever started."""
    student = world.enrol()
    placement = world.activate(student, world.agree(student), on=date(2026, 3, 10))
    before = world.app.max_position()
    with pytest.raises(RuleViolated):
        world.app.transfer_placement(world.coordinator, student, placement, to_centre_id=world.depot,
                                     on=date(2026, 3, 5), reason="move")
    assert world.app.max_position() == before


# -- amended terms --------------------------------------------------------------------------------------


def test_given_agreed_terms_when_amended_then_the_old_terms_stay_until_both_parties_approve_the_new_version(
    world: World,
) -> None:
    for first, second in (("school", "enterprise"), ("enterprise", "school")):
        student = world.enrol(f"approved by {first} first")
        placement = world.agree(student)
        amended_at = world.app.max_position()
        amend(world, student, placement, end=date(2026, 7, 31), weekly_hours=36, reason="programme extended")
        pending = world.placement(student, placement)
        assert (pending.terms.version, pending.terms.planned_end) == (1, END)
        assert (pending.pending_terms.version, pending.pending_terms.planned_end,
                pending.pending_terms.weekly_hours) == (2, date(2026, 7, 31), 36)
        assert world.bookings(world.workshop)[placement] == (START, END)

        world.approve(first, student, placement)
        half = world.placement(student, placement)
        assert (half.terms.version, half.pending_terms.version, half.status) == (1, 2, "agreed")
        assert world.bookings(world.workshop)[placement] == (START, END)
        world.approve(second, student, placement)  # the student does not confirm amended terms again

        agreed = world.placement(student, placement)
        assert (agreed.terms.version, agreed.terms.planned_end, agreed.terms.weekly_hours,
                agreed.pending_terms) == (2, date(2026, 7, 31), 36, None)
        assert world.bookings(world.workshop)[placement] == (START, date(2026, 7, 31))
        recorded = world.events(amended_at + 1)
        approval = {"school": "PlacementApprovedBySchool", "enterprise": "PlacementApprovedByEnterprise"}
        assert names(recorded) == ["PlacementAmendmentProposed", approval[first], approval[second],
                                   "PlacementAmendmentAgreed", "PlaceRescheduled"]
        assert recorded[0].meta.reason == "programme extended"
        assert [e.terms_version for e in recorded[:4]] == [2, 2, 2, 2]
        assert (recorded[-1].placement_id, recorded[-1].start, recorded[-1].end) == (
            placement, START, date(2026, 7, 31))


def test_given_terms_amended_twice_then_the_event_history_keeps_every_version(world: World) -> None:
    student = world.enrol()
    placement = world.agree(student)
    amend(world, student, placement, end=date(2026, 7, 31), weekly_hours=36)
    world.approve_all(student, placement, order=("school", "enterprise"))
    world.activate(student, placement)
    amend(world, student, placement, end=date(2026, 8, 28), post="senior assembly technician", weekly_hours=38)
    world.approve_all(student, placement, order=("enterprise", "school"))
    shown = world.placement(student, placement)
    assert (shown.terms.version, shown.terms.post, shown.status) == (3, "senior assembly technician", "active")
    history = [(1, e.start, e.planned_end, e.post, e.weekly_hours) if type(e).__name__ == "PlacementProposed"
               else (e.terms_version, e.start, e.planned_end, e.post, e.weekly_hours)
               for e in world.events_named("PlacementProposed", "PlacementAmendmentProposed")]
    assert history == [(1, START, END, "assembly technician", 40),
                       (2, START, date(2026, 7, 31), "assembly technician", 36),
                       (3, START, date(2026, 8, 28), "senior assembly technician", 38)]
    assert [e.terms_version for e in world.events_named("PlacementAmendmentAgreed")] == [2, 3]
    assert world.bookings(world.workshop) == {placement: (START, date(2026, 8, 28))}


def test_given_an_amendment_then_the_usual_term_rules_apply_and_a_new_amendment_replaces_a_pending_one(
    world: World,
) -> None:
    student = world.enrol()
    app = world.app
    proposed = world.propose(student, start=date(2026, 9, 1), end=date(2026, 10, 30))
    refused(world, "placement-status", amend, world, student, proposed, start=date(2026, 9, 1),
            end=date(2026, 10, 30))
    placement = world.agree(student)
    refused(world, "period-order", amend, world, student, placement, end=date(2026, 3, 1))
    refused(world, "weekly-hours-cap", amend, world, student, placement, weekly_hours=41)
    error = refused(world, "placements-overlap", amend, world, student, placement, end=date(2026, 9, 15))
    assert error.details["conflicting_placements"] == [proposed]
    refused(world, "nothing-to-approve", world.approve, "school", student, placement)
    amend(world, student, placement)
    world.approve("school", student, placement)
    amend(world, student, placement, end=date(2026, 7, 15))  # replaces the pending one: approvals start again
    assert world.placement(student, placement).pending_terms.version == 3
    assert world.placement(student, placement).school_approved == 2
    world.approve("school", student, placement)
    refused(world, "already-approved", world.approve, "school", student, placement)
    world.approve("enterprise", student, placement)
    refused(world, "nothing-to-approve", world.approve, "enterprise", student, placement)
    world.activate(student, placement)
    refused(world, "started-placement-start", amend, world, student, placement, start=date(2026, 3, 9))
    assert app.get_student(world.admin, student).placements[placement].terms.version == 3


def test_given_an_agreed_placement_when_its_start_is_amended_then_the_booking_moves_with_it(world: World) -> None:
    student = world.enrol()
    placement = world.agree(student)
    amend(world, student, placement, start=date(2026, 4, 1), end=date(2026, 7, 31))
    world.approve_all(student, placement, order=("school", "enterprise"))
    assert world.bookings(world.workshop) == {placement: (date(2026, 4, 1), date(2026, 7, 31))}
    refused(world, "activation-within-period", world.app.activate_placement, world.coordinator, student, placement,
            on=START)


def test_given_an_amendment_moving_the_start_pending_when_activated_on_the_old_start_then_the_started_placement_keeps_it(
    world: World,
) -> None:
    """Until both approve the old terms stay, so activation follows them; once started, the start stays put
    and the centre's booking keeps covering the days the student was there."""
    student = world.enrol()
    placement = world.agree(student)
    amend(world, student, placement, start=date(2026, 4, 1), end=END)
    world.activate(student, placement, on=START)
    for party in ("school", "enterprise"):
        try:
            world.approve(party, student, placement)
        except RuleViolated:
            pass  # refusing the outdated amendment is one correct answer
    shown = world.placement(student, placement)
    assert shown.terms.start == START == shown.activated_on
    assert world.bookings(world.workshop)[placement][0] <= shown.activated_on


def test_given_a_started_placement_when_its_planned_end_is_amended_to_before_the_day_it_started_then_it_is_refused(
    world: World,
) -> None:
    """Activated on 2026-04-13: new terms ending on 2026-03-29 would leave the student active outside their own
    placement, and the centre's place would no longer cover the days they were there."""
    student = world.enrol()
    placement = world.activate(student, world.agree(student), on=date(2026, 4, 13))
    with pytest.raises(RuleViolated):  # when proposed, or at the latest when approved
        amend(world, student, placement, end=date(2026, 3, 29))
        world.approve_all(student, placement, order=("school", "enterprise"))
    shown = world.placement(student, placement)
    assert shown.terms.planned_end >= shown.activated_on
    assert world.bookings(world.workshop)[placement] == (START, END)


def test_given_an_amendment_pending_when_the_placement_ends_then_approving_it_changes_no_terms_and_books_no_place(
    world: World,
) -> None:
    """Stopped, completed, transferred or withdrawn: the amendment died with the placement. Approving it must
    neither rewrite the ended placement's terms nor book its released place again."""
    world.app.change_centre_capacity(world.admin, world.workshop, capacity=4)
    world.app.change_centre_capacity(world.admin, world.depot, capacity=4)
    outcome, expected = {}, {}
    for ending in ("stop", "complete", "transfer", "withdraw"):
        student = world.enrol(f"student who will {ending}")
        placement = world.agree(student)
        if ending != "withdraw":
            world.activate(student, placement)
        amend(world, student, placement, end=date(2026, 8, 31))
        if ending == "stop":
            stop(world, student, placement, date(2026, 4, 30))
        elif ending == "complete":
            world.app.complete_placement(world.coordinator, student, placement, on=date(2026, 4, 30))
        elif ending == "transfer":
            world.app.transfer_placement(world.coordinator, student, placement, to_centre_id=world.depot,
                                         on=date(2026, 5, 1), reason="move")
        else:
            world.app.withdraw_placement(world.coordinator, student, placement, reason="cancelled")
        expected[ending] = (1, END, world.bookings(world.workshop).get(placement), "refused")
        refusals = []
        for party in ("school", "enterprise"):
            try:
                world.approve(party, student, placement)
            except RuleViolated as error:
                refusals.append(error.rule)
        ended = world.placement(student, placement)
        outcome[ending] = (ended.terms.version, ended.terms.planned_end, world.bookings(world.workshop).get(placement),
                           "refused" if refusals else "accepted")
    assert outcome == expected


def test_given_an_amendment_the_full_centre_cannot_take_then_the_placement_is_not_stuck_with_it(world: World) -> None:
    """The depot (one place) is booked after this placement; extending into that booking cannot be agreed, and
    the coordinator must still be able to propose terms that fit."""
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    placement = world.agree(first, world.depot, START, date(2026, 4, 30))
    holder = world.agree(second, world.depot, date(2026, 5, 4), END)
    try:
        amend(world, first, placement, end=date(2026, 5, 29))
        world.approve("school", first, placement)
        world.approve("enterprise", first, placement)
    except RuleViolated as error:
        assert error.rule == "centre-capacity"
        assert holder in error.details["conflicting_placements"]
    else:
        pytest.fail("the depot's only place is booked from 2026-05-04: the extension cannot be agreed")
    amend(world, first, placement, end=date(2026, 5, 1), reason="one more day only")
    world.approve_all(first, placement, order=("school", "enterprise"))
    assert world.bookings(world.depot) == {placement: (START, date(2026, 5, 1)), holder: (date(2026, 5, 4), END)}


# -- unknown objects, stale versions, concurrent approvals ---------------------------------------------


def test_given_unknown_students_placements_or_centres_then_not_found_and_nothing_recorded(world: World) -> None:
    student = world.enrol()
    before = world.app.max_position()
    with pytest.raises(NotFound):
        world.app.propose_placement(world.coordinator, uuid4(), centre_id=world.workshop, start=START,
                                    planned_end=END, post="x", weekly_hours=40)
    with pytest.raises(NotFound):
        world.app.propose_placement(world.coordinator, student, centre_id=uuid4(), start=START, planned_end=END,
                                    post="x", weekly_hours=40)
    with pytest.raises(NotFound):
        world.app.propose_placement(world.coordinator, student, centre_id=world.haier, start=START, planned_end=END,
                                    post="x", weekly_hours=40)  # an enterprise is not a centre
    with pytest.raises(NotFound):
        world.app.approve_placement_as_school(world.coordinator, student, str(uuid4()))
    with pytest.raises(NotFound):
        world.app.get_student(world.admin, world.workshop)
    assert world.app.max_position() == before


def test_given_a_stale_expected_version_of_the_student_then_a_version_conflict_and_nothing_recorded(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    version = world.app.get_student(world.admin, student).version
    world.app.approve_placement_as_school(world.coordinator, student, placement, expected_version=version)
    before = world.app.max_position()
    with pytest.raises(VersionConflict):
        world.app.confirm_placement(world.student(student), student, placement, expected_version=version)
    assert world.app.max_position() == before
    world.app.confirm_placement(world.student(student), student, placement, expected_version=version + 1)


def test_given_a_stop_dated_after_today_then_it_is_refused_since_a_stop_records_that_the_student_left(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.agree(student)
    world.activate(student, placement)
    world.app.today = lambda: date(2026, 5, 1)
    refused(world, "no-future-date", world.app.stop_placement, world.coordinator, student, placement,
            on=date(2026, 5, 2), reason_code="health")
    world.app.stop_placement(world.coordinator, student, placement, on=date(2026, 5, 1), reason_code="health")
    assert world.placement(student, placement).status == "stopped"

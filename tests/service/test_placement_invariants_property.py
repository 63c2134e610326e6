"""Property: whatever commands are tried, in whatever order, the stored events keep the placement invariants.

Random sequences of commands (propose with or without a capacity override, the three approvals, activate,
pause, resume, stop, complete, transfer, withdraw, amend and re-approve) run over three students and two
centres of one or two places, on a fresh Container (in-memory event stores) per example; refusals (DomainError)
are swallowed, as a user would see them and try something else. Then the invariants are checked from the stored events alone:

(a) on every day, the places booked at a centre never exceed its capacity, except by bookings that each
    have a CapacityOverrideGranted on record;
(b) a student never has two placements active (or paused) at once, neither in the order things were
    recorded nor in business time;
(c) no two placements of a student that were not withdrawn overlap in time;
(d) the centres' places follow the placements: an agreed placement holds its place from its start to its
    end (its end date once ended), a withdrawn or never agreed one holds none, and an activated one was
    activated on a day its place covers.

On PostgreSQL too: test_placement_invariants_on_postgresql_property.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import Container
from services.common.errors import DomainError
from tests.conftest import make_settings
from tests.service.placement_world import World, build_world, events_of

pytestmark = pytest.mark.rules

BASE = date(2026, 1, 5)  # a Monday; every date of the scripts lies in 2026, before "today" (2026-11-30)
STOP_REASONS = ("health", "withdrew", "academic", "other")
ACTIONS = (
    "propose", "propose", "agree", "agree", "agree", "approve-school", "approve-enterprise", "confirm",
    "approve-all", "approve-all", "activate", "activate", "activate", "pause", "resume", "stop", "complete",
    "transfer", "transfer", "withdraw", "amend", "amend",
)
"""Weighted: "agree" proposes and has the three parties approve at once, so that places get booked often."""

steps = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(0, 2),  # which student
    st.integers(0, 5),  # which centre / which of the student's placements
    st.integers(0, 30),  # a date offset (weeks for a start, days within a placement)
    st.integers(1, 10),  # a length in weeks
    st.booleans(),  # with an override justification / on the planned end
)
scripts = st.lists(steps, min_size=15, max_size=45)
capacities = st.tuples(st.integers(1, 2), st.integers(1, 2))


# -- driving the application ---------------------------------------------------------------------------


def drive(container: Container, capacity: tuple[int, int], script: list[tuple]) -> World:
    world = build_world(container, workshop_capacity=capacity[0], depot_capacity=capacity[1])
    students = [world.enrol(f"student {n}") for n in range(3)]
    centres = [world.workshop, world.depot]
    for action, who, which, offset, weeks, flag in script:
        try:
            run_step(world, students[who], centres, action, which, offset, weeks, flag)
        except DomainError:
            pass  # refused: nothing recorded; the next command is tried
    return world


def run_step(world: World, student: UUID, centres: list[UUID], action: str, which: int, offset: int, weeks: int,
             flag: bool) -> None:
    app, coordinator = world.app, world.coordinator
    justification = "a bench was lent by another centre" if flag else None
    if action in ("propose", "agree"):
        start = BASE + timedelta(weeks=offset % 13)  # a busy quarter: periods often meet
        placement = world.propose(student, centres[which % 2], start, start + timedelta(weeks=weeks, days=-1),
                                  capacity_override_justification=justification)
        if action == "agree":
            approve_all(world, student, placement)
        return
    placements = list(app.get_student(world.admin, student).placements.values())
    suitable = [p for p in placements if SUITS[action](p)]
    if which < 4 and suitable:  # mostly a placement the action suits, sometimes any
        placements = suitable
    if not placements:
        return
    p = placements[which % len(placements)]
    start, end = p.terms.start, p.terms.planned_end
    span = (end - start).days + 1

    def day_within(base: date = start) -> date:
        return min(base + timedelta(days=offset % span), end)

    if action in ("approve-school", "approve-enterprise", "confirm"):
        world.approve({"approve-school": "school", "approve-enterprise": "enterprise", "confirm": "student"}[action],
                      student, p.id)
    elif action == "approve-all":
        approve_all(world, student, p.id)
    elif action == "activate":
        app.activate_placement(coordinator, student, p.id, on=day_within())
    elif action == "pause":
        app.pause_placement(coordinator, student, p.id, on=day_within(p.activated_on or start), reason="a break")
    elif action == "resume":
        app.resume_placement(coordinator, student, p.id, on=day_within(p.paused_on or start))
    elif action == "stop":
        reason = STOP_REASONS[offset % len(STOP_REASONS)]
        app.stop_placement(coordinator, student, p.id, on=day_within(p.activated_on or start), reason_code=reason,
                           reason_text="explained" if reason == "other" else None)
    elif action == "complete":
        app.complete_placement(coordinator, student, p.id, on=end if flag else day_within(p.activated_on or start))
    elif action == "transfer":
        other = centres[0] if p.centre_id == str(centres[1]) else centres[1]
        app.transfer_placement(coordinator, student, p.id, to_centre_id=other, on=day_within(start + timedelta(1)),
                               reason="rotation", capacity_override_justification=justification)
    elif action == "withdraw":
        app.withdraw_placement(coordinator, student, p.id, reason="cancelled")
    elif action == "amend":
        new_start = start + timedelta(weeks=offset % 3 - 1) if p.status == "agreed" else start
        app.amend_placement(coordinator, student, p.id, start=new_start,
                            planned_end=new_start + timedelta(weeks=weeks, days=-1), post="amended post",
                            weekly_hours=40 - offset % 5, reason="new terms")


SUITS = {
    "approve-school": lambda p: p.status == "proposed" or p.pending_terms is not None,
    "approve-enterprise": lambda p: p.status == "proposed" or p.pending_terms is not None,
    "approve-all": lambda p: p.status == "proposed" or p.pending_terms is not None,
    "confirm": lambda p: p.status == "proposed",
    "activate": lambda p: p.status == "agreed",
    "pause": lambda p: p.status == "active",
    "resume": lambda p: p.status == "paused",
    "stop": lambda p: p.status in ("active", "paused"),
    "complete": lambda p: p.status == "active",
    "transfer": lambda p: p.status in ("active", "paused"),
    "withdraw": lambda p: p.status in ("proposed", "agreed"),
    "amend": lambda p: p.status in ("agreed", "active", "paused"),
}
"""Which placements of the student an action is meant for, as the student's record shows them."""


def approve_all(world: World, student: UUID, placement: str) -> None:
    for party in ("school", "enterprise", "student"):
        try:
            world.approve(party, student, placement)
        except DomainError:
            pass


# -- replaying the stored events ------------------------------------------------------------------------


def days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(n) for n in range((end - start).days + 1))


@dataclass
class Replayed:
    """A placement as its student's events tell it."""

    centre_id: str
    start: date
    planned_end: date
    status: str = "proposed"
    pending: tuple[date, date] | None = None
    agreed_ever: bool = False
    activated_on: date | None = None
    ended_on: date | None = None

    @property
    def end(self) -> date:
        return self.ended_on or self.planned_end


@dataclass
class Places:
    """A centre's capacity and bookings as its events tell them."""

    capacity: int = 0
    bookings: dict[str, list[Any]] = field(default_factory=dict)  # placement -> [start, end, overridden]
    granted: set[str] = field(default_factory=set)


def capacity_violations(events: list[Any]) -> list[str]:
    """(a) places booked never exceed capacity on any day, except by bookings with a recorded override."""
    centres: dict[UUID, Places] = {}
    found: list[str] = []
    for e in events:
        kind, c = type(e).__name__, e.originator_id
        if kind == "CentreOpened":
            centres[c] = Places(e.capacity)
            continue
        if c not in centres:
            continue
        places = centres[c]
        if kind == "CentreCapacityChanged":
            places.capacity = e.capacity
        elif kind == "CapacityOverrideGranted":
            places.granted.add(e.placement_id)
        elif kind in ("PlaceBooked", "PlaceRescheduled"):
            overridden = e.placement_id in places.granted
            places.granted.discard(e.placement_id)
            places.bookings[e.placement_id] = [e.start, e.end, overridden]
            if not overridden:
                over = [d for d in days(e.start, e.end)
                        if sum(b[0] <= d <= b[1] for b in places.bookings.values()) > places.capacity]
                if over:
                    found.append(f"{kind} of {e.placement_id} at centre {c} goes over capacity {places.capacity} "
                                 f"on {over[0]} without a CapacityOverrideGranted")
        elif kind == "PlaceReleased":
            booking = places.bookings[e.placement_id]
            if e.from_date <= booking[0]:
                del places.bookings[e.placement_id]
            else:
                booking[1] = min(booking[1], e.from_date - timedelta(1))
        else:
            continue
        if places.bookings:
            first = min(b[0] for b in places.bookings.values())
            last = max(b[1] for b in places.bookings.values())
            for d in days(first, last):
                held = [b for b in places.bookings.values() if b[0] <= d <= b[1]]
                if len(held) > places.capacity + sum(b[2] for b in held):
                    found.append(f"after {kind} of {e.placement_id}: centre {c} holds {len(held)} places on {d}, "
                                 f"capacity {places.capacity}, overrides {sum(b[2] for b in held)}")
                    break
    return found


def replay_students(events: list[Any], check: bool = True) -> tuple[dict[UUID, dict[str, Replayed]], list[str]]:
    """Replay every student's placements; collect (b) and (c) violations seen after any event."""
    students: dict[UUID, dict[str, Replayed]] = {}
    found: list[str] = []
    for e in events:
        kind, s = type(e).__name__, e.originator_id
        if kind == "StudentEnrolled":
            students[s] = {}
            continue
        if s not in students or not kind.startswith(("Placement", "SpecialityMismatch")):
            continue
        placements = students[s]
        if kind == "PlacementProposed":
            placements[e.placement_id] = Replayed(e.centre_id, e.start, e.planned_end)
        else:
            p = placements.get(getattr(e, "placement_id", ""))
            if p is None:
                continue
            if kind == "PlacementAgreed":
                p.status, p.agreed_ever = "agreed", True
            elif kind == "PlacementActivated":
                p.status, p.activated_on = "active", e.on
            elif kind == "PlacementPaused":
                p.status = "paused"
            elif kind == "PlacementResumed":
                p.status = "active"
            elif kind in ("PlacementStopped", "PlacementCompleted"):
                p.status, p.ended_on = kind.removeprefix("Placement").lower(), e.on
            elif kind == "PlacementTransferred":
                p.status, p.ended_on = "transferred", e.on - timedelta(1)
            elif kind == "PlacementWithdrawn":
                p.status = "withdrawn"
            elif kind == "PlacementAmendmentProposed":
                p.pending = (e.start, e.planned_end)
            elif kind == "PlacementAmendmentAgreed" and p.pending:
                (p.start, p.planned_end), p.pending = p.pending, None
        if not check:
            continue
        running = [pid for pid, p in placements.items() if p.status in ("active", "paused")]
        if len(running) > 1:
            found.append(f"(b) after {kind}: student {s} has {len(running)} placements active or paused: {running}")
        transfer_in_progress = kind == "PlacementProposed" and e.transferred_from
        if not transfer_in_progress and kind != "SpecialityMismatchOverridden":
            held = [(pid, p.start, p.end) for pid, p in placements.items() if p.status != "withdrawn"]
            for i, (a, a_start, a_end) in enumerate(held):
                for b, b_start, b_end in held[i + 1:]:
                    if a_start <= b_end and b_start <= a_end:
                        found.append(f"(c) after {kind}: student {s}'s placements {a} ({a_start}..{a_end}) and "
                                     f"{b} ({b_start}..{b_end}) overlap")
    for s, placements in students.items():
        active = sorted((p.activated_on, p.end, pid) for pid, p in placements.items() if p.activated_on)
        for (a_on, a_end, a), (b_on, _, b) in pairwise(active):
            if b_on <= a_end:
                found.append(f"(b) student {s} was in {a} ({a_on}..{a_end}) and {b} (from {b_on}) at once")
    return students, found


def places_follow_placements(events: list[Any]) -> list[str]:
    """(d) the centres' bookings against the placements' periods, at the end of the log."""
    students, _ = replay_students(events, check=False)
    bookings: dict[str, tuple[str, date, date]] = {}
    for e in events:
        kind = type(e).__name__
        if kind in ("PlaceBooked", "PlaceRescheduled"):
            bookings[e.placement_id] = (str(e.originator_id), e.start, e.end)
        elif kind == "PlaceReleased":
            centre, start, end = bookings[e.placement_id]
            if e.from_date <= start:
                del bookings[e.placement_id]
            else:
                bookings[e.placement_id] = (centre, start, min(end, e.from_date - timedelta(1)))
    found = []
    for placements in students.values():
        for pid, p in placements.items():
            booking = bookings.get(pid)
            if p.status == "withdrawn" or not p.agreed_ever:
                if booking is not None:
                    found.append(f"{p.status} placement {pid} still holds a place {booking[1]}..{booking[2]}")
                continue
            if booking != (p.centre_id, p.start, p.end):
                found.append(f"{p.status} placement {pid} runs {p.start}..{p.end} at {p.centre_id} but holds "
                             f"{booking and (booking[1], booking[2])}")
            if p.activated_on and not (p.start <= p.activated_on <= p.end):
                found.append(f"{p.status} placement {pid} was activated on {p.activated_on}, outside its held "
                             f"period {p.start}..{p.end}")
    return found


def explain(app: Any, violations: list[str]) -> str:
    """The violations, each placement named in them followed by its stored events: a failure reads on its own."""
    trails, events = [], events_of(app)
    placements = {getattr(e, "placement_id", None) for e in events}
    for placement in dict.fromkeys(re.findall(r"[0-9a-f-]{36}", "\n".join(violations))):
        if placement not in placements:
            continue  # a student or a centre
        trail = [f"placement {placement}:"]
        for e in events:
            if getattr(e, "placement_id", None) == placement or getattr(e, "to_placement_id", None) == placement:
                facts = {k: str(v) for k, v in vars(e).items() if k in (
                    "on", "start", "end", "planned_end", "from_date", "terms_version", "to_placement_id",
                    "transferred_from", "capacity", "occupancy")}
                trail.append(f"  {type(e).__name__} {facts}")
        trails.append("\n".join(trail))
    return "\n".join(violations + trails)


def all_violations(app: Any) -> dict[str, list[str]]:
    events = events_of(app)
    _, by_students = replay_students(events)
    return {
        "a": capacity_violations(events),
        "bc": by_students,
        "d": places_follow_placements(events),
    }


# -- the properties -------------------------------------------------------------------------------------


NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)
"""A failing example is reported as generated, with the events of each placement involved (see explain):
shrinking costs minutes at ~0.1 s an example, and the service tests hold the minimal reproductions."""


def fresh_container(tmp_path_factory: pytest.TempPathFactory, database_url: str | None = "memory:") -> Container:
    return Container(make_settings(tmp_path_factory.mktemp("placements-prop") / "var", database_url))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=NO_SHRINKING)
@given(capacity=capacities, script=scripts)
@example(capacity=(2, 2), script=[  # an amendment pending while another placement is proposed in its new period
    ("agree", 0, 0, 0, 1, False), ("amend", 0, 0, 1, 7, False), ("propose", 0, 1, 6, 4, False),
    ("approve-all", 0, 0, 0, 1, False),
])
def test_property_whatever_the_commands_capacity_is_never_exceeded_without_an_override_and_a_student_is_never_in_two_placements_at_once(
    tmp_path_factory, capacity, script
) -> None:
    container = fresh_container(tmp_path_factory)
    try:
        world = drive(container, capacity, script)
        violations = all_violations(world.app)
        assert violations["a"] == [], explain(world.app, violations["a"])
        assert violations["bc"] == [], explain(world.app, violations["bc"])
    finally:
        container.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=NO_SHRINKING)
@given(capacity=capacities, script=scripts)
@example(capacity=(1, 1), script=[  # an amendment pending when the placement is stopped, then approved
    ("agree", 0, 0, 0, 4, False), ("activate", 0, 0, 0, 1, False), ("amend", 0, 0, 0, 8, False),
    ("stop", 0, 0, 7, 1, False), ("approve-all", 0, 0, 0, 1, False),
])
def test_property_whatever_the_commands_the_centres_places_follow_the_placements_agreed_started_and_ended(
    tmp_path_factory, capacity, script
) -> None:
    container = fresh_container(tmp_path_factory)
    try:
        world = drive(container, capacity, script)
        violations = all_violations(world.app)["d"]
        assert violations == [], explain(world.app, violations)
    finally:
        container.close()


def fake(kind: str, originator: Any, **facts: Any) -> Any:
    """A stand-in for a stored event: the checks only read its class name and its facts."""
    event = type(kind, (), {})()
    event.originator_id = originator
    event.__dict__.update(facts)
    return event


def test_given_a_known_history_then_the_invariant_checks_pass_it_and_report_each_kind_of_breach(container) -> None:
    world = drive(container, (1, 1), [
        ("propose", 0, 0, 8, 8, False), ("approve-all", 0, 0, 0, 1, False), ("activate", 0, 0, 0, 1, False),
        ("propose", 1, 0, 10, 4, True), ("approve-all", 1, 0, 0, 1, False),  # over capacity, justified
        ("transfer", 0, 0, 14, 1, True), ("approve-all", 0, 1, 0, 1, False),
        ("activate", 1, 0, 0, 1, False), ("stop", 1, 0, 3, 1, False),
    ])
    events = events_of(world.app)
    kinds = [type(e).__name__ for e in events]
    assert {"CapacityOverrideGranted", "PlacementTransferred", "PlacementStopped", "PlaceReleased"} <= set(kinds)
    assert all_violations(world.app) == {"a": [], "bc": [], "d": []}
    without_override = [e for e in events if type(e).__name__ != "CapacityOverrideGranted"]
    assert capacity_violations(without_override)

    centre, student, d = "centre", "student", date(2026, 3, 2)
    over = [fake("CentreOpened", centre, capacity=1),
            fake("PlaceBooked", centre, placement_id="p1", start=d, end=d + timedelta(9)),
            fake("PlaceBooked", centre, placement_id="p2", start=d + timedelta(9), end=d + timedelta(20))]
    assert len(capacity_violations(over)) >= 1
    released = over[:2] + [fake("PlaceReleased", centre, placement_id="p1", from_date=d + timedelta(9))] + over[2:]
    assert capacity_violations(released) == []
    two_placements = [fake("StudentEnrolled", student),
                      fake("PlacementProposed", student, placement_id="p1", centre_id=centre, start=d,
                           planned_end=d + timedelta(9), transferred_from=None),
                      fake("PlacementProposed", student, placement_id="p2", centre_id=centre, start=d + timedelta(5),
                           planned_end=d + timedelta(20), transferred_from=None)]
    assert any(v.startswith("(c)") for v in replay_students(two_placements)[1])
    both_active = two_placements + [fake("PlacementActivated", student, placement_id=p, on=d + timedelta(6))
                                    for p in ("p1", "p2")]
    assert any(v.startswith("(b)") for v in replay_students(both_active)[1])
    agreed_unbooked = two_placements[:2] + [fake("PlacementAgreed", student, placement_id="p1")]
    assert places_follow_placements(agreed_unbooked)

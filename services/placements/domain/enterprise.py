"""Enterprises and their training centres: capacity, specialities, mentors and the places booked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.placements import (
    CapacityOverrideGranted,
    CentreCapacityChanged,
    CentreClosed,
    CentreOpened,
    EnterpriseRegistered,
    MentorAssigned,
    MentorWithdrawn,
    PlaceBooked,
    PlaceReleased,
    PlaceRescheduled,
)
from services.common.errors import RuleViolated
from services.common.snapshots import StateSnapshot


class Enterprise(Aggregate):
    """A company that hosts apprentices in its training centres."""

    def __init__(self, *, name: str, registration_number: str | None, meta: EventMeta) -> None:
        self.name = name
        self.registration_number = registration_number

    @classmethod
    def register(cls, *, name: str, registration_number: str | None, meta: EventMeta) -> Enterprise:
        return cls._create(
            EnterpriseRegistered, id=uuid4(), name=name, registration_number=registration_number, meta=meta
        )


@dataclass
class Booking:
    """A place at a centre held by an agreed placement, from start to end inclusive."""

    placement_id: str
    student_id: str
    start: date
    end: date

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


@dataclass(frozen=True)
class Occupancy:
    """The most places held at once within a period, and the placements holding places in it."""

    peak: int
    placements: list[str]


@dataclass(frozen=True)
class HostCentre:
    """A training centre as a placement decision sees it, by value: aggregates meet by value, so a student's
    placement is decided on this, never on the centre aggregate itself."""

    id: str
    enterprise_id: str
    capacity: int
    specialities: tuple[str, ...]
    mentors: frozenset[str]
    is_closed: bool
    bookings: tuple[Booking, ...]

    def holds_place_for(self, placement_id: str) -> bool:
        return any(b.placement_id == placement_id for b in self.bookings)

    def occupancy(self, start: date, end: date, *, excluding: str | None = None) -> Occupancy:
        """How many places are held at once, at the most, between start and end (inclusive)."""
        held = [b for b in self.bookings if b.overlaps(start, end) and b.placement_id != excluding]
        # Occupancy only rises where a booking starts, so those days (and the period's first) are enough.
        days = {start} | {b.start for b in held if b.start > start}
        peak = max((sum(1 for b in held if b.start <= day <= b.end) for day in days), default=0)
        return Occupancy(peak, sorted(b.placement_id for b in held))

    def check_room(
        self, start: date, end: date, *, override_justification: str | None, excluding: str | None = None
    ) -> Occupancy:
        """Refuse a new booking over capacity unless a justification for exceeding it is given."""
        if self.is_closed:
            raise RuleViolated("centre-closed", f"centre {self.id} is closed: cannot take placements",
                               centre_id=self.id)
        occupancy = self.occupancy(start, end, excluding=excluding)
        if occupancy.peak + 1 > self.capacity and not (override_justification or "").strip():
            raise RuleViolated(
                "centre-capacity",
                f"centre {self.id} is full between {start} and {end}: {occupancy.peak} of {self.capacity} places "
                "are held; give a capacity override justification to exceed it",
                centre_id=self.id,
                capacity=self.capacity,
                occupancy=occupancy.peak,
                conflicting_placements=occupancy.placements,
            )
        return occupancy


class TrainingCentre(Aggregate):
    """A place where an enterprise trains apprentices, with a capacity and the majors it can train."""

    Snapshot = StateSnapshot

    def __init__(
        self,
        *,
        enterprise_id: str,
        name: str,
        address: str,
        capacity: int,
        specialities: list[str],
        meta: EventMeta,
    ) -> None:
        self.enterprise_id = enterprise_id
        self.name = name
        self.address = address
        self.capacity = capacity
        self.specialities = list(specialities)
        self.mentors: dict[str, str] = {}
        self.is_closed = False
        self.bookings: dict[str, Booking] = {}

    @classmethod
    def open(
        cls,
        *,
        enterprise_id: UUID,
        name: str,
        address: str,
        capacity: int,
        specialities: list[str],
        meta: EventMeta,
    ) -> TrainingCentre:
        _require_positive_capacity(capacity)
        return cls._create(
            CentreOpened,
            id=uuid4(),
            enterprise_id=str(enterprise_id),
            name=name,
            address=address,
            capacity=capacity,
            specialities=sorted(set(specialities)),
            meta=meta,
        )

    def change_capacity(self, capacity: int, meta: EventMeta) -> None:
        self._require_open("change its capacity")
        _require_positive_capacity(capacity)
        if capacity == self.capacity:
            return
        self.trigger_event(CentreCapacityChanged, capacity=capacity, previous_capacity=self.capacity, meta=meta)

    def assign_mentor(self, mentor_id: str, name: str, meta: EventMeta) -> None:
        self._require_open("assign a mentor")
        if mentor_id in self.mentors:
            raise RuleViolated(
                "mentor-already-assigned",
                f"mentor {mentor_id} is already assigned to this centre",
                centre_id=str(self.id),
                mentor_id=mentor_id,
            )
        self.trigger_event(MentorAssigned, mentor_id=mentor_id, name=name, meta=meta)

    def withdraw_mentor(self, mentor_id: str, meta: EventMeta) -> None:
        if mentor_id not in self.mentors:
            raise RuleViolated(
                "mentor-not-assigned",
                f"mentor {mentor_id} is not assigned to this centre",
                centre_id=str(self.id),
                mentor_id=mentor_id,
            )
        self.trigger_event(MentorWithdrawn, mentor_id=mentor_id, meta=meta)

    def close(self, meta: EventMeta) -> None:
        self._require_open("close it")
        self.trigger_event(CentreClosed, meta=meta)

    def as_host(self) -> HostCentre:
        """The centre as a placement decision sees it: a value another aggregate can be given."""
        return HostCentre(
            id=str(self.id), enterprise_id=self.enterprise_id, capacity=self.capacity,
            specialities=tuple(self.specialities), mentors=frozenset(self.mentors), is_closed=self.is_closed,
            bookings=tuple(Booking(b.placement_id, b.student_id, b.start, b.end) for b in self.bookings.values()),
        )

    def occupancy(self, start: date, end: date, *, excluding: str | None = None) -> Occupancy:
        """How many places are held at once, at the most, between start and end (inclusive)."""
        return self.as_host().occupancy(start, end, excluding=excluding)

    def check_room(
        self, start: date, end: date, *, override_justification: str | None, excluding: str | None = None
    ) -> Occupancy:
        """Refuse a new booking over capacity unless a justification for exceeding it is given."""
        return self.as_host().check_room(start, end, override_justification=override_justification,
                                         excluding=excluding)

    def book_place(
        self, *, placement_id: str, student_id: str, start: date, end: date,
        override_justification: str | None, justified_by: str | None, meta: EventMeta,
    ) -> None:
        """Hold a place for an agreed placement; beyond capacity only with a justification, recorded."""
        occupancy = self.check_room(start, end, override_justification=override_justification)
        self._record_override_if_needed(placement_id, occupancy, override_justification, justified_by, meta)
        self.trigger_event(PlaceBooked, placement_id=placement_id, student_id=student_id, start=start, end=end,
                           meta=meta)

    def reschedule_place(
        self, *, placement_id: str, start: date, end: date, override_justification: str | None,
        justified_by: str | None, meta: EventMeta,
    ) -> None:
        """Move a booked place to a new period (amended terms), with the same capacity rule."""
        occupancy = self.check_room(start, end, override_justification=override_justification, excluding=placement_id)
        self._record_override_if_needed(placement_id, occupancy, override_justification, justified_by, meta)
        self.trigger_event(PlaceRescheduled, placement_id=placement_id, start=start, end=end, meta=meta)

    def release_place(self, placement_id: str, from_date: date, meta: EventMeta) -> None:
        """Free a booked place from a date on; nothing to do when no place is held."""
        booking = self.bookings.get(placement_id)
        if booking is None or from_date > booking.end:
            return
        self.trigger_event(PlaceReleased, placement_id=placement_id, from_date=from_date, meta=meta)

    def _record_override_if_needed(
        self, placement_id: str, occupancy: Occupancy, justification: str | None, justified_by: str | None,
        meta: EventMeta,
    ) -> None:
        if occupancy.peak + 1 > self.capacity:
            self.trigger_event(
                CapacityOverrideGranted, placement_id=placement_id, capacity=self.capacity,
                occupancy=occupancy.peak + 1, justification=(justification or "").strip(),
                justified_by=justified_by or meta.subject, meta=meta,
            )

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the centre's state (the only place state changes after creation)."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: CentreCapacityChanged) -> None:
        self.capacity = event.capacity

    @when.register
    def _(self, event: MentorAssigned) -> None:
        self.mentors[event.mentor_id] = event.name

    @when.register
    def _(self, event: MentorWithdrawn) -> None:
        del self.mentors[event.mentor_id]

    @when.register
    def _(self, event: CentreClosed) -> None:
        self.is_closed = True

    @when.register
    def _(self, event: PlaceBooked) -> None:
        self.bookings[event.placement_id] = Booking(event.placement_id, event.student_id, event.start, event.end)

    @when.register
    def _(self, event: PlaceRescheduled) -> None:
        booking = self.bookings[event.placement_id]
        booking.start, booking.end = event.start, event.end

    @when.register
    def _(self, event: PlaceReleased) -> None:
        booking = self.bookings[event.placement_id]
        if event.from_date <= booking.start:
            del self.bookings[event.placement_id]
        else:
            booking.end = event.from_date - timedelta(days=1)

    @when.register
    def _(self, event: CapacityOverrideGranted) -> None:
        pass  # the booking that follows holds the place; the override is on record

    def _require_open(self, action: str) -> None:
        if self.is_closed:
            raise RuleViolated(
                "centre-closed", f"centre {self.id} is closed: cannot {action}", centre_id=str(self.id)
            )


def _require_positive_capacity(capacity: int) -> None:
    if capacity < 1:
        raise RuleViolated("capacity-positive", "a training centre's capacity must be at least 1", capacity=capacity)

"""Aggregates and rules of the placements context. No framework in here."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.placements import (
    CentreCapacityChanged,
    CentreClosed,
    CentreOpened,
    EnterpriseRegistered,
    MentorAssigned,
    MentorWithdrawn,
)
from services.common.errors import RuleViolated


class Enterprise(Aggregate):
    """A company that hosts apprentices in its training centres."""

    def __init__(self, *, name: str, registration_number: str | None, meta: EventMeta) -> None:
        self.name = name
        self.registration_number = registration_number

    @classmethod
    def register(cls, *, name: str, registration_number: str | None, meta: EventMeta) -> "Enterprise":
        return cls._create(
            EnterpriseRegistered, id=uuid4(), name=name, registration_number=registration_number, meta=meta
        )


class TrainingCentre(Aggregate):
    """A place where an enterprise trains apprentices, with a capacity and the majors it can train."""

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
    ) -> "TrainingCentre":
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

    def _require_open(self, action: str) -> None:
        if self.is_closed:
            raise RuleViolated(
                "centre-closed", f"centre {self.id} is closed: cannot {action}", centre_id=str(self.id)
            )


def _require_positive_capacity(capacity: int) -> None:
    if capacity < 1:
        raise RuleViolated("capacity-positive", "a training centre's capacity must be at least 1", capacity=capacity)

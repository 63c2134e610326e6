"""Events of the placements context: enterprises, their training centres and mentors."""

from __future__ import annotations

from events.base import DomainCreated, DomainEvent


class EnterpriseRegistered(DomainCreated):
    """An enterprise joined dualtrack as a host of apprentices."""

    name: str
    registration_number: str | None


class CentreOpened(DomainCreated):
    """An enterprise opened a practical training centre."""

    enterprise_id: str
    name: str
    address: str
    capacity: int
    specialities: list[str]


class CentreCapacityChanged(DomainEvent):
    """A training centre's capacity (students hosted at once) was changed."""

    capacity: int
    previous_capacity: int


class MentorAssigned(DomainEvent):
    """An enterprise mentor was assigned to a training centre."""

    mentor_id: str
    name: str


class MentorWithdrawn(DomainEvent):
    """A mentor stopped mentoring at a training centre."""

    mentor_id: str


class CentreClosed(DomainEvent):
    """A training centre closed and takes no new placements."""

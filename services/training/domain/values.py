"""The values a training record is made of: in which capacity someone acts on it, the practice of one revision of a
logbook entry, an entry and where it stands, a placement's training plan, an assessment; and the time of day as the
events spell it ("HH:MM").

Training records' snapshots (services.common.snapshots) name these dataclasses by their topic
(services.training.domain.values:Entry, ...): moving or renaming one is a migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any


class Capacity(StrEnum):
    """In which capacity someone acts on a training record (decided by the application from the token)."""

    MENTOR = "mentor"
    STUDENT = "student"
    TEACHER = "teacher"
    COORDINATOR = "coordinator"


PENDING = "pending"
AWAITING_COUNTERSIGNATURE = "awaiting-countersignature"
SIGNED = "signed"
REJECTED = "rejected"


@dataclass(frozen=True)
class Practice:
    """The facts of one revision of an entry."""

    day: date
    start: time
    end: time
    competencies: tuple[str, ...]
    description: str

    @property
    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start)

    def overlaps(self, other: Practice) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


@dataclass
class Entry:
    """One logbook entry: its revisions, and where it stands."""

    id: str
    placement_id: str
    drafted_by_student: bool
    revisions: list[Practice]
    status: str = PENDING

    @property
    def current(self) -> Practice:
        return self.revisions[-1]

    @property
    def revision(self) -> int:
        return len(self.revisions)

    @property
    def counts(self) -> bool:
        """Whether it counts towards the caps: everything but a rejected entry."""
        return self.status != REJECTED


@dataclass
class Plan:
    """A placement's training plan: target hours per competency."""

    placement_id: str
    centre_id: str
    enterprise_id: str
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    result: float
    passed: bool
    scale: str


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def parse_hhmm(text: str) -> time:
    return datetime.strptime(text, "%H:%M").time()


def hours_of(minutes: int) -> float:
    return round(minutes / 60, 2)

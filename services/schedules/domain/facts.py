"""What the conflict checker needs to know from outside the plan: placements, centres, rule sets, other plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.schedules.domain.content import PlanContent

PLACED = ("agreed", "active", "paused", "completed", "stopped", "transferred")
"""Statuses of a placement that was approved (and maybe has run): a block may put the student there."""


@dataclass(frozen=True)
class PlacementPeriod:
    """One placement of a student, as the placements context records it."""

    placement_id: str
    centre_id: str
    status: str
    start: date
    last_day: date
    """The day it ended, or its planned end while it runs."""

    @property
    def approved(self) -> bool:
        return self.status in PLACED

    def covers(self, start: date, end: date) -> bool:
        return self.start <= start and end <= self.last_day


@dataclass(frozen=True)
class StudentPlacements:
    student_id: str
    school_id: str
    placements: tuple[PlacementPeriod, ...]

    def approved_at(self, centre_id: str) -> list[PlacementPeriod]:
        return [p for p in self.placements if p.centre_id == centre_id and p.approved]


@dataclass(frozen=True)
class CentreFacts:
    centre_id: str
    name: str
    enterprise_id: str
    capacity: int
    mentors: frozenset[str]


@dataclass(frozen=True)
class OtherPlan:
    """Another published plan's current revision, whose students and places count too."""

    plan_id: str
    title: str
    revision: int
    content: PlanContent

"""What the training context asks of the others: placements as recorded, and the published school days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from services.training.domain import PlacementFacts


@dataclass(frozen=True)
class StudentFacts:
    """A student as the placements context knows them, with every placement."""

    student_id: str
    school_id: str
    major: str
    rule_set: str
    placements: tuple[PlacementFacts, ...]

    def placement(self, placement_id: str) -> PlacementFacts | None:
        return next((p for p in self.placements if p.placement_id == placement_id), None)

    def placement_on(self, day: date, enterprise_id: str | None = None) -> PlacementFacts | None:
        """The placement that held the student on a day (at the given enterprise, if one is given)."""
        return next((p for p in self.placements if p.running_on(day)
                     and (enterprise_id is None or p.enterprise_id == enterprise_id)), None)

    @property
    def enterprise_ids(self) -> set[str]:
        return {p.enterprise_id for p in self.placements if p.status != "withdrawn"}


class PlacementDirectory(Protocol):
    """Placements as the placements context records them now."""

    def student(self, student_id: str) -> StudentFacts:
        """The student and their placements; NotFound when there is no such student."""
        ...


class SchoolCalendar(Protocol):
    """The published alternation plans: where each student is expected on a day."""

    def is_school_day(self, student_id: str, day: date) -> bool: ...


class NoPublishedPlans:
    """Until alternation plans are published, no day is a school day."""

    def is_school_day(self, student_id: str, day: date) -> bool:
        return False

"""What the training rules need to know about a placement, as the placements context records it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PlacementFacts:
    """One placement of a student, seen from the training context."""

    placement_id: str
    student_id: str
    school_id: str
    major: str
    rule_set: str
    centre_id: str
    enterprise_id: str
    status: str
    start: date
    planned_end: date
    activated_on: date | None
    ended_on: date | None
    pauses: tuple[tuple[date, date | None], ...]
    centre_mentors: frozenset[str]
    """Mentors assigned to the centre now."""

    @property
    def last_day(self) -> date:
        return self.ended_on or self.planned_end

    @property
    def hosts_now(self) -> bool:
        """Whether the student is placed there now (active or paused)."""
        return self.status in ("active", "paused")

    def paused_on(self, day: date) -> bool:
        return any(start <= day and (end is None or day < end) for start, end in self.pauses)

    def running_on(self, day: date) -> bool:
        """Whether the placement held the student on that day: started, not ended, not paused."""
        if self.activated_on is None or day < self.activated_on or day > self.last_day:
            return False
        return not self.paused_on(day)

"""What the schedules context asks of the placements context."""

from __future__ import annotations

from typing import Protocol

from services.schedules.domain import CentreFacts, StudentPlacements


class PlacementDirectory(Protocol):
    """Students, their placements, centres and schools as the placements context records them now."""

    def student(self, student_id: str) -> StudentPlacements:
        """NotFound when there is no such student."""
        ...

    def centre(self, centre_id: str) -> CentreFacts:
        """NotFound when there is no such centre."""
        ...

    def rule_set_of(self, school_id: str) -> str:
        """The name of the rule set the school follows; NotFound when there is no such school."""
        ...

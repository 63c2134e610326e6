"""What the credentials context asks of the others: students (placements) and training figures (training).

The adapters that answer these live in adapters.py; the composition root wires them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.credentials.domain import CompetencyFigures


@dataclass(frozen=True)
class StudentFacts:
    """A student as awards, accounts and order classes need them."""

    student_id: str
    school_id: str
    major: str


class PlacementDirectory(Protocol):
    """Students as the placements context records them now."""

    def student(self, student_id: str) -> StudentFacts:
        """NotFound when there is no such student."""
        ...


class TrainingFigures(Protocol):
    """A student's signed hours and best passed assessment per competency, as recorded now or at a moment."""

    def figures(self, student_id: str, known_at: datetime | None = None) -> dict[str, CompetencyFigures]: ...

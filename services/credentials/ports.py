"""What the credentials context asks of the others: students (placements) and training figures (training)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.credentials.domain import CompetencyFigures
from services.training.ports import PlacementDirectory, StudentFacts

__all__ = ["PlacementDirectory", "StudentFacts", "TrainingFigures"]


class TrainingFigures(Protocol):
    """A student's signed hours and best passed assessment per competency, as recorded now or at a moment."""

    def figures(self, student_id: str, known_at: datetime | None = None) -> dict[str, CompetencyFigures]: ...

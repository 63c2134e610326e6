"""What answers the credentials context's ports (ports.py): the placements and training contexts' stores (training
figures as recorded now, or at a moment)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.common.practice_ledger import shares
from services.credentials.domain import CompetencyFigures
from services.credentials.ports import StudentFacts
from services.placements.application import PlacementsApplication
from services.training.application import TrainingApplication
from services.training.domain import TrainingRecord, training_record_id
from services.training.domain.record import SIGNED


class PlacementDirectoryFromPlacements:
    """The PlacementDirectory port: students, from the placements event store."""

    def __init__(self, placements: PlacementsApplication) -> None:
        self._placements = placements

    def student(self, student_id: str) -> StudentFacts:
        student = self._placements.find_student(student_id)
        return StudentFacts(str(student.id), student.school_id, student.major)


class TrainingFiguresFromTraining:
    """The TrainingFigures port: signed hours per competency (an entry's time shared evenly over its competencies,
    as everywhere) and the best combined assessment that passed, from a student's training record."""

    def __init__(self, training: TrainingApplication) -> None:
        self._training = training

    def figures(self, student_id: str, known_at: datetime | None = None) -> dict[str, CompetencyFigures]:
        record = self._record(student_id, known_at)
        if record is None:
            return {}
        seconds: dict[str, int] = {}
        for entry in record.entries.values():
            if entry.status == SIGNED:
                practice = entry.current
                for code, share in shares(practice.minutes, list(practice.competencies)):
                    seconds[code] = seconds.get(code, 0) + share
        best: dict[str, float] = {}
        for (_, code), combined in record.combined.items():
            if combined.passed:
                best[code] = max(best.get(code, combined.result), combined.result)
        return {code: CompetencyFigures(seconds.get(code, 0) / 3600, best.get(code))
                for code in set(seconds) | set(best)}

    def _record(self, student_id: str, known_at: datetime | None) -> TrainingRecord | None:
        record_id = training_record_id(student_id)
        try:
            if known_at is None:
                return self._training.repository.get(record_id)
            version = None
            for event in self._training.repository.event_store.get(record_id):
                if cast(Aggregate.Event, event).timestamp > known_at:  # a training record's events are timestamped
                    break
                version = event.originator_version
            if version is None:
                return None
            return self._training.repository.get(record_id, version=version)
        except AggregateNotFoundError:
            return None

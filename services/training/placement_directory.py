"""The PlacementDirectory port, read straight from the placements context's event store.

Reading the aggregates (not a read model) makes every training decision see placements exactly as
they are recorded at that moment, with no lag to reason about.
"""

from __future__ import annotations

from uuid import UUID

from services.common.errors import NotFound
from services.placements.application import PlacementsApplication
from services.placements.domain import School, Student, TrainingCentre
from services.training.domain import PlacementFacts
from services.training.ports import StudentFacts


class PlacementsStoreDirectory:
    """Students, their placements and their centres' mentors, from the placements event store."""

    def __init__(self, placements: PlacementsApplication) -> None:
        self._placements = placements

    def student(self, student_id: str) -> StudentFacts:
        try:
            key = UUID(student_id)
        except ValueError:
            raise NotFound(f"no student with id {student_id}", id=student_id) from None
        student_id = str(key)  # one spelling, so one training record per student
        student: Student = self._placements.load(Student, key)
        school: School = self._placements.load(School, UUID(student.school_id))
        mentors: dict[str, frozenset[str]] = {}
        for p in student.placements.values():
            if p.centre_id not in mentors:
                centre: TrainingCentre = self._placements.load(TrainingCentre, UUID(p.centre_id))
                mentors[p.centre_id] = frozenset(centre.mentors)
        facts = tuple(
            PlacementFacts(
                placement_id=p.id, student_id=student_id, school_id=student.school_id, major=student.major,
                rule_set=school.rule_set, centre_id=p.centre_id, enterprise_id=p.enterprise_id, status=p.status,
                start=p.terms.start, planned_end=p.terms.planned_end, activated_on=p.activated_on,
                ended_on=p.ended_on, pauses=tuple(p.pauses), centre_mentors=mentors[p.centre_id],
            )
            for p in student.placements.values()
        )
        return StudentFacts(student_id, student.school_id, student.major, school.rule_set, facts)

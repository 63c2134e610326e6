"""What answers the schedules context's ports (ports.py): the placements context's store, read straight from its
events, so a plan is checked against placements exactly as they are recorded at that moment."""

from __future__ import annotations

from uuid import UUID

from services.common.errors import NotFound
from services.placements.application import PlacementsApplication
from services.placements.domain import School, Student, TrainingCentre
from services.schedules.domain import CentreFacts, PlacementPeriod, StudentPlacements


def _key(kind: str, value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"no {kind} with id {value}", id=str(value)) from None


class PlacementDirectoryFromPlacements:
    """The PlacementDirectory port: students' placement periods, centres and schools' rule sets."""

    def __init__(self, placements: PlacementsApplication) -> None:
        self._placements = placements

    def student(self, student_id: str) -> StudentPlacements:
        student: Student = self._placements.load(Student, _key("student", student_id))
        periods = tuple(
            PlacementPeriod(p.id, p.centre_id, p.status, p.terms.start, p.ended_on or p.terms.planned_end)
            for p in student.placements.values()
        )
        return StudentPlacements(str(student.id), student.school_id, periods)

    def centre(self, centre_id: str) -> CentreFacts:
        centre: TrainingCentre = self._placements.load(TrainingCentre, _key("training centre", centre_id))
        return CentreFacts(str(centre.id), centre.name, centre.enterprise_id, centre.capacity,
                           frozenset(centre.mentors))

    def rule_set_of(self, school_id: str) -> str:
        school: School = self._placements.load(School, _key("school", school_id))
        return school.rule_set

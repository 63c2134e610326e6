"""What answers the training context's ports (ports.py): the placements and schedules contexts' stores.

Reading the aggregates (not a read model) makes every training decision see placements and published plans
exactly as they are recorded at that moment, with no lag to reason about.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.placements.application import PlacementsApplication
from services.placements.domain import School, TrainingCentre
from services.schedules.application import SchedulesApplication
from services.training.domain import PlacementFacts
from services.training.ports import StudentFacts


class PlacementDirectoryFromPlacements:
    """The PlacementDirectory port: students, their placements and their centres' mentors, from the placements
    event store."""

    def __init__(self, placements: PlacementsApplication) -> None:
        self._placements = placements

    def student(self, student_id: str) -> StudentFacts:
        student = self._placements.find_student(student_id)
        student_id = str(student.id)  # one spelling, so one training record per student
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


class SchoolCalendarFromSchedules:
    """The SchoolCalendar port: school days as the published rotation plans of the schedules context put them."""

    def __init__(self, schedules: SchedulesApplication) -> None:
        self._schedules = schedules

    def is_school_day(self, student_id: str, day: date) -> bool:
        return self._schedules.is_school_day(student_id, day)

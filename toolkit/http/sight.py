"""Least data per role, for the routes and pages of every context: which students' names a caller sees, and whether
an enterprise still has the student of a placement (`services.common.scope.sight_of_student` decides; this looks the
student and their school's rule set up through the placements application, once per student per request).

    sight = StudentSight(actor)
    sight.name(student_id)                     # the name, or None: not the caller's to see
    sight.keeps(entry, "placement_id")         # False once the entry's placement left the host's window
    sight.kept(student_id, entries)            # the entries the caller still sees (their enterprise's, in window)
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.common.errors import NotFound
from services.common.identity import ENTERPRISE_SIDE, Actor
from services.common.rules import RuleSet, rule_set_in_force
from services.common.scope import Sight, sight_of_student, within_edit_window
from toolkit.http.context import deployment


class StudentSight:
    """What one caller sees of students, decided per student and kept for the request."""

    def __init__(self, actor: Actor, today: date | None = None) -> None:
        self.actor = actor
        self.today = today or deployment().today()
        self._students: dict[str, Any] = {}
        self._rules: dict[str, RuleSet] = {}

    def student(self, student_id: str) -> Any:
        """The student as the placements context records them (None: no such student). Not for showing: what to
        show is `of`'s to decide."""
        if student_id not in self._students:
            try:
                self._students[student_id] = deployment().app("placements").find_student(student_id)
            except (NotFound, ValueError):
                self._students[student_id] = None
        return self._students[student_id]

    def rules(self, student: Any) -> RuleSet:
        """The rule set the student's school follows, the version in force today."""
        school_id = str(student.school_id)
        if school_id not in self._rules:
            name = deployment().app("placements").get_school(UUID(school_id)).rule_set
            self._rules[school_id] = rule_set_in_force(name, self.today)
        return self._rules[school_id]

    def of(self, student_id: str) -> Sight:
        """How much of the student the caller sees (NONE for a student that does not exist)."""
        student = self.student(student_id)
        if student is None:
            return Sight.NONE
        return sight_of_student(self.actor, school_id=student.school_id, student_id=str(student.id),
                                placements=student.placements.values(), rules=self.rules(student), today=self.today)

    def name(self, student_id: str) -> str | None:
        """The student's name if the caller may see it, else None."""
        if self.of(student_id) not in (Sight.WHOLE, Sight.NAMED):
            return None
        return str(self.student(student_id).name)

    def keeps(self, item: dict[str, Any], placement_key: str = "placement_id") -> bool:
        """Whether an enterprise's mentor or enterprise admin still sees an item (an entry, an assessment) of a
        placement: the placement has not ended, or ended within its edit window. Anyone else: True (their scope is
        decided elsewhere)."""
        if self.actor.role not in ENTERPRISE_SIDE:
            return True
        student = self.student(str(item.get("student_id", "")))
        placement = student.placements.get(str(item.get(placement_key, ""))) if student is not None else None
        if placement is None or placement.enterprise_id != self.actor.enterprise_id:
            return False
        return placement.ended_on is None or within_edit_window(placement.ended_on, self.rules(student), self.today)

    def kept(self, student_id: str, items: list[dict[str, Any]], placement_key: str = "placement_id",
             ) -> list[dict[str, Any]]:
        """The items of one student (entries, assessments...) the caller sees: for an enterprise's people, those of
        its own placements that have not ended or ended within their edit window; for anyone else, all."""
        if self.actor.role not in ENTERPRISE_SIDE:
            return items
        return [i for i in items if self.keeps({"student_id": student_id, placement_key: i.get(placement_key)},
                                               placement_key)]

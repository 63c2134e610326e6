"""Least data per role, for the routes and pages of every context: which students' names a caller sees, and whether
an enterprise still has the student of a placement (`services.common.scope.sight_of_student` decides; this looks the
student and their school's rule set up through the placements application, once per student per request).

    sight = StudentSight(actor)
    sight.name(student_id)                     # the name, or None: not the caller's to see
    sight.keeps(entry, "placement_id")         # False once the entry's placement left the host's window
    sight.kept(student_id, entries)            # the entries the caller still sees (their enterprise's, in window)

A refusal must not tell a caller which ids exist: `unseen_object(actor, path values)` is the one refusal (403) for a
student, centre or audited aggregate named in the path that the caller may not see, whether it exists or not (the
error mapping, toolkit/http/errors.py, answers it instead of the route's own 404 or 403). Admins and auditors see
every student and centre: they are told "not found" for an unknown id.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.common.errors import NotAllowed, NotFound
from services.common.identity import ENTERPRISE_SIDE, Actor, Role
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


NAMED_OBJECTS = frozenset({"student_id", "centre_id", "aggregate_id"})
"""The path parameters whose objects a refusal must not tell exist."""
SEES_EVERY_OBJECT = (Role.ADMIN, Role.AUDITOR)
"""Who is told "not found" for an unknown id: they may see every student, centre and aggregate."""


def unseen_object(actor: Actor, path: dict[str, Any]) -> NotAllowed | None:
    """The one refusal for a student (`student_id`), training centre (`centre_id`) or audited aggregate
    (`aggregate_id`) named in the request's path that the caller may not see; None when they may see it (a refusal
    about it, or a part of it, is then the route's own). The same answer, but for the id, for an id that names
    nothing: a caller learns nothing of another tenant's ids."""
    if actor.role in SEES_EVERY_OBJECT:
        return None
    if "student_id" in path:
        student_id = str(path["student_id"])
        return _unseen("student", student_id) if StudentSight(actor).of(student_id) is Sight.NONE else None
    if "centre_id" in path:
        centre_id = str(path["centre_id"])
        return None if _of_centre_enterprise(actor, centre_id) else _unseen("training centre", centre_id)
    if "aggregate_id" in path:  # a coordinator reads their own school's aggregates' histories; others are refused
        return _unseen("aggregate", str(path["aggregate_id"]))
    return None


def _unseen(what: str, object_id: str) -> NotAllowed:
    key = "centre_id" if what == "training centre" else f"{what}_id"
    return NotAllowed(f"you may not see {what} {object_id}, or there is no such {what}", **{key: object_id})


def _of_centre_enterprise(actor: Actor, centre_id: str) -> bool:
    if actor.role not in ENTERPRISE_SIDE or actor.enterprise_id is None:
        return False
    try:
        centre = deployment().app("placements").get_centre(UUID(centre_id))
    except (NotFound, ValueError):
        return False
    return str(centre.enterprise_id) == actor.enterprise_id

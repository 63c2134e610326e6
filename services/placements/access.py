"""Who may do what in the placements context, decided per object (school, enterprise, student)."""

from __future__ import annotations

from datetime import date

from services.common.errors import NotAllowed, RuleViolated
from services.common.identity import (
    Actor,
    Role,
    is_enterprise_manager,
    is_enterprise_staff,
    is_school_staff,
    speaks_for_student,
)
from services.common.rules import RuleSet
from services.common.scope import Sight, sight_of_student
from services.placements.domain import Student


def _refuse(actor: Actor, what: str, **details: str) -> NotAllowed:
    return NotAllowed(f"{actor.role.value} {actor.subject} may not {what}", role=actor.role.value, **details)


def require_admin(actor: Actor, what: str) -> None:
    if actor.role is not Role.ADMIN:
        raise _refuse(actor, what)


def require_may_register_enterprise(actor: Actor) -> None:
    require_admin(actor, "register enterprises (admins only)")


def require_may_manage_enterprise(actor: Actor, enterprise_id: str) -> None:
    """Admins, and the enterprise's own enterprise admins, run its centres, name its mentors and approve the
    placements it hosts (its mentors do not: they mentor)."""
    if not is_enterprise_manager(actor, enterprise_id):
        raise _refuse(actor, f"manage enterprise {enterprise_id} (its enterprise admins do)",
                      enterprise_id=enterprise_id)


def refuse_self_grant(actor: Actor, mentor_id: str) -> None:
    """Naming a mentor gives them a student's records: nobody names themself."""
    if mentor_id.strip() == actor.subject:
        raise RuleViolated("no-self-grant", "nobody names themself mentor: another enterprise admin must",
                           mentor_id=mentor_id)


def require_school_staff(actor: Actor, school_id: str, what: str) -> None:
    """Admins and the school's own coordinators."""
    if not is_school_staff(actor, school_id):
        raise _refuse(actor, what, school_id=school_id)


def require_student_or_guardian(actor: Actor, student_id: str, what: str) -> None:
    if not speaks_for_student(actor, student_id):
        raise _refuse(actor, what, student_id=student_id)


def require_school_or_enterprise_staff(actor: Actor, school_id: str, enterprise_id: str, what: str) -> None:
    if not (is_school_staff(actor, school_id) or is_enterprise_staff(actor, enterprise_id)):
        raise _refuse(actor, what, school_id=school_id, enterprise_id=enterprise_id)


def may_read_student(actor: Actor, school_id: str, student_id: str, enterprise_ids: set[str]) -> bool:
    """Auditors and admins read all; a coordinator or teacher their school's students; a mentor those placed at their
    enterprise; a student themselves. Which fields each of them sees is `sight_of_enrolment`."""
    if actor.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if actor.role in (Role.COORDINATOR, Role.TEACHER):
        return actor.school_id == school_id
    if actor.role in (Role.MENTOR, Role.ENTERPRISE_ADMIN):
        return actor.enterprise_id in enterprise_ids
    return speaks_for_student(actor, student_id)


def require_may_read_student(actor: Actor, school_id: str, student_id: str, enterprise_ids: set[str]) -> None:
    if not may_read_student(actor, school_id, student_id, enterprise_ids):
        raise _refuse(actor, f"read student {student_id}", student_id=student_id)


def sight_of_enrolment(actor: Actor, student: Student, rules: RuleSet, today: date) -> Sight:
    """How much of the student's enrolment the actor sees (`services.common.scope.Sight`): everything for their
    school's staff, admins, the student and their guardians; no birth date or guardian for auditors and for the host
    enterprise from its approval until the edit window after the placement's end; no name either for an enterprise
    only asked to host. Anyone else, and a host whose window has passed, is refused (403, as for an enterprise that
    never hosted the student)."""
    sight = sight_of_student(actor, school_id=student.school_id, student_id=str(student.id),
                             placements=student.placements.values(), rules=rules, today=today)
    if sight is Sight.NONE:
        raise _refuse(actor, f"read student {student.id} (an enterprise sees a student from its approval of a "
                      "placement until the edit window after its end)", student_id=str(student.id))
    return sight

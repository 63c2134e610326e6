"""Who may do what in the training context: decided per student and placement, in a named capacity.

Mentors act for students currently placed at a centre they are assigned to (a placement that ended
stays theirs for the rule set's edit window, so the last days can still be logged and signed);
teachers and coordinators for their school's students; a student for themselves; auditors read only.
"""

from __future__ import annotations

from datetime import date

from services.common.errors import NotAllowed
from services.common.identity import Actor, Role, speaks_for_student
from services.common.rules import RuleSet, rule_set_in_force
from services.common.scope import within_edit_window
from services.training.domain import Capacity, PlacementFacts
from services.training.ports import StudentFacts

SCHOOL_ROLES = (Role.TEACHER, Role.COORDINATOR)


def _refuse(actor: Actor, what: str, **details: str) -> NotAllowed:
    return NotAllowed(f"{actor.role.value} {actor.subject} may not {what}", role=actor.role.value, **details)


def mentors_placement(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date) -> bool:
    """The actor is a mentor of the centre and the student is placed there now (or left within the window)."""
    if actor.role is not Role.MENTOR or actor.enterprise_id != placement.enterprise_id:
        return False
    if actor.subject not in placement.centre_mentors:
        return False
    if placement.hosts_now:
        return True
    return placement.ended_on is not None and within_edit_window(placement.ended_on, rules, today)


def mentors_student(actor: Actor, student: StudentFacts, today: date) -> bool:
    """The actor mentors one of the student's placements now (see mentors_placement)."""
    return any(mentors_placement(actor, p, rule_set_in_force(p.rule_set, today), today) for p in student.placements)


def require_may_act_for(actor: Actor, student: StudentFacts) -> None:
    """Before anything about the student is looked at: the caller has some business with them (their school's
    staff, a mentor of an enterprise placing them, the student, an admin). Finer checks follow per command."""
    if actor.role is Role.ADMIN or speaks_for_student(actor, student.student_id):
        return
    if of_school(actor, student.school_id):
        return
    if actor.role is Role.MENTOR and actor.enterprise_id in student.enterprise_ids:
        return
    raise _refuse(actor, f"act on the training record of student {student.student_id}",
                  student_id=student.student_id)


def require_may_read_training(actor: Actor, student: StudentFacts, today: date) -> None:
    """Admins and auditors; the student and their guardians; their school's teachers and coordinators; a mentor while
    they mentor the student (placed now at a centre they are assigned to, or ended within the edit window)."""
    if actor.role in (Role.ADMIN, Role.AUDITOR) or speaks_for_student(actor, student.student_id):
        return
    if of_school(actor, student.school_id) or mentors_student(actor, student, today):
        return
    raise _refuse(actor, f"read the training record of student {student.student_id}", student_id=student.student_id)


def of_school(actor: Actor, school_id: str, roles: tuple[Role, ...] = SCHOOL_ROLES) -> bool:
    return actor.role in roles and actor.school_id == school_id


def capacity_to_log(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date) -> Capacity:
    """Mentors of the placement, the student themselves (as drafts), the school's coordinators and admins."""
    if mentors_placement(actor, placement, rules, today):
        return Capacity.MENTOR
    if actor.role is Role.STUDENT and actor.student_id == placement.student_id:
        return Capacity.STUDENT
    if actor.role is Role.ADMIN or of_school(actor, placement.school_id, (Role.COORDINATOR,)):
        return Capacity.COORDINATOR
    raise _refuse(actor, f"log practice for placement {placement.placement_id}", placement_id=placement.placement_id)


def capacity_to_correct(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date) -> Capacity:
    """As for logging, and the school's teachers too."""
    if of_school(actor, placement.school_id, (Role.TEACHER,)):
        return Capacity.TEACHER
    return capacity_to_log(actor, placement, rules, today)


def require_mentor(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date, what: str) -> None:
    """Only a mentor of the placement's centre signs: a signature is personal."""
    if not mentors_placement(actor, placement, rules, today):
        raise _refuse(actor, f"{what} (a mentor of centre {placement.centre_id} does, while the student is placed "
                      "there)", placement_id=placement.placement_id)


def capacity_at_school(actor: Actor, school_id: str, what: str) -> Capacity:
    """A teacher or coordinator of the student's school (their signature or judgement, not an admin's)."""
    if of_school(actor, school_id):
        return Capacity.TEACHER if actor.role is Role.TEACHER else Capacity.COORDINATOR
    raise _refuse(actor, what, school_id=school_id)


def capacity_to_reject(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date) -> Capacity:
    if mentors_placement(actor, placement, rules, today):
        return Capacity.MENTOR
    return capacity_at_school(actor, placement.school_id, "reject practice entries of this student")


def assessor_of(actor: Actor, placement: PlacementFacts, rules: RuleSet, today: date) -> str:
    """`enterprise` for a mentor of the placement, `school` for a teacher or coordinator of the school."""
    if mentors_placement(actor, placement, rules, today):
        return "enterprise"
    capacity_at_school(actor, placement.school_id, "assess this student (a mentor of the centre or a teacher of "
                       "the school does)")
    return "school"


def require_coordinator(actor: Actor, school_id: str, what: str) -> None:
    if not (actor.role is Role.ADMIN or of_school(actor, school_id, (Role.COORDINATOR,))):
        raise _refuse(actor, what, school_id=school_id)


def require_catalogue_owner(actor: Actor, major: str) -> None:
    """Every school of a major trains by its one catalogue, so it belongs to the deployment's administrators (rule
    `catalogue-owner`): they change it directly; a school's coordinator files a change request."""
    if actor.role is not Role.ADMIN:
        raise _refuse(actor, f"change the {major} competency catalogue directly (catalogue-owner: it belongs to the "
                      "deployment's administrators; a coordinator files a change request)", rule="catalogue-owner")


def require_may_request_catalogue_change(actor: Actor) -> None:
    """Coordinators (of any school training the major) and admins file change requests."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise _refuse(actor, "request changes of competency catalogues (coordinators and admins)")


def require_may_read_catalogue_requests(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.AUDITOR, Role.COORDINATOR):
        raise _refuse(actor, "read the change requests of competency catalogues (coordinators, admins, auditors)")

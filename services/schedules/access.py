"""Who may do what with rotation plans.

Coordinators of the cohort's school (and admins) draft, publish and revise; the school's teachers, admins
and auditors read its plans and their conflicts; a mentor reads a published plan that places students at a
centre of their enterprise they mentor at.
Calendars (students' own, centres' for their mentors) are served by the calendars read model.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.common.errors import NotAllowed
from services.common.identity import Actor, Role


def _refuse(actor: Actor, what: str, **details: str) -> NotAllowed:
    return NotAllowed(f"{actor.role.value} {actor.subject} may not {what}", role=actor.role.value, **details)


def require_planner(actor: Actor, school_id: str) -> None:
    """Draft, check, publish and revise: a coordinator of the school, or an admin."""
    if actor.role is Role.ADMIN or (actor.role is Role.COORDINATOR and actor.school_id == school_id):
        return
    raise _refuse(actor, f"plan the rotations of school {school_id}", school_id=school_id)


def may_read_plans_of(actor: Actor, school_id: str) -> bool:
    return actor.role in (Role.ADMIN, Role.AUDITOR) or (
        actor.role in (Role.COORDINATOR, Role.TEACHER) and actor.school_id == school_id)


def require_may_read_plan(actor: Actor, school_id: str, mentored_centres: Iterable[str] = ()) -> None:
    """The school's staff, admins, auditors; a mentor of a centre the plan places students at."""
    if may_read_plans_of(actor, school_id) or (actor.role is Role.MENTOR and any(True for _ in mentored_centres)):
        return
    raise _refuse(actor, f"read the rotation plans of school {school_id}", school_id=school_id)

"""Who reads the audit's answers (histories, timelines, as-of views).

Auditors and admins read all of it. A coordinator reads what belongs to their school: the timeline and as-of
progress of its students, and the history of aggregates that carry their school (a student, their training
record and credit account, the school's rotation plans). Everyone else is refused, before anything is looked up.
"""

from __future__ import annotations

from typing import Any

from services.common.errors import NotAllowed
from services.common.identity import Actor, Role

AUDITORS = (Role.ADMIN, Role.AUDITOR)


def _refuse(actor: Actor, what: str, **details: str) -> NotAllowed:
    return NotAllowed(f"{actor.role.value} {actor.subject} may not {what}", role=actor.role.value, **details)


def require_may_audit(actor: Actor, what: str) -> None:
    """Auditors and admins; coordinators pass too, to be checked against the object once it is known."""
    if actor.role not in (*AUDITORS, Role.COORDINATOR):
        raise _refuse(actor, what)


def require_auditor(actor: Actor, what: str) -> None:
    """Only auditors and admins (records that are no school's: centres, enterprises, catalogues...)."""
    if actor.role not in AUDITORS:
        raise _refuse(actor, what)


def require_may_audit_student(actor: Actor, student_id: str, school_id: str, what: str) -> None:
    """Auditors and admins; the coordinators of the student's school."""
    if actor.role in AUDITORS:
        return
    if actor.role is Role.COORDINATOR and actor.school_id is not None and actor.school_id == school_id:
        return
    raise _refuse(actor, f"read the {what} of student {student_id}", student_id=student_id)


def require_may_read_history(actor: Actor, aggregate: Any, context: str, aggregate_id: str) -> None:
    """Auditors and admins; a coordinator for an aggregate of their school (one whose state names the school)."""
    if actor.role in AUDITORS:
        return
    school = getattr(aggregate, "school_id", None)
    if actor.role is Role.COORDINATOR and actor.school_id is not None and isinstance(school, str) \
            and school == actor.school_id:
        return
    raise _refuse(actor, f"read the history of {context} aggregate {aggregate_id}", context=context,
                  aggregate_id=aggregate_id)

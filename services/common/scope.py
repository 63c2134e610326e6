"""What a caller may see in a read model, from their role and scope."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.identity import STUDENT_SIDE, Actor, Role


@dataclass(frozen=True)
class Scope:
    """What the caller may see: None everywhere means everything (admins, auditors)."""

    school_id: str | None = None
    enterprise_id: str | None = None
    student_id: str | None = None
    mentor_id: str | None = None
    """For a mentor, who they are: some read models narrow to the centres they mentor."""

    @classmethod
    def of(cls, actor: Actor) -> Scope:
        """A coordinator or teacher sees their school's; a mentor their enterprise's, narrowed to the centres they
        mentor; an enterprise admin their enterprise's; a student and their guardians the student's own; admins and
        auditors everything. A role not named here sees nothing."""
        if actor.role in (Role.COORDINATOR, Role.TEACHER):
            return cls(school_id=actor.school_id or "-")
        if actor.role is Role.MENTOR:
            return cls(enterprise_id=actor.enterprise_id or "-", mentor_id=actor.subject)
        if actor.role is Role.ENTERPRISE_ADMIN:
            return cls(enterprise_id=actor.enterprise_id or "-")
        if actor.role in STUDENT_SIDE:
            return cls(student_id=actor.student_id or "-")
        if actor.role in (Role.ADMIN, Role.AUDITOR):
            return cls()
        return cls(school_id="-", enterprise_id="-", student_id="-", mentor_id="-")

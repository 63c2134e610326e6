"""Who is asking: the actor behind a command or query, and the request it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import uuid4

from events.base import EventMeta


class Role(StrEnum):
    """Who a person acts as; a token carries exactly one role."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TEACHER = "teacher"
    """A teacher of a school: countersigns and corrects practice entries, assesses for the school."""
    MENTOR = "mentor"
    """An enterprise's mentor: logs and signs off the practice of the students placed with them."""
    ENTERPRISE_ADMIN = "enterprise-admin"
    """Runs an enterprise's side: its centres, their mentors, the placements it hosts (not a mentor by itself)."""
    AUDITOR = "auditor"
    STUDENT = "student"
    GUARDIAN = "guardian"
    """The guardian of a (minor) student: confirms their placements, follows their progress."""


STUDENT_SIDE = (Role.STUDENT, Role.GUARDIAN)
"""Who speaks for a student: the student and their guardians read the same records of theirs."""
ENTERPRISE_SIDE = (Role.MENTOR, Role.ENTERPRISE_ADMIN)
"""An enterprise's people: its mentors and its enterprise admins."""

SCOPE_OF_ROLE: dict[Role, str] = {
    Role.COORDINATOR: "school", Role.TEACHER: "school", Role.MENTOR: "enterprise", Role.ENTERPRISE_ADMIN: "enterprise",
    Role.STUDENT: "student", Role.GUARDIAN: "student",
}
"""The one scope each role is bound to (admins and auditors have none): a school, an enterprise or a student."""


@dataclass(frozen=True)
class Actor:
    """An authenticated person: subject, role and the one scope the role is bound to."""

    subject: str
    role: Role
    school_id: str | None = None
    enterprise_id: str | None = None
    student_id: str | None = None

    @property
    def may_write(self) -> bool:
        return self.role is not Role.AUDITOR


def is_enterprise_staff(actor: Actor, enterprise_id: str) -> bool:
    """Admins, and the enterprise's mentors and enterprise admins."""
    return actor.role is Role.ADMIN or (
        actor.role in (Role.MENTOR, Role.ENTERPRISE_ADMIN) and actor.enterprise_id == enterprise_id)


def is_enterprise_manager(actor: Actor, enterprise_id: str) -> bool:
    """Admins, and the enterprise's own enterprise admins: who runs its centres and names its mentors."""
    return actor.role is Role.ADMIN or (actor.role is Role.ENTERPRISE_ADMIN and actor.enterprise_id == enterprise_id)


def speaks_for_student(actor: Actor, student_id: str) -> bool:
    """The student themself, or a guardian of theirs."""
    return actor.role in (Role.STUDENT, Role.GUARDIAN) and actor.student_id == student_id


def is_school_staff(actor: Actor, school_id: str) -> bool:
    """Admins, and coordinators scoped to the school."""
    return actor.role is Role.ADMIN or (actor.role is Role.COORDINATOR and actor.school_id == school_id)


@dataclass(frozen=True)
class CommandContext:
    """The actor and request behind one command; becomes the metadata of every event it records."""

    actor: Actor
    correlation_id: str
    client_correlation_id: str | None = None
    """The client's own X-Correlation-ID, kept beside the server's."""

    @classmethod
    def for_system(cls, subject: str = "system") -> CommandContext:
        return cls(Actor(subject=subject, role=Role.ADMIN), correlation_id=str(uuid4()))

    def meta(self, reason: str | None = None, business_date: date | None = None) -> EventMeta:
        return EventMeta(
            subject=self.actor.subject,
            role=self.actor.role.value,
            correlation_id=self.correlation_id,
            reason=reason,
            business_date=business_date,
            client_correlation_id=self.client_correlation_id,
        )

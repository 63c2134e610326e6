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
    AUDITOR = "auditor"
    STUDENT = "student"


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
    """Admins, and mentors scoped to the enterprise."""
    return actor.role is Role.ADMIN or (actor.role is Role.MENTOR and actor.enterprise_id == enterprise_id)


def is_school_staff(actor: Actor, school_id: str) -> bool:
    """Admins, and coordinators scoped to the school."""
    return actor.role is Role.ADMIN or (actor.role is Role.COORDINATOR and actor.school_id == school_id)


@dataclass(frozen=True)
class CommandContext:
    """The actor and request behind one command; becomes the metadata of every event it records."""

    actor: Actor
    correlation_id: str

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
        )

"""Who is asking: the actor behind a command or query, and the request it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import uuid4

from events.base import EventMeta


class Role(StrEnum):
    """The roles of DESIGN.md; a token carries exactly one."""

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


@dataclass(frozen=True)
class CommandContext:
    """The actor and request behind one command; becomes the metadata of every event it records."""

    actor: Actor
    correlation_id: str

    @classmethod
    def for_system(cls, subject: str = "system") -> "CommandContext":
        return cls(Actor(subject=subject, role=Role.ADMIN), correlation_id=str(uuid4()))

    def meta(self, reason: str | None = None, business_date: date | None = None) -> EventMeta:
        return EventMeta(
            subject=self.actor.subject,
            role=self.actor.role.value,
            correlation_id=self.correlation_id,
            reason=reason,
            business_date=business_date,
        )

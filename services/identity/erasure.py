"""What of the identity context's events is personal, and the erasure of the accounts that speak for a student.

Sealed with the person's key (services/common/sealing.py): the name, email address and phone number a person was
added with, each login they claimed, the reason of every event of their account, and their snapshots. The address
and client of a sign-in (and of a refused one) are sealed with the key of their calendar month ("sign-ins:2026-12"),
so that keeping them for a bounded time is destroying that month's key (dualtrack/privacy.py applies the policy).

Erasing a student erases the accounts that speak only for them (their own, and a guardian's who is the guardian of
no other student and holds no other role): every role withdrawn, every session ended, `PersonErased` recorded;
the keys are destroyed by the deployment (dualtrack/privacy.py).
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.identity import (
    LoginClaimed,
    PersonAdded,
    PersonErased,
    RetentionLogOpened,
    SignedIn,
    SignInDataExpired,
    SignInFailed,
)
from services.common.application import CommandResult
from services.common.identity import CommandContext, Role
from services.common.logs import OpenedLog
from services.common.sealing import ERASED, Personal, PersonalData, events_applied_by, subject_from
from services.identity.domain.person import Person

SIGN_INS = "sign-ins:"
"""The prefix of the monthly keys that seal sign-in addresses and clients."""


def sign_in_month(event: Any) -> str:
    return f"{SIGN_INS}{event.timestamp:%Y-%m}"


PERSONAL_DATA = PersonalData(
    fields={
        PersonAdded: Personal({"name": ERASED, "email": None, "phone": None}),
        LoginClaimed: Personal({"login": ERASED}, subject=subject_from("person_id")),
        SignedIn: Personal({"client": ERASED, "address": ERASED}, subject=sign_in_month),
        SignInFailed: Personal({"address": ERASED}, subject=sign_in_month),
    },
    reasons=events_applied_by(Person, PersonAdded) - {PersonErased},
    snapshots=frozenset({Person}),
)


RETENTION_LOG_ID = uuid5(NAMESPACE_URL, "dualtrack:identity:retention-log")


class RetentionLog(Aggregate):
    """What the retention policy erased, month by month (an append-only log: services/common/logs.py)."""

    def __init__(self, *, meta: EventMeta) -> None:
        pass

    @singledispatchmethod
    def when(self, event: Any) -> None:
        pass


class IdentityErasure:
    """The identity application's erasure command, and what of its events is personal."""

    personal_data = PERSONAL_DATA

    def erase_accounts_of_student(self: Any, ctx: CommandContext, student_id: str, *, reason: str) -> list[str]:
        """Erase every account that speaks only for the student; the ids of the people erased (also those erased
        before, so a repeated erasure finds the same keys to destroy)."""
        erased = []
        for summary in self.people("", 1, 1_000_000).people:
            person: Person = self.get_person(summary.person_id)
            for_student = [g for g in person.grants.values() if g.student_id == student_id]
            others = [g for g in person.grants.values() if g.student_id != student_id]
            if person.erased_for == student_id:
                erased.append(summary.person_id)
            elif for_student and not others and all(g.role in (Role.STUDENT, Role.GUARDIAN) for g in for_student):
                person.erase(ctx.meta(reason), for_student=student_id)
                self.record(person)
                erased.append(summary.person_id)
        return erased

    def expire_sign_in_data(self: Any, ctx: CommandContext, month: str, kept_months: int) -> CommandResult | None:
        """Record that a month's sign-in addresses and clients are erased by the retention policy (before its key
        is destroyed); None when it was recorded before."""
        log = OpenedLog(self.events, RETENTION_LOG_ID, aggregate=RetentionLog, opened=RetentionLogOpened,
                        logged=SignInDataExpired)
        if any(e.month == month for e in log.page(1, log.count())):
            return None
        meta = ctx.meta()
        return self.record(*log.append({"meta": meta}, month=month, kept_months=kept_months, meta=meta))

    def sign_in_months_expired(self: Any) -> list[str]:
        log = OpenedLog(self.events, RETENTION_LOG_ID, aggregate=RetentionLog, opened=RetentionLogOpened,
                        logged=SignInDataExpired)
        return [e.month for e in log.page(1, log.count())]

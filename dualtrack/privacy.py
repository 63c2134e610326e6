"""A deployment's privacy operations across its contexts: erasing a student, applying the retention policy.

Erasure (`erase_student`; `POST /api/v1/students/{id}/erasure` and `dualtrack privacy erase`), in this order, each
step safe to repeat, so an erasure cut short is finished by asking again:
1. the placements context records `StudentErased` on the student's record (admins only, with a reason);
2. the identity context erases the accounts that speak only for the student (`PersonErased`);
3. the keys of the student, of their training record and of those accounts are destroyed;
4. their snapshots (sealed whole, unreadable now) are deleted from every store, and answers kept for idempotent
   retries that name the student are dropped;
5. the mail about them in the outbox (codes mailed to their guardian, invitations of the accounts erased) is
   forgotten: not sent yet, it is not sent; sent, its recipient reads "(erased)" (dualtrack/privacy_mail.py).
Their events stay, so the history replays and the hash chains verify; every sealed value now reads as erased. The
`StudentErased` event reaches the read models through Kafka, and each marks the student erased.

Retention (`apply_retention`; `dualtrack privacy retain`): the addresses and clients of sign-ins are sealed with a key
per calendar month; the keys of months older than the policy's are destroyed, and the identity context records
`SignInDataExpired` for each month it expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dualtrack.privacy_mail import forget_mail_of_student
from services.common.errors import InvalidInput
from services.common.identity import CommandContext
from services.identity.erasure import SIGN_INS
from services.training.domain.record import training_record_id

if TYPE_CHECKING:
    from dualtrack.bootstrap import Container


@dataclass(frozen=True)
class Erasure:
    """What an erasure did."""

    student_id: str
    recorded: bool
    """False: the student was erased before; this call only made sure every step was done."""
    accounts: tuple[str, ...]
    keys_destroyed: int
    snapshots_deleted: int
    position: int | None


def erase_student(container: Container, ctx: CommandContext, student_id: UUID, *, reason: str) -> Erasure:
    """Erase the student's personal data (see the module's docstring); NotAllowed unless an admin, NotFound for
    an unknown student."""
    if not reason.strip():
        raise InvalidInput("an erasure says why (on whose request)", field="reason")
    result, recorded = container.placements.erase_student(ctx, student_id, reason=reason)
    accounts = container.identity.erase_accounts_of_student(ctx, str(student_id), reason=reason)
    record = str(training_record_id(str(student_id)))
    destroyed = container.subject_keys.destroy([str(student_id), record, *accounts])
    deleted = sum(_delete_snapshots(app, ids) for app, ids in (
        (container.placements, [str(student_id)]), (container.training, [record]), (container.identity, accounts)))
    container.idempotency_keys().forget_answers_naming(str(student_id))
    forget_mail_of_student(container, str(student_id), accounts)
    return Erasure(str(student_id), recorded, tuple(accounts), destroyed, deleted, result.position)


def _delete_snapshots(app: Any, originator_ids: list[str]) -> int:
    """Delete the snapshots of these aggregates from the application's snapshot store; how many went."""
    store = getattr(app, "snapshots", None)
    if store is None or not originator_ids:
        return 0
    recorder = store.recorder
    if not hasattr(recorder, "events_table_name"):  # the in-memory store: its index forgets them
        index = recorder._stored_events_index
        return sum(len(index.pop(originator, {})) for originator in originator_ids)
    table = recorder.events_table_name
    postgres = type(recorder).__module__.startswith("eventsourcing.postgres")
    mark = "%s" if postgres else "?"
    deleted = 0
    with recorder.datastore.transaction(commit=True) as cursor:
        for originator in originator_ids:
            cursor.execute(f"DELETE FROM {table} WHERE originator_id = {mark}",
                           (UUID(originator) if postgres else originator,))
            raw = getattr(cursor, "sqlite_cursor", cursor)  # eventsourcing wraps the SQLite cursor
            deleted += max(raw.rowcount or 0, 0)
    return deleted


# -- retention ---------------------------------------------------------------------------------------------------
SIGN_IN_MONTHS = 6
"""Sign-in addresses and clients are kept for this many whole months after the month they were recorded in."""


@dataclass(frozen=True)
class Retention:
    months_expired: tuple[str, ...]


def apply_retention(container: Container, ctx: CommandContext, *, today: date,
                    sign_in_months: int = SIGN_IN_MONTHS) -> Retention:
    """Erase the sign-in addresses and clients of the months older than the policy keeps: each month is recorded
    (identity's retention log), then its key destroyed; months done before are left as they are."""
    if sign_in_months < 1:
        raise ValueError("sign-in data is kept for at least one month")
    oldest_kept = _months_before(today, sign_in_months)
    done = set(container.identity.sign_in_months_expired())
    months = sorted(subject.removeprefix(SIGN_INS) for subject in container.subject_keys.subjects(SIGN_INS))
    expired = [m for m in months if m < oldest_kept and m not in done]
    for month in expired:
        container.identity.expire_sign_in_data(ctx, month, sign_in_months)
        container.subject_keys.destroy([SIGN_INS + month])
    return Retention(tuple(expired))


def _months_before(today: date, months: int) -> str:
    """The first month kept ("YYYY-MM"): `months` whole months before today's."""
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"

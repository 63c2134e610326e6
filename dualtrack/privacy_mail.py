"""The mail outbox's part of a student's erasure: the messages about them keep nothing personal.

The outbox (toolkit/mail/outbox.py) keeps a message's recipient after sending it, and its text until then: a code
mailed to a minor's guardian names the guardian, the student, and goes to the guardian's contact; an invitation
names the invited person and goes to their address. Once the student is erased, the codes mailed for any of their
placements and the invitations of the accounts erased with them are forgotten (`MailOutbox.forget`): not sent yet,
they are not sent; sent, their recipient reads "(erased)". Safe to repeat: the messages are found by their keys,
which are derived from ids, never from a personal value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.identity.domain.guardian_code import guardian_code_id

if TYPE_CHECKING:
    from dualtrack.bootstrap import Container


def mail_keys_of_student(container: Container, student_id: str, accounts: Iterable[str]) -> list[str]:
    """The key prefixes of the messages about the student: guardian codes of their placements, invitations of
    the accounts (people's ids) erased with them."""
    student: Any = container.placements.repository.get(UUID(student_id))
    keys = [f"guardian-code:{guardian_code_id(student_id, placement)}:" for placement in student.placements]
    people = set(accounts)
    if people:
        identity = container.identity
        for notification in identity.notifications(1, 1_000_000):
            if notification.topic.endswith(":InvitationIssued"):
                event = identity.mapper.to_domain_event(notification)
                if getattr(event, "person_id", None) in people:
                    keys.append(f"invitation:{notification.originator_id}")
    return keys


def forget_mail_of_student(container: Container, student_id: str, accounts: Iterable[str] = ()) -> int:
    """Forget the messages about the student (see the module's docstring); how many."""
    return int(container.mail_outbox().forget(mail_keys_of_student(container, student_id, accounts)))

"""A minor's guardian confirms their placements: with a guardian's account, or with a code mailed to the guardian
contact enrolled for the student."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.common.errors import RuleViolated

if TYPE_CHECKING:
    from services.placements.domain.student import Student


@dataclass(frozen=True)
class GuardianToAsk:
    """The enrolled guardian of a student, to be mailed a code for one placement."""

    student_id: str
    placement_id: str
    email: str
    guardian_name: str
    student_name: str


def guardian_to_ask(student: Student, placement_id: str) -> GuardianToAsk:
    """The enrolled guardian, when the placement waits for a confirmation and their contact is an email address (a
    code can be mailed there)."""
    placement = student.placement(placement_id)
    if placement.status != "proposed" or placement.confirmed_by:
        raise RuleViolated("not-awaiting-confirmation", f"placement {placement_id} waits for no confirmation",
                           placement_id=placement_id, status=placement.status)
    contact = (student.guardian_contact or "").strip()
    if not student.guardian_name or "@" not in contact:
        raise RuleViolated("guardian-contact-not-mailable", "the guardian contact enrolled is not an email address: "
                           "invite the guardian to an account through the school instead", student_id=str(student.id))
    return GuardianToAsk(str(student.id), placement_id, contact, student.guardian_name, student.name)

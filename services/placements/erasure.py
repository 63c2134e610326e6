"""What of the placements context's events is personal, and the erasure of a student's record.

Sealed with the student's key (services/common/sealing.py): the name, date of birth and guardian given at
enrolment, the guardian named when confirming a placement, the free text of a stopped placement, and the reason of
every event of the student's record (e.g. why a placement was paused). A mentor's name is sealed with the mentor's
own key. A student's snapshots are sealed whole.

`erase_student` records `StudentErased` on the student's record; destroying the keys (the student's, their training
record's, their accounts') and deleting their snapshots is the deployment's part (dualtrack/privacy.py).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from events.placements import (
    MentorAssigned,
    PlacementConfirmedByStudent,
    PlacementStopped,
    StudentEnrolled,
    StudentErased,
)
from services.common.application import CommandResult
from services.common.identity import CommandContext
from services.common.sealing import ERASED, Personal, PersonalData, events_applied_by, subject_from
from services.placements.access import require_admin
from services.placements.domain import Student

PERSONAL_DATA = PersonalData(
    fields={
        StudentEnrolled: Personal({"name": ERASED, "date_of_birth": None, "guardian_name": ERASED,
                                   "guardian_contact": ERASED}),
        PlacementConfirmedByStudent: Personal({"guardian_name": ERASED}),
        PlacementStopped: Personal({"reason_text": ERASED}),
        MentorAssigned: Personal({"name": ERASED}, subject=subject_from("mentor_id")),
    },
    reasons=events_applied_by(Student, StudentEnrolled) - {StudentErased},
    snapshots=frozenset({Student}),
)


class Erasure:
    """The placements application's erasure command, and what of its events is personal."""

    personal_data = PERSONAL_DATA

    def erase_student(self: Any, ctx: CommandContext, student_id: UUID, *, reason: str) -> tuple[CommandResult, bool]:
        """Record that the student's personal data is erased (admins only, with a reason); the result, and whether
        this call recorded it (False: it was erased before, and nothing new is recorded)."""
        require_admin(ctx.actor, "erase a student's personal data")
        student: Student = self.load(Student, student_id)
        before = student.version
        student.erase(ctx.meta(reason))
        if student.version == before:
            return CommandResult(id=student.id, version=student.version, position=None), False
        return self.record(student), True

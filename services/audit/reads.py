"""The audit context's application: reads of students' personal data, recorded as events and listed back.

A read is recorded by the route that answered it, once access was granted (toolkit/http/read_recording.py);
the list is read straight from the event store, so it needs no read model and is never behind.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any
from uuid import UUID

from events.audit import PersonalDataRead, ReadLogOpened
from services.audit.read_log import ReadLog, read_log_id
from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import InvalidInput, NotAllowed, VersionConflict
from services.common.identity import STUDENT_SIDE, Actor, CommandContext, Role
from services.common.logs import OpenedLog

RECORDED_ROLES = frozenset({Role.AUDITOR, Role.COORDINATOR})
"""Whose reads of a student's personal data are recorded."""
ATTEMPTS = 30
"""Concurrent reads of one student append to one log: within a process they take turns (a lock per student); a
read that loses the race to another process is appended again, after a short random wait (appending reads only
the log's last event, so a retry is two short statements)."""


def is_recorded(actor: Actor) -> bool:
    return actor.role in RECORDED_ROLES


def require_may_list_reads(actor: Actor, student_id: str) -> None:
    """Admins, auditors and the student themself see who read the student's data."""
    if actor.role in (Role.ADMIN, Role.AUDITOR):
        return
    if actor.role in STUDENT_SIDE and _same_student(actor.student_id, student_id):
        return
    raise NotAllowed(f"{actor.role.value} {actor.subject} may not read who read student {student_id}'s data",
                     role=actor.role.value, student_id=student_id)


class AuditApplication(DualtrackApplication):
    """Recorded reads of personal data, one read log per student."""

    context = "audit"

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._turns = tuple(threading.Lock() for _ in range(64))

    def record_read(self, ctx: CommandContext, student_id: UUID | str, *, what: str,
                    path: str) -> CommandResult | None:
        """Record that the context's actor read the student's personal data (what, through which path), if the
        actor's reads are recorded (auditors', coordinators'); None when they are not."""
        if not is_recorded(ctx.actor):
            return None
        if not what.strip():
            raise InvalidInput("a read names what was read", field="what")
        key = _canonical(student_id)
        log = self._read_log(key)
        meta = ctx.meta()
        with self._turns[hash(key) % len(self._turns)]:
            for attempt in range(ATTEMPTS):
                try:
                    return self.record(*log.append({"student_id": key, "meta": meta}, student_id=key, what=what,
                                                   path=path, meta=meta))
                except VersionConflict:
                    if attempt == ATTEMPTS - 1:
                        raise
                    time.sleep(random.uniform(0, min(0.02, 0.001 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def count_reads(self, student_id: UUID | str) -> int:
        return self._read_log(_canonical(student_id)).count()

    def reads_of(self, ctx: CommandContext, student_id: UUID | str, *, page: int = 1,
                 page_size: int = 100) -> tuple[int, list[dict[str, Any]]]:
        """The student's recorded reads, oldest first, one page of them, and how many there are in all
        (admins, auditors and the student themself)."""
        key = _canonical(student_id)
        require_may_list_reads(ctx.actor, key)
        log = self._read_log(key)
        return log.count(), [_read(e) for e in log.page((page - 1) * page_size + 1, page_size)]

    def _read_log(self, student_id: str) -> OpenedLog[PersonalDataRead]:
        return OpenedLog(self.events, read_log_id(student_id), aggregate=ReadLog, opened=ReadLogOpened,
                         logged=PersonalDataRead)


def _canonical(student_id: UUID | str) -> str:
    """One spelling per student id, so one read log per student."""
    return str(student_id if isinstance(student_id, UUID) else UUID(str(student_id)))


def _same_student(token_student: str | None, student_id: str) -> bool:
    try:
        return token_student is not None and _canonical(token_student) == student_id
    except ValueError:
        return False


def _read(e: PersonalDataRead) -> dict[str, Any]:
    return {"number": e.originator_version - 1, "read_at": e.timestamp, "read_by": e.meta.subject,
            "role": e.meta.role, "correlation_id": e.meta.correlation_id, "what": e.what, "path": e.path}

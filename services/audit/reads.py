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

from eventsourcing.application import AggregateNotFoundError

from events.audit import PersonalDataRead
from services.audit.read_log import ReadLog, read_log_id
from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import NotAllowed, VersionConflict
from services.common.identity import Actor, CommandContext, Role

RECORDED_ROLES = frozenset({Role.AUDITOR, Role.COORDINATOR})
"""Whose reads of a student's personal data are recorded."""
ATTEMPTS = 30
"""Concurrent reads of one student append to one stream: within a process they take turns (a lock per student);
a read that loses the race to another process is appended again, after a short random wait."""


def is_recorded(actor: Actor) -> bool:
    return actor.role in RECORDED_ROLES


def require_may_list_reads(actor: Actor, student_id: str) -> None:
    """Admins, auditors and the student themself see who read the student's data."""
    if actor.role in (Role.ADMIN, Role.AUDITOR):
        return
    if actor.role is Role.STUDENT and _same_student(actor.student_id, student_id):
        return
    raise NotAllowed(f"{actor.role.value} {actor.subject} may not read who read student {student_id}'s data",
                     role=actor.role.value, student_id=student_id)


class AuditApplication(DualtrackApplication):
    """Recorded reads of personal data, one read log per student."""

    context = "audit"
    snapshotting_intervals = {ReadLog: 100}
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000", "AGGREGATE_CACHE_FASTFORWARD": "y"}
    """A read log in the cache is brought up to date with only the events since: appending a read is two short
    statements, which keeps the window for a race with another process small."""

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._turns = tuple(threading.Lock() for _ in range(64))

    def record_read(self, ctx: CommandContext, student_id: UUID | str, *, what: str,
                    path: str) -> CommandResult | None:
        """Record that the context's actor read the student's personal data (what, through which path), if the
        actor's reads are recorded (auditors', coordinators'); None when they are not."""
        if not is_recorded(ctx.actor):
            return None
        key = _canonical(student_id)
        with self._turns[hash(key) % len(self._turns)]:
            for attempt in range(ATTEMPTS):
                log = self._log_or_none(key) or ReadLog.open(student_id=key, meta=ctx.meta())
                log.record_read(what=what, path=path, meta=ctx.meta())
                try:
                    return self.record(log)
                except VersionConflict:
                    if attempt == ATTEMPTS - 1:
                        raise
                    time.sleep(random.uniform(0, min(0.02, 0.001 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def count_reads(self, student_id: UUID | str) -> int:
        log = self._log_or_none(_canonical(student_id))
        return log.reads if log else 0

    def reads_of(self, ctx: CommandContext, student_id: UUID | str, *, page: int = 1,
                 page_size: int = 100) -> tuple[int, list[dict[str, Any]]]:
        """The student's recorded reads, oldest first, one page of them, and how many there are in all
        (admins, auditors and the student themself)."""
        key = _canonical(student_id)
        require_may_list_reads(ctx.actor, key)
        log = self._log_or_none(key)
        if log is None:
            return 0, []
        first = (page - 1) * page_size + 1  # the log's version 1 opened it; read n is version n + 1
        events = self.events.get(log.id, gt=first, lte=first + page_size)
        return log.reads, [_read(e) for e in events if isinstance(e, PersonalDataRead)]

    def _log_or_none(self, student_id: str) -> ReadLog | None:
        try:
            return self.repository.get(read_log_id(student_id))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None


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

"""The audit context's application: reads of students' personal data, recorded as events and listed back.

A read is recorded by the route that answered it, once access was granted (toolkit/http/read_recording.py), for
every reader but the student and their guardian. Repeated reads of the same thing by the same reader within a
window (`ReadWindows`, 15 minutes by default: DUALTRACK_READ_WINDOW_SECONDS) are one recorded read with a count:
the first is an event at once, the others count in a durable table, and one more event records the count when
the window is over (services/audit/read_windows.py says when, and why no read is lost). The list is read straight
from the event store (and the windows not yet recorded), so it needs no read model and is never behind.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from events.audit import PersonalDataRead, PersonalDataReadRepeated, ReadLogOpened
from events.base import EventMeta
from services.audit.read_log import ReadLog, read_log_id
from services.audit.read_windows import ReadWindows, Window
from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import InvalidInput, NotAllowed, VersionConflict
from services.common.identity import STUDENT_SIDE, Actor, CommandContext, Role
from services.common.logs import OpenedLog

E = TypeVar("E", PersonalDataRead, PersonalDataReadRepeated)
log = logging.getLogger(__name__)

ATTEMPTS = 30
"""Concurrent reads of one student append to one log: within a process they take turns (a lock per student); a
read that loses the race to another process is appended again, after a short random wait (appending reads only
the log's last event, so a retry is two short statements)."""


def is_recorded(actor: Actor, student_id: str) -> bool:
    """Every read of a student's personal data is recorded but the student's own and their guardian's."""
    return not (actor.role in STUDENT_SIDE and _same_student(actor.student_id, student_id))


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
        self._windows: ReadWindows | None = None

    def connect(self, *, read_windows: ReadWindows | None) -> None:
        """The durable counter of repeated reads; without it (None) every read is a record of its own."""
        self._windows = read_windows

    @property
    def read_windows(self) -> ReadWindows | None:
        return self._windows

    def record_read(self, ctx: CommandContext, student_id: UUID | str, *, what: str,
                    path: str) -> CommandResult | None:
        """Record that the context's actor read the student's personal data (what, through which path); None when
        the read is not recorded (the student's side) or was counted in the reader's open window on it."""
        key = _canonical(student_id)
        if not is_recorded(ctx.actor, key):
            return None
        if not what.strip():
            raise InvalidInput("a read names what was read", field="what")
        windows, reader = self._windows, ctx.actor.subject
        if windows is None:
            return self._append(key, ctx.meta(), PersonalDataRead, what=what, path=path)
        if windows.repeat(key, reader, what, ctx.correlation_id):
            return None
        self._close_all(windows.over(key))  # a new window on the student: the ones over are recorded first
        opened_at = windows.clock()
        result = self._append(key, ctx.meta(), PersonalDataRead, what=what, path=path)
        windows.open(Window(key, result.version, reader, what, ctx.actor.role.value, path, opened_at, opened_at, 1,
                            ctx.correlation_id))
        return result

    def close_windows_over(self, student_id: UUID | str | None = None) -> int:
        """Record the counts of the windows of reads that are over (the student's, or every student's: a periodic
        tick may call this); how many windows this closed."""
        windows = self._windows
        if windows is None:
            return 0
        return self._close_all(windows.over(_canonical(student_id) if student_id is not None else None))

    def _close_all(self, over: list[Window]) -> int:
        return sum(self._close(w) for w in over)

    def _close(self, w: Window) -> bool:
        """A window is over: claimed, its count becomes an event (when it held more than its opening read), its row
        goes. False when another process is closing it."""
        windows = self._windows
        assert windows is not None
        claimed = windows.claim(w)
        if claimed is None:
            return False
        if claimed.reads > 1 and not (w.closing_at is not None and self._count_recorded(claimed)):
            meta = EventMeta(subject=claimed.reader, role=claimed.role, correlation_id=claimed.correlation_id)
            self._append(claimed.student_id, meta, PersonalDataReadRepeated, what=claimed.what,
                         read=claimed.read_version, times=claimed.reads,
                         last_read_at=datetime.fromtimestamp(claimed.last_at, UTC).isoformat())
        windows.closed(claimed)
        return True

    def _count_recorded(self, w: Window) -> bool:
        """Whether a closer that died after storing the window's count got that far (taking over its claim)."""
        return any(isinstance(e, PersonalDataReadRepeated) and e.read == w.read_version
                   for e in self.events.get(read_log_id(w.student_id), gt=w.read_version))

    def _append(self, key: str, meta: EventMeta, event: type[E], **fields: Any) -> CommandResult:
        read_log = self._read_log(key, event)
        with self._turns[hash(key) % len(self._turns)]:
            for attempt in range(ATTEMPTS):
                try:
                    return self.record(*read_log.append({"student_id": key, "meta": meta}, student_id=key,
                                                   meta=meta, **fields))
                except VersionConflict:
                    if attempt == ATTEMPTS - 1:
                        raise
                    time.sleep(random.uniform(0.001, 0.02))
        raise AssertionError("unreachable")

    def count_reads(self, student_id: UUID | str) -> int:
        """How many recorded reads the student's log lists (a window of repeated reads is one)."""
        return len(self.reads_of_all(_canonical(student_id)))

    def reads_of(self, ctx: CommandContext, student_id: UUID | str, *, page: int = 1,
                 page_size: int = 100) -> tuple[int, list[dict[str, Any]]]:
        """The student's recorded reads, oldest first, one page of them, and how many there are in all
        (admins, auditors and the student themself); each with how many reads it stands for (`times`) and when
        the last of them was. The student's windows that are over are recorded first, if the store takes it."""
        key = _canonical(student_id)
        require_may_list_reads(ctx.actor, key)
        try:
            self.close_windows_over(key)
        except Exception:  # the list is whole without it: it takes the counts still open from their windows
            log.exception("the windows of reads of student %s that are over could not be recorded now", key)
        reads = self.reads_of_all(key)
        first = (page - 1) * page_size
        return len(reads), reads[first:first + page_size] if page >= 1 and first < len(reads) else []

    def reads_of_all(self, key: str) -> list[dict[str, Any]]:
        """Every recorded read of the student, oldest first, with the counts of their windows folded in (recorded,
        or still counting)."""
        reads: list[dict[str, Any]] = []
        by_version: dict[int, dict[str, Any]] = {}
        for e in self.events.get(read_log_id(key)):
            if isinstance(e, PersonalDataRead):
                entry = _read(e, len(reads) + 1)
                reads.append(entry)
                by_version[e.originator_version] = entry
            elif isinstance(e, PersonalDataReadRepeated) and e.read in by_version:
                _count(by_version[e.read], e.times, datetime.fromisoformat(e.last_read_at))
        for w in self._windows.of(key) if self._windows is not None else ():
            opening = by_version.get(w.read_version)
            if opening is not None and opening["read_by"] == w.reader:
                _count(opening, w.reads, datetime.fromtimestamp(w.last_at, UTC))
        return reads

    def _read_log(self, student_id: str, logged: type[E]) -> OpenedLog[E]:
        return OpenedLog(self.events, read_log_id(student_id), aggregate=ReadLog, opened=ReadLogOpened,
                         logged=logged)


def _count(entry: dict[str, Any], times: int, last_read_at: datetime) -> None:
    """A window's count, recorded or still counting: the greatest seen stands."""
    if times >= entry["times"]:
        entry.update(times=times, last_read_at=max(last_read_at, entry["read_at"]))


def _canonical(student_id: UUID | str) -> str:
    """One spelling per student id, so one read log per student."""
    return str(student_id if isinstance(student_id, UUID) else UUID(str(student_id)))


def _same_student(token_student: str | None, student_id: str) -> bool:
    try:
        return token_student is not None and _canonical(token_student) == student_id
    except ValueError:
        return False


def _read(e: PersonalDataRead, number: int) -> dict[str, Any]:
    return {"number": number, "read_at": e.timestamp, "read_by": e.meta.subject, "role": e.meta.role,
            "correlation_id": e.meta.correlation_id, "what": e.what, "path": e.path, "times": 1,
            "last_read_at": e.timestamp}

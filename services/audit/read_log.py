"""A student's read log: every read of their personal data by anyone but the student's side, in recorded order;
repeated reads of one thing by one reader within a window are one recorded read, with a count (read_windows.py).

The log is one stream per student (its id derived from the student's), appended to as an append-only log
(services.common.logs.OpenedLog): no decision reads its state, so a read never replays the stream. `ReadLog` is
the fold of that stream, which histories use to show it like any aggregate (the stream's opening event names
this class).
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.audit import PersonalDataRead, PersonalDataReadRepeated
from events.base import EventMeta


def read_log_id(student_id: str) -> UUID:
    """The read log of a student: one per student, whoever opens it first."""
    return uuid5(NAMESPACE_URL, f"dualtrack:read-log:{student_id}")


class ReadLog(Aggregate):
    """Who read a student's personal data, what, and when (the events' timestamps)."""

    def __init__(self, *, student_id: str, meta: EventMeta) -> None:
        self.student_id = student_id
        self.reads = 0
        """Recorded reads (a window of repeated reads is one)."""
        self.repeats = 0
        """Reads counted in windows beyond their opening read."""

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the log."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: PersonalDataRead) -> None:
        self.reads += 1

    @when.register
    def _(self, e: PersonalDataReadRepeated) -> None:
        self.repeats += e.times - 1

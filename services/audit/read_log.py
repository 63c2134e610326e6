"""A student's read log: every read of their personal data by an auditor or a coordinator, in recorded order.

The log is one aggregate per student (its id derived from the student's), so a student's reads are one ordered
stream; its state is only a count, and snapshots keep loading it cheap however long the stream grows.
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.audit import PersonalDataRead, ReadLogOpened
from events.base import EventMeta
from services.common.errors import InvalidInput


def read_log_id(student_id: str) -> UUID:
    """The read log of a student: one per student, whoever opens it first."""
    return uuid5(NAMESPACE_URL, f"dualtrack:read-log:{student_id}")


class ReadLog(Aggregate):
    """Who read a student's personal data, what, and when (the events' timestamps)."""

    def __init__(self, *, student_id: str, meta: EventMeta) -> None:
        self.student_id = student_id
        self.reads = 0

    @classmethod
    def open(cls, *, student_id: str, meta: EventMeta) -> "ReadLog":
        return cls._create(ReadLogOpened, id=read_log_id(student_id), student_id=student_id, meta=meta)

    def record_read(self, *, what: str, path: str, meta: EventMeta) -> None:
        """One read: by whom is the metadata, when the event's timestamp."""
        if not what.strip():
            raise InvalidInput("a read names what was read", field="what")
        self.trigger_event(PersonalDataRead, student_id=self.student_id, what=what, path=path, meta=meta)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the log."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: PersonalDataRead) -> None:
        self.reads += 1

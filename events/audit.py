"""Events of the audit context: reads of a student's personal data, each recorded as a fact of its own.

Who read is the event's metadata (subject, role, correlation id), when is the event's timestamp; the event
names the student, what was read and through which path.
"""

from __future__ import annotations

from events.base import DomainCreated, DomainEvent


class ReadLogOpened(DomainCreated):
    """The log of reads of a student's personal data was opened, with the first read (subject: the log)."""

    student_id: str


class PersonalDataRead(DomainEvent):
    """An auditor or a coordinator read a student's personal data: what, and through which path."""

    student_id: str
    what: str
    """What was read, e.g. progress, logbook, credit-account."""
    path: str
    """The request path that answered it, e.g. /api/v1/students/<id>/progress."""


class PersonalDataReadRepeated(DomainEvent):
    """The reader of an earlier recorded read (the `PersonalDataRead` at version `read` of this log) read the same
    thing again within its window (services.audit.read_windows): `times` reads in all, the opening one included,
    the last at `last_read_at` (ISO 8601, UTC). Recorded once the window is over; its metadata is the reader's,
    with the correlation id of their last read."""

    student_id: str
    what: str
    read: int
    times: int
    last_read_at: str

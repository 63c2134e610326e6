"""Append-only logs: streams that only grow and whose state no decision reads (who read a student's data; the
sequence every plan publication passes through).

An `OpenedLog` is eventsourcing's `EventSourcedLog` whose first event is the created event of an aggregate
(so the stream reads like any other in histories and exports): appending reads only the log's last event, never
the whole stream. Two writers that append at the same time both ask for the same next version; the store takes
one and refuses the other, which the caller sees as a VersionConflict and may retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore
from eventsourcing.utils import get_topic

from events.base import DomainCreated, DomainEvent

E = TypeVar("E", bound=DomainEvent)


class OpenedLog(Generic[E]):
    """A log of `logged` events with the id `log_id`, opened by `opened` (a created event of `aggregate`)."""

    def __init__(self, events: EventStore[Any], log_id: UUID, *, aggregate: type[Aggregate],
                 opened: type[DomainCreated], logged: type[E]) -> None:
        self._log: EventSourcedLog[Any] = EventSourcedLog(events, log_id, logged)
        self.id = log_id
        self._aggregate, self._opened, self._logged = aggregate, opened, logged

    def append(self, opened_with: dict[str, Any], **fields: Any) -> list[DomainEvent | DomainCreated]:
        """The new events that append one `logged` event (preceded by the opening event on a new log); the
        caller saves them, with whatever else belongs to the same decision."""
        last = self._log.get_last()
        new: list[DomainEvent | DomainCreated] = []
        version = last.originator_version + 1 if last is not None else Aggregate.INITIAL_VERSION
        if last is None:
            new.append(self._log._trigger_event(self._opened, next_originator_version=version,
                                                originator_topic=get_topic(self._aggregate), **opened_with))
            version += 1
        new.append(self._log.trigger_event(next_originator_version=version, **fields))
        return new

    def count(self) -> int:
        """How many `logged` events the log holds."""
        last = self._log.get_last()
        return 0 if last is None else last.originator_version - Aggregate.INITIAL_VERSION

    def page(self, first: int, size: int) -> Iterator[E]:
        """The `logged` events numbered first .. first + size - 1 (the first logged event is number 1)."""
        offset = Aggregate.INITIAL_VERSION  # the opening event comes before the first logged one
        for event in self._log.get(gt=first + offset - 1, lte=first + offset + size - 1):
            if isinstance(event, self._logged):
                yield event

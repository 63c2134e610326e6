"""What every dualtrack event carries besides its own facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventsourcing.domain import Aggregate

ERASED = "(erased)"
"""What a personal value reads as once its data subject's key was destroyed (services/common/sealing.py)."""


@dataclass(frozen=True)
class EventMeta:
    """Who did it, in which request, and why: recorded with every event."""

    subject: str
    role: str
    correlation_id: str
    reason: str | None = None
    business_date: date | None = None
    """The day the fact is about, where that differs from the day it was recorded."""
    client_correlation_id: str | None = None
    """The X-Correlation-ID the client sent, if any, kept beside the server's own `correlation_id`."""


class DomainEvent(Aggregate.Event):
    """A fact that happened to an aggregate after its creation."""

    meta: EventMeta

    def apply(self, aggregate: Aggregate) -> None:
        aggregate.when(self)  # type: ignore[attr-defined]


class DomainCreated(Aggregate.Created):
    """The fact that brought an aggregate into being."""

    meta: EventMeta

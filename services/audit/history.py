"""The history of any aggregate, replayed from its context's event store: every event with who, when, why and
its own facts, and the aggregate's state before and after it.

Everything here reads the event stores, never a read model: the log is the record of truth. `EventLog` reads
each aggregate (and each scan of a log) at most once per request, so a timeline and an as-of view built in the
same request share what was read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.utils import get_topic

from services.common.application import DualtrackApplication
from services.common.errors import NotFound
from toolkit.cloudevents import CloudEventEncoder, ReceivedEvent, decode

_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "meta", "originator_topic"})
"""What every stored event carries besides its own facts: reported apart (version, recorded time, actor...)."""
_MAX_DEPTH = 40
_PAGE = 1000


# -- a generic picture of state -------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Any state as JSON values: dataclasses and objects as their public attributes (names without a leading
    underscore), sets sorted, dates and times as ISO text, tuples in dict keys joined with "/"."""
    return _plain(value, 0, set())


def _plain(value: Any, depth: int, seen: set[int]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, Enum):
        return _plain(value.value, depth, seen)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if depth >= _MAX_DEPTH or id(value) in seen:
        return repr(value)[:200]  # a cycle or an absurd depth: named, not followed
    seen = seen | {id(value)}
    if isinstance(value, Mapping):
        return {_key(k): _plain(v, depth + 1, seen) for k, v in value.items()}  # entries, not attributes: all kept
    if isinstance(value, (set, frozenset)):
        items = [_plain(v, depth + 1, seen) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1, seen) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), depth + 1, seen)
                for f in dataclasses.fields(value) if not _private(f.name)}
    attributes = _public_attributes(value)
    if attributes is not None:
        return {k: _plain(v, depth + 1, seen) for k, v in attributes.items()}
    return str(value)


def _private(name: Any) -> bool:
    return isinstance(name, str) and name.startswith("_")


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "/".join(_key(k) for k in key)
    if isinstance(key, Enum):
        return str(key.value)
    if isinstance(key, (date, time)):
        return key.isoformat()
    return str(key)


def _public_attributes(value: Any) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    if hasattr(value, "__dict__"):
        found.update({k: v for k, v in vars(value).items() if not _private(k)})
    for cls in type(value).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if not _private(name) and name not in found and hasattr(value, name):
                found[name] = getattr(value, name)
    return found if found or hasattr(value, "__dict__") else None


def event_data(event: Any) -> dict[str, Any]:
    """An event's own facts, without the envelope every event has."""
    if dataclasses.is_dataclass(event):
        names = [f.name for f in dataclasses.fields(event)]
    else:
        names = list(vars(event))
    return {n: plain(getattr(event, n)) for n in names if n not in _ENVELOPE and not _private(n)}


def short_type(topic: str) -> str:
    """`events.training:PracticeLogged` -> `PracticeLogged`."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


# -- reading the stores -------------------------------------------------------------------------------------
class EventLog:
    """The contexts' event stores as one request reads them: every aggregate and every scan read at most once."""

    def __init__(self, apps: Mapping[str, DualtrackApplication]) -> None:
        self._apps = dict(apps)
        self._stored: dict[tuple[str, UUID], list[StoredEvent]] = {}
        self._scans: dict[tuple[str, tuple[str, ...]], list[Notification]] = {}
        self._cloud: dict[tuple[str, UUID], list[ReceivedEvent]] = {}
        self._encoders: dict[str, CloudEventEncoder] = {}

    @property
    def contexts(self) -> tuple[str, ...]:
        return tuple(self._apps)

    def app(self, context: str) -> DualtrackApplication:
        """The context's application, or NotFound for a context that does not exist."""
        if context not in self._apps:
            raise NotFound(f"no context named {context!r}; known: {sorted(self._apps)}", context=context)
        return self._apps[context]

    def stored(self, context: str, aggregate_id: UUID) -> list[StoredEvent]:
        """The aggregate's stored events in version order (empty for an id the context never saw)."""
        key = (context, aggregate_id)
        if key not in self._stored:
            self._stored[key] = list(self.app(context).recorder.select_events(aggregate_id))
        return self._stored[key]

    def events(self, context: str, aggregate_id: UUID) -> list[Any]:
        """The aggregate's domain events, decoded afresh on every call: a replay may keep references to an
        event's values, and no replay may see what another one changed."""
        mapper = self.app(context).mapper
        return [mapper.to_domain_event(s) for s in self.stored(context, aggregate_id)]

    def cloud_events(self, context: str, aggregate_id: UUID) -> list[ReceivedEvent]:
        """The aggregate's events as a projection receives them (CloudEvents, as published)."""
        key = (context, aggregate_id)
        if key not in self._cloud:
            self._cloud[key] = [self.as_cloud_event(context, s) for s in self.stored(context, aggregate_id)]
        return self._cloud[key]

    def as_cloud_event(self, context: str, stored: StoredEvent) -> ReceivedEvent:
        """A stored event as the relay would publish it and a projector decode it."""
        encoder = self._encoders.get(context)
        if encoder is None:
            encoder = self._encoders[context] = CloudEventEncoder(self.app(context), context)
        if not isinstance(stored, Notification):  # read by aggregate: no log position, which no projection uses
            stored = Notification(originator_id=stored.originator_id, originator_version=stored.originator_version,
                                  topic=stored.topic, state=stored.state, id=0)
        record = encoder.encode(stored)
        return decode(record.headers, record.value, topic=context, offset=max(record.position - 1, 0))

    def scan(self, context: str, event_classes: Iterable[type]) -> list[Notification]:
        """Every notification of the given event classes in the context's log, in log order."""
        topics = tuple(sorted(get_topic(c) for c in event_classes))
        return self.scan_topics(context, topics)

    def scan_topics(self, context: str, topics: Sequence[str]) -> list[Notification]:
        """Every notification of the given stored topics in the context's log (filtered by the database)."""
        key = (context, tuple(sorted(topics)))
        if key not in self._scans:
            app, start = self.app(context), 1
            found: list[Notification] = []
            while True:
                page = app.recorder.select_notifications(start=start, limit=_PAGE, topics=key[1])
                found.extend(page)
                if len(page) < _PAGE:
                    break
                start = page[-1].id + 1
            self._scans[key] = found
        return self._scans[key]

    def originators(self, context: str, event_classes: Iterable[type], names: Callable[[Any], bool]) -> list[UUID]:
        """The aggregates of the context with an event of the given classes for which `names(event)` holds, in
        the order of their first such event."""
        mapper, found = self.app(context).mapper, {}
        for n in self.scan(context, event_classes):
            if n.originator_id not in found and names(mapper.to_domain_event(n)):
                found[n.originator_id] = True
        return [UUID(str(i)) for i in found]


# -- one aggregate's history --------------------------------------------------------------------------------
class AggregateHistory:
    """An aggregate's events, replayable event by event."""

    def __init__(self, log: EventLog, context: str, aggregate_id: UUID) -> None:
        self.log, self.context, self.aggregate_id = log, context, aggregate_id
        stored = log.stored(context, aggregate_id)
        if not stored:
            raise NotFound(f"the {context} context has no aggregate with id {aggregate_id}", context=context,
                           id=str(aggregate_id))
        self.version = stored[-1].originator_version
        first = log.app(context).mapper.to_domain_event(stored[0])
        self.aggregate_type = short_type(getattr(first, "originator_topic", "") or get_topic(type(first)))

    def latest(self) -> Any:
        """The aggregate as its events leave it now."""
        aggregate = None
        for event in self.log.events(self.context, self.aggregate_id):
            aggregate = event.mutate(aggregate)
        return aggregate

    def steps(self, from_version: int = 1, limit: int | None = None) -> list[dict[str, Any]]:
        """From `from_version`, at most `limit` events, each with the state before and after it. Earlier events
        are replayed but not pictured."""
        last = self.version if limit is None else from_version + limit - 1
        aggregate, before, steps = None, None, []
        for event in self.log.events(self.context, self.aggregate_id):
            version = event.originator_version
            if version > last:
                break
            pictured = version >= from_version
            data = event_data(event) if pictured else None  # before the replay can touch the event's values
            if pictured and before is None and aggregate is not None:
                before = plain(aggregate)
            aggregate = event.mutate(aggregate)
            if pictured:
                after = plain(aggregate)
                steps.append({**describe(event), "data": data, "state_before": before, "state_after": after})
                before = after
        return steps

    def page(self, from_version: int = 1, limit: int = 100) -> dict[str, Any]:
        """One page of the history, with where the next one starts."""
        steps = self.steps(from_version, limit)
        following = from_version + limit
        return {
            "context": self.context, "aggregate_id": str(self.aggregate_id), "aggregate_type": self.aggregate_type,
            "version": self.version, "from_version": from_version,
            "next_from_version": following if following <= self.version else None,
            "events": steps,
        }


def describe(event: Any) -> dict[str, Any]:
    """The envelope of an event: what, which version, when it was recorded, who, in which role, why, about
    which day and in which request."""
    meta = getattr(event, "meta", None)
    business_date = getattr(meta, "business_date", None)
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "topic": get_topic(type(event)),
        "recorded_at": event.timestamp.isoformat(),
        "actor": getattr(meta, "subject", None),
        "role": getattr(meta, "role", None),
        "reason": getattr(meta, "reason", None),
        "business_date": business_date.isoformat() if business_date else None,
        "correlation_id": getattr(meta, "correlation_id", None),
        "client_correlation_id": getattr(meta, "client_correlation_id", None),
    }

"""The base of every context's eventsourcing Application: metadata transcoding and command results."""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, project_aggregate
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
    Transcoder,
    Transcoding,
)

from events.base import EventMeta
from services.common.errors import EventTooLarge, InvalidInput, NotFound, VersionConflict
from services.common.freshness import Written, token_of
from services.common.input_limits import text_over_limit
from services.common.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES
from services.common.sealing import KeyHolder, PersonalData, SealedValue, SealingMapper, SubjectKeys
from services.common.subject_keys import MemoryKeys


class DateAsISO(Transcoding):
    """Stores a date as YYYY-MM-DD."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EventMetaAsDict(Transcoding):
    """Stores EventMeta as a plain JSON object."""

    type = EventMeta
    name = "event_meta"

    def encode(self, obj: EventMeta) -> dict[str, Any]:
        encoded = {
            "subject": obj.subject,
            "role": obj.role,
            "correlation_id": obj.correlation_id,
            "reason": obj.reason,
            "business_date": obj.business_date.isoformat() if obj.business_date else None,
        }
        if obj.client_correlation_id:  # only when a client sent one: older events have no such field
            encoded["client_correlation_id"] = obj.client_correlation_id
        return encoded

    def decode(self, data: dict[str, Any]) -> EventMeta:
        business_date = data.get("business_date")
        return EventMeta(
            subject=data["subject"],
            role=data["role"],
            correlation_id=data["correlation_id"],
            reason=data.get("reason"),
            business_date=date.fromisoformat(business_date) if business_date else None,
            client_correlation_id=data.get("client_correlation_id"),
        )


class SizeCappedTranscoder(Transcoder):
    """The events' transcoder: an event whose encoded state is over `limit` bytes is refused with EventTooLarge,
    naming its largest field, before anything of the command is stored. It measures the bytes it encodes anyway
    (before any compression or encryption, as the relay publishes them), so the check costs a comparison."""

    def __init__(self, inner: Transcoder, limit: int = MAX_EVENT_BYTES) -> None:
        self.inner = inner
        self.limit = limit

    def encode(self, obj: Any) -> bytes:
        data = self.inner.encode(obj)
        if len(data) > self.limit:
            field, field_size = self._largest_field(obj)
            raise EventTooLarge(
                f"this change would be stored as an event of {len(data):,} bytes, over the {self.limit:,} bytes one "
                f"event may take (each event is published as one Kafka record of at most {MAX_RECORD_BYTES:,} "
                f"bytes); its largest field is {field!r} ({field_size:,} bytes); nothing was stored",
                field=field, size=len(data), limit=self.limit,
            )
        return data

    def decode(self, data: bytes) -> Any:
        return self.inner.decode(data)

    def _largest_field(self, state: Any) -> tuple[str, int]:
        """Only on a refusal: which field (a meta field by its own name, like the request's) takes the most."""
        sizes: dict[str, int] = {}
        try:
            for key, value in dict(state).items():
                if dataclasses.is_dataclass(value) and not isinstance(value, type):
                    for part in dataclasses.fields(value):
                        name = part.name if key == "meta" else f"{key}.{part.name}"
                        sizes[name] = len(self.inner.encode({"": getattr(value, part.name)}))
                else:
                    sizes[str(key)] = len(self.inner.encode({"": value}))
        except Exception:  # naming the field is a courtesy: the refusal stands without it
            pass
        return max(sizes.items(), key=lambda item: item[1], default=("?", 0))


@dataclass(frozen=True)
class CommandResult:
    """What a command handler returns: the aggregate touched, its new version and the log position."""

    id: UUID
    version: int
    position: int | None
    """Notification id of the last event recorded in the context's log."""
    written: tuple[Written, ...] = ()
    """Every aggregate version the command recorded: a query given their token waits until it sees them."""

    @property
    def token(self) -> str:
        return token_of(self.written)


R = TypeVar("R")
KEPT_FOR_READING = 1000
"""Aggregates an application keeps for read_only(); beyond that, the one kept longest is given up."""
BLIND_WRITE_ATTEMPTS = 12
"""How often a command sent without an expected version is decided again after losing a race."""
BLIND_WRITE_MAX_PAUSE = 0.25
"""The longest pause, in seconds, before deciding again (the pauses grow from a few milliseconds)."""


def retried_when_blind(handler: Callable[..., R]) -> Callable[..., R]:
    """A command handler taking `expected_version`: sent without one, it is decided again on fresh aggregates
    when someone else wrote first (DualtrackApplication.retrying)."""

    @functools.wraps(handler)
    def decided_again(self: DualtrackApplication, *args: Any, **kwargs: Any) -> R:
        return self.retrying(kwargs.get("expected_version"), lambda: handler(self, *args, **kwargs))

    return decided_again
log = logging.getLogger(__name__)


class _Collected(ProcessingEvent[UUID]):
    """eventsourcing's ProcessingEvent, telling an aggregate from an event by its class: eventsourcing asks two
    runtime-checkable protocols, which cost Python 3.11 about 14 µs an aggregate, every command."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class DualtrackApplication(Application[UUID]):
    """One bounded context's event store, with dualtrack's metadata and error conventions."""

    context: ClassVar[str]
    today: Callable[[], date] = staticmethod(date.today)
    """The clock for rules about "today" (no future dates); tests set their own."""

    personal_data: ClassVar[PersonalData] = PersonalData()
    """Which fields of this context's events are personal: sealed with their data subject's key
    (services/common/sealing.py)."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EventMetaAsDict())
        transcoder.register(SealedValue(self._key_holder, transcoder))

    @functools.cached_property
    def _key_holder(self) -> KeyHolder:
        return KeyHolder(MemoryKeys())  # until the deployment hands over its own (use_subject_keys)

    def use_subject_keys(self, keys: SubjectKeys) -> None:
        """Seal and open personal values with the deployment's keys (before the first event is read or written)."""
        self._key_holder.keys = keys

    @property
    def subject_keys(self) -> SubjectKeys:
        return self._key_holder.keys

    def construct_mapper(self) -> Mapper[UUID]:
        """Events and snapshots alike go through the sealing mapper (personal values sealed per subject)."""
        base: Mapper[UUID] = self.factory.mapper(transcoder=self.construct_transcoder())
        return SealingMapper(base.transcoder, base.compressor, base.cipher, personal=self.personal_data)

    def construct_event_store(self) -> EventStore[UUID]:
        """The events are stored through SizeCappedTranscoder: an event too big to publish is never stored.
        Snapshots (never published) keep the application's own mapper."""
        mapper = SealingMapper(SizeCappedTranscoder(self.mapper.transcoder), self.mapper.compressor,
                               self.mapper.cipher, personal=self.personal_data)
        return self.factory.event_store(mapper=mapper, recorder=self.recorder)

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshot an aggregate whose new events crossed its interval from the aggregate just saved, as it is in
        memory, instead of loading it again from the store (eventsourcing's default reads its whole stream back:
        a batch import of long streams paid for every event twice). A snapshot only shortens loading: one that
        cannot be taken is logged, and the command that triggered it still succeeds."""
        if not (self.snapshots and self.snapshotting_intervals):
            return
        due: dict[Any, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval and event.originator_version % interval == 0:
                due[event.originator_id] = aggregate
        for aggregate_id, aggregate in due.items():
            try:
                snapshot_class: Any = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
                self.snapshots.put([snapshot_class.take(aggregate)])
            except Exception:
                log.exception("no snapshot of %s at version %s: loading it replays its events", aggregate_id,
                              aggregate.version)

    def record(self, aggregate: Aggregate | DomainEventProtocol[UUID],
               *others: Aggregate | DomainEventProtocol[UUID]) -> CommandResult:
        """Save the aggregates' new events (and events appended to logs); a concurrent writer turns into a
        VersionConflict, an event too big to publish into EventTooLarge (nothing stored: the event store's
        transcoder measures each event as it encodes it), a text over its limit into InvalidInput naming the field
        (nothing stored: `save`). The result names the first aggregate or log."""
        try:
            recordings = self.save(aggregate, *others)
        except IntegrityError as error:
            raise VersionConflict(
                f"{_kind(aggregate)} {_id_of(aggregate)} was changed by someone else; reload and retry",
                id=str(_id_of(aggregate)),
            ) from error
        position = max((r.notification.id for r in recordings), default=None)
        versions: dict[UUID, int] = {}
        for written_object in (aggregate, *others):
            key = _id_of(written_object)
            versions[key] = max(versions.get(key, 0), _version_of(written_object))
        written = tuple(Written(self.context, str(key), version) for key, version in versions.items())
        return CommandResult(id=_id_of(aggregate), version=versions[_id_of(aggregate)], position=position,
                             written=written)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Every save (record's and a batch's): a text of the new events over its limit (2,000 characters unless
        its field takes more, services/common/input_limits.py) is refused with InvalidInput naming the field before
        anything is stored, whoever called the command (a page's form, a CLI, a schema's bounds forgotten)."""
        over = text_over_limit(e for w in objs if w is not None
                               for e in (w.pending_events if isinstance(w, Aggregate) else (w,)))
        if over is not None:
            raise InvalidInput(f"{over[0]} is {over[1]:,} characters long, over the {over[2]:,} it may take; nothing "
                               "was stored", field=over[0], length=over[1], limit=over[2])
        # eventsourcing's Application.save, collecting with _Collected (see there)
        processing_event: ProcessingEvent[UUID] = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def load(self, kind: type[Aggregate], aggregate_id: UUID, expected_version: int | None = None) -> Any:
        """Fetch an aggregate of the given kind, or NotFound; check the caller's expected version."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {_label(kind)} with id {aggregate_id}", id=str(aggregate_id)) from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {_label(kind)} with id {aggregate_id}", id=str(aggregate_id))
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"{_label(kind)} {aggregate_id} is at version {aggregate.version}, not {expected_version}",
                id=str(aggregate_id),
                version=aggregate.version,
                expected_version=expected_version,
            )
        return aggregate

    def read_only(self, kind: type[Aggregate], aggregate_id: UUID) -> Any:
        """The aggregate as stored now, for reading only: never to be changed or saved (load() is for commands).
        A copy is kept between calls and brought up to date with the events recorded since (one query, not a
        snapshot's and its events'), so only for small aggregates holding nothing personal that many commands
        read, such as a school."""
        kept = self._kept.get(aggregate_id)
        if kept is None or not isinstance(kept, kind):
            aggregate = self.load(kind, aggregate_id)
        else:
            newer = list(self.repository.event_store.get(aggregate_id, gt=kept.version))
            if not newer:
                return kept
            # the kept one may be in another thread's hands: it is never changed, its copy is
            aggregate = project_aggregate(copy.deepcopy(kept), newer)
        with self._kept_lock:
            if len(self._kept) >= KEPT_FOR_READING:
                self._kept.pop(next(iter(self._kept)))
            self._kept[aggregate_id] = aggregate
        return aggregate

    @functools.cached_property
    def _kept(self) -> dict[UUID, Any]:
        return {}

    @functools.cached_property
    def _kept_lock(self) -> threading.Lock:
        return threading.Lock()

    @staticmethod
    def retrying(expected_version: int | None, command: Callable[[], R]) -> R:
        """A command sent without If-Match is decided again on fresh aggregates when someone else wrote first
        (a mentor signing while the student drafts), after a pause that grows and is drawn at random so writers
        that collided spread out; with If-Match the caller gets the 409 at once."""
        attempts = 1 if expected_version is not None else BLIND_WRITE_ATTEMPTS
        for attempt in range(attempts):
            try:
                return command()
            except VersionConflict:
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, min(BLIND_WRITE_MAX_PAUSE, 0.004 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def notifications(self, start: int, limit: int) -> Sequence[Any]:
        return self.recorder.select_notifications(start=start, limit=limit)


def _id_of(written: Aggregate | DomainEventProtocol[UUID]) -> UUID:
    return written.id if isinstance(written, Aggregate) else written.originator_id


def _version_of(written: Aggregate | DomainEventProtocol[UUID]) -> int:
    return written.version if isinstance(written, Aggregate) else written.originator_version


def _kind(written: Aggregate | DomainEventProtocol[UUID]) -> str:
    return type(written).__name__ if isinstance(written, Aggregate) else "log"


def _label(kind: type) -> str:
    name = kind.__name__
    return "".join(" " + c.lower() if c.isupper() else c for c in name).strip()

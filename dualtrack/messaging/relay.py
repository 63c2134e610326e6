"""The relay: one context's notification log -> its Kafka topic, at least once, in order per aggregate.

It reads from the position it recorded last, publishes a batch, waits until Kafka acknowledged every
record of it (acks=all, idempotent producer), and only then records the new position. A crash between
the acknowledgement and the record means the batch is sent again: consumers drop the duplicates by
`ce_id`. While the broker is away the relay backs off and retries; commands are not affected.

An event Kafka refuses for good (`PERMANENT_ERRORS`: too large, invalid; or one that cannot be encoded) is
*parked*: recorded beside the position (dualtrack/messaging/positions.py), logged as an ERROR naming the context,
position, aggregate and cause, and skipped, so the events of every other aggregate still go out. The later events
of the same aggregate are parked behind it (a consumer never sees version n+1 without n). Parked events show in
`dualtrack projections status` and make /readyz not ready; `dualtrack relay CONTEXT --retry-parked` publishes
them again once the cause is fixed (`Relay.retry_parked`).

A record refused asynchronously leaves kafka-python's idempotent producer refusing every record after it, so
which record was at fault is not known from the batch: the relay then starts a new producer and sends the
records that were not acknowledged one at a time, parking exactly those Kafka refuses on their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Notification
from kafka import KafkaProducer
from kafka import errors as kafka_errors
from kafka.errors import KafkaError

from dualtrack.messaging.positions import ParkedEvent, RelayPositions
from dualtrack.messaging.sources import RECONNECT_BACKOFF_MAX_MS
from dualtrack.messaging.store_watch import StoreWatch
from services.common.application import DualtrackApplication
from services.common.limits import MAX_RECORD_BYTES
from toolkit.cloudevents import CloudEventEncoder, OutgoingRecord

log = logging.getLogger(__name__)

PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    kafka_errors.MessageSizeTooLargeError,  # MESSAGE_TOO_LARGE: over max_request_size, or the topic's limit
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.InvalidRecordError,
    kafka_errors.CorruptRecordError,
    kafka_errors.InvalidTimestampError,
    kafka_errors.UnsupportedForMessageFormatError,
    TypeError,  # the producer cannot serialize the record (key, value or headers of the wrong type)
)
"""Refusals of one record that sending it again would only repeat: the record is parked. Every other error
(the broker away, a leader moving, a timeout; or one about the whole client, like authorization) is retried with
backoff and nothing is skipped."""
ACK_TIMEOUT = 40.0
"""Seconds to wait for one record's acknowledgement after a flush (the producer gives up after 30)."""
WATCH_INTERVAL = 0.005
"""How often an idle relay looks for new events: on SQLite a look at its store's files (no query, a query only when
they changed); elsewhere a query, only in the second after the relay last published (then every `idle_sleep`)."""
BUSY_SECONDS = 1.0
"""Without a store to watch, how long after publishing the relay keeps looking every `watch_interval`."""


def make_producer(bootstrap_servers: str, *, max_request_size: int = MAX_RECORD_BYTES) -> KafkaProducer:
    """The relay's producer: acknowledged by every replica, idempotent, records up to MAX_RECORD_BYTES."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id="dualtrack-relay",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        batch_size=256 * 1024,
        max_request_size=max_request_size,
        max_block_ms=10000,
        request_timeout_ms=10000,
        delivery_timeout_ms=30000,
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        bootstrap_timeout_ms=10000,
    )


def is_permanent(error: BaseException) -> bool:
    """Whether Kafka refused this record for good (it is parked) rather than for now (it is sent again)."""
    return isinstance(error, PERMANENT_ERRORS)


class Relay:
    """Publishes one context's stored events to its topic as CloudEvents."""

    def __init__(
        self,
        app: DualtrackApplication,
        topic: str,
        positions: RelayPositions,
        producer_factory: Callable[[], Any],
        *,
        batch_size: int = 1000,
        idle_sleep: float = 0.05,
        max_backoff: float = 1.0,
        watch_interval: float = WATCH_INTERVAL,
    ) -> None:
        self.app = app
        self.topic = topic
        self.positions = positions
        self._producer_factory = producer_factory
        self._producer: Any = None
        self._encoder = CloudEventEncoder(app, app.context)
        self.batch_size = batch_size
        self.idle_sleep = idle_sleep
        self.max_backoff = max_backoff
        self.watch_interval = watch_interval
        self._watch = StoreWatch.of(app)
        self._last_published = 0.0
        self.published = 0
        self.parked = 0
        """Events parked by this relay since it started (the positions store keeps all of them)."""
        self._parked_positions: set[int] = set()
        self._parked_aggregates: dict[str, int] = {}
        """Aggregate id -> the position of its first parked event: its later events wait behind it."""
        self._load_parked()

    @property
    def context(self) -> str:
        return self.app.context

    def publish_batch(self) -> int:
        """Send the next batch and record the position once Kafka has it (or parked what it refused for good);
        returns how many stored events the batch went through."""
        start = self.positions.get() + 1
        notifications = self.app.notifications(start, self.batch_size)
        if not notifications:
            return 0
        outgoing: list[tuple[Notification, OutgoingRecord]] = []
        for notification in notifications:
            if notification.id in self._parked_positions:
                continue  # parked on an earlier attempt at this batch
            try:
                record = self._encoder.encode(notification)
            except Exception as error:  # the same stored event encodes the same way every time
                self._park(notification, f"cannot be encoded as a CloudEvent: {type(error).__name__}: {error}")
                continue
            outgoing.append((notification, record))
        self._send(outgoing)
        self.positions.set(notifications[-1].id)
        return len(notifications)

    def _send(self, outgoing: Sequence[tuple[Notification, OutgoingRecord]]) -> None:
        """Send the records at once and wait for Kafka; on a refusal, find out which record it was."""
        producer = None
        futures: list[Any] = []
        for notification, record in outgoing:
            future = None
            if not self._held(notification):
                producer = producer or self._producer or self._connect()
                try:
                    future = producer.send(self.topic, key=record.key, value=record.value, headers=record.headers)
                except PERMANENT_ERRORS as error:  # refused before it was sent: nothing of it is on its way
                    self._refused(notification, error)
            futures.append(future)
        if producer is None:
            return
        self._flush(producer)
        failed: list[tuple[Notification, OutgoingRecord, Exception]] = []
        acknowledged: list[Notification] = []
        for (notification, record), future in zip(outgoing, futures):
            if future is None:
                continue
            try:
                future.get(timeout=ACK_TIMEOUT)
            except KafkaError as error:
                failed.append((notification, record, error))
            else:
                acknowledged.append(notification)
        self.published += len(acknowledged)
        if not failed:
            return
        if not any(is_permanent(error) for _, _, error in failed):
            raise failed[0][2]  # the broker is away or busy: the whole batch again, after a pause
        self._drop_producer()  # it refuses every record after the one it was refused
        self._warn_if_out_of_order(failed, acknowledged)
        log.warning("relay %s: Kafka refused %d of %d records (%s); sending them one at a time to find which",
                    self.context, len(failed), len(outgoing), _cause(failed[0][2]))
        for notification, record, _ in failed:
            self._send_alone(notification, record)

    def _send_alone(self, notification: Notification, record: OutgoingRecord) -> bool:
        """Send one record and wait for it; park it if Kafka refuses it for good. Raises when Kafka is away."""
        if self._held(notification):
            return False
        producer = self._producer or self._connect()
        try:
            future = producer.send(self.topic, key=record.key, value=record.value, headers=record.headers)
            self._flush(producer)
            future.get(timeout=ACK_TIMEOUT)
        except PERMANENT_ERRORS as error:
            self._drop_producer()
            self._refused(notification, error)
            return False
        self.published += 1
        return True

    @staticmethod
    def _flush(producer: Any) -> None:
        """Wait until every record sent has its outcome. kafka-python's flush can raise while it splits a batch the
        broker refused as too large; each record's own future still says what became of it."""
        try:
            producer.flush()
        except KafkaError as error:
            log.debug("flush: %r; each record's own outcome decides", error)

    def retry_parked(self) -> tuple[int, int]:
        """Publish the parked events again, in their order, one at a time: each one Kafka takes is released; one
        it refuses again stays parked, and so do the later ones of its aggregate. Returns (released, still parked).
        Raises KafkaError when the broker cannot be reached (nothing more is released then)."""
        parked = self.positions.parked()
        self._parked_positions.clear()
        self._parked_aggregates.clear()
        released = 0
        for entry in parked:
            notification = self._notification_at(entry.position)
            if notification is None:  # not in the store any more: nothing to publish
                self.positions.release(entry.position)
                continue
            self._parked_positions.add(entry.position)  # until Kafka has it
            try:
                record = self._encoder.encode(notification)
            except Exception as error:
                self._park(notification, f"cannot be encoded as a CloudEvent: {type(error).__name__}: {error}")
                continue
            if self._send_alone(notification, record):
                self.positions.release(entry.position)
                self._parked_positions.discard(entry.position)
                released += 1
                log.info("relay %s: released position %d (aggregate %s version %d)", self.context,
                         entry.position, entry.aggregate_id, entry.aggregate_version)
        self._load_parked()
        return released, len(self._parked_positions)

    def run(self, stop: threading.Event) -> None:
        """Publish until told to stop, backing off while the broker cannot be reached."""
        backoff = 0.1
        while not stop.is_set():
            try:
                sent = self.publish_batch()
                backoff = 0.1
            except KafkaError as error:
                if getattr(error, "retriable", False):
                    log.warning("relay %s: broker unavailable (%s); retrying in %.1fs", self.topic, error, backoff)
                else:
                    log.error("relay %s: Kafka refused the batch (%s), not a refusal of one record; retrying in "
                              "%.1fs", self.topic, _cause(error), backoff)
                self._drop_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if sent:
                self._last_published = time.monotonic()
            if sent < self.batch_size:
                self._wait_for_events(stop)

    def _wait_for_events(self, stop: threading.Event) -> None:
        """Until the store may hold new events, or `idle_sleep` at most: never busy, seldom late. On SQLite a stat of
        its files every `watch_interval` (a commit writes them); elsewhere queries that often only while busy."""
        if self._watch is None:
            busy = time.monotonic() - self._last_published < BUSY_SECONDS
            stop.wait(min(self.watch_interval, self.idle_sleep) if busy else self.idle_sleep)
            return
        deadline = time.monotonic() + self.idle_sleep
        while not stop.is_set() and not self._watch.changed():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.watch_interval, left))  # cheaper than stop.wait; `stop` is looked at every turn

    def close(self) -> None:
        self._drop_producer()
        self.positions.close()
        if self._watch is not None:
            self._watch.close()

    # -- parking ----------------------------------------------------------------------------------
    def _load_parked(self) -> None:
        self._parked_positions = set()
        self._parked_aggregates = {}
        for entry in self.positions.parked():
            self._parked_positions.add(entry.position)
            self._parked_aggregates.setdefault(entry.aggregate_id, entry.position)

    def _held(self, notification: Notification) -> bool:
        """Park the event behind an earlier parked event of its aggregate, if there is one."""
        aggregate = str(notification.originator_id)
        first = self._parked_aggregates.get(aggregate)
        if first is None or first == notification.id:
            return False
        self._park(notification, f"held behind parked position {first} of the same aggregate", held_behind=first)
        log.error("relay %s: held position %d (aggregate %s version %d) behind parked position %d: its aggregate's "
                  "events are published in order or not at all", self.context, notification.id, aggregate,
                  notification.originator_version, first)
        return True

    def _refused(self, notification: Notification, error: BaseException) -> None:
        self._park(notification, f"refused by Kafka: {_cause(error)}")

    def _park(self, notification: Notification, cause: str, *, held_behind: int | None = None) -> None:
        aggregate = str(notification.originator_id)
        self.positions.park(ParkedEvent(
            position=notification.id, aggregate_id=aggregate, aggregate_version=notification.originator_version,
            event_type=notification.topic, cause=cause, held_behind=held_behind,
        ))
        self._parked_positions.add(notification.id)
        self._parked_aggregates.setdefault(aggregate, notification.id)
        self.parked += 1
        if held_behind is None:
            log.error("relay %s: parked position %d (aggregate %s version %d, %s): %s; its later events are held "
                      "behind it, the other aggregates' events go on; once fixed: dualtrack relay %s --retry-parked",
                      self.context, notification.id, aggregate, notification.originator_version, notification.topic,
                      cause, self.context)

    def _notification_at(self, position: int) -> Notification | None:
        found = self.app.notifications(position, 1)
        return found[0] if found and found[0].id == position else None

    def _warn_if_out_of_order(self, failed: Sequence[tuple[Notification, OutgoingRecord, Exception]],
                              acknowledged: Sequence[Notification]) -> None:
        """Kafka took a later event of an aggregate whose earlier one it refused: say so, loudly. (kafka-python's
        idempotent producer refuses everything after a refused record, so this is not expected to happen.)"""
        first_failed: dict[str, int] = {}
        for notification, _, _ in failed:
            first_failed.setdefault(str(notification.originator_id), notification.id)
        for notification in acknowledged:
            before = first_failed.get(str(notification.originator_id))
            if before is not None and notification.id > before:
                log.error("relay %s: position %d of aggregate %s reached Kafka although position %d before it was "
                          "refused: consumers may see this aggregate out of order", self.context, notification.id,
                          notification.originator_id, before)

    # -- the producer -----------------------------------------------------------------------------
    def _connect(self) -> Any:
        self._producer = self._producer_factory()
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # the broker is gone; nothing left to flush
                pass
            self._producer = None


def _cause(error: BaseException) -> str:
    """The error's name and what it says, else what Kafka's documentation says about it."""
    said = next((str(a) for a in error.args if a is not None and str(a)), "")
    said = said or getattr(error, "description", "") or ""
    return f"{type(error).__name__}: {said}" if said else type(error).__name__

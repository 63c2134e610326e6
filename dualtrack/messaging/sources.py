"""Where a projector reads events from: Kafka topics, or (embedded mode) the contexts' notification logs.

Both yield the same ReceivedEvent, positioned by (topic, partition) -> next offset, so the same
projection code runs either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kafka import KafkaConsumer, TopicPartition

from services.common.application import DualtrackApplication
from toolkit.cloudevents import CloudEventEncoder, ReceivedEvent, decode

Offsets = dict[tuple[str, int], int]

RECONNECT_BACKOFF_MAX_MS = 1000
"""The longest pause between attempts to reach a broker that went away (kafka-python's default is 30 s): once it
answers again, consuming resumes within about a second."""
REQUEST_TIMEOUT_MS = 10000
"""A request the broker does not answer is given up after this (default 30 s): a broker that hangs rather than
closing its connections is noticed sooner."""


class EventSource(Protocol):
    def seek(self, offsets: Offsets) -> None: ...
    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]: ...
    def end_offsets(self) -> Offsets: ...
    def close(self) -> None: ...


class KafkaSource:
    """Reads every partition of the given topics, from offsets the projector stored itself.

    Partitions are assigned by hand rather than through group membership: a projection has one
    active projector (it holds the view database), so no rebalancing is needed, and a restarted
    projector starts at once instead of waiting for its dead predecessor's session to time out.
    """

    def __init__(self, bootstrap_servers: str, topics: Sequence[str], *, group_id: str | None = None) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id=group_id or "dualtrack-projector",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=2000,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            # kafka-python backs off reconnecting (and refreshing metadata) up to 30 s by default: after an outage
            # the projector would sit out most of that once the broker is back. A second at most.
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
        )
        self._partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        if not self._partitions:
            raise LookupError(f"none of the topics {list(topics)} exists yet")
        self._consumer.assign(self._partitions)

    def seek(self, offsets: Offsets) -> None:
        for tp in self._partitions:
            stored = offsets.get((tp.topic, tp.partition))
            if stored is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, stored)

    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]:
        batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        events = []
        for tp, records in batches.items():
            for r in records:
                events.append(decode(r.headers, r.value, topic=tp.topic, partition=tp.partition, offset=r.offset))
        return events

    def end_offsets(self) -> Offsets:
        ends = self._consumer.end_offsets(self._partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    def close(self) -> None:
        self._consumer.close()


STORE_SUFFIX = ":store"
"""Embedded positions are kept under `<topic>:store`, apart from Kafka's: notification ids and Kafka
offsets are different counts, and a view must never continue from one with the other."""


class NotificationLogSource:
    """Embedded mode: reads the contexts' notification logs directly (partition 0, offset = id - 1)."""

    def __init__(self, apps: dict[str, DualtrackApplication], topic_of: dict[str, str]) -> None:
        self._apps = apps
        self._topic_of = {ctx: topic + STORE_SUFFIX for ctx, topic in topic_of.items()}
        self._encoders = {ctx: CloudEventEncoder(app, ctx) for ctx, app in apps.items()}
        self._next: Offsets = {(self._topic_of[ctx], 0): 0 for ctx in apps}

    def seek(self, offsets: Offsets) -> None:
        for key in self._next:
            self._next[key] = offsets.get(key, 0)

    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]:
        events: list[ReceivedEvent] = []
        for ctx, app in self._apps.items():
            topic = self._topic_of[ctx]
            offset = self._next[(topic, 0)]
            for n in app.notifications(offset + 1, max(1, max_records - len(events))):
                r = self._encoders[ctx].encode(n)
                events.append(decode(r.headers, r.value, topic=topic, partition=0, offset=n.id - 1))
                self._next[(topic, 0)] = n.id
        return events

    def end_offsets(self) -> Offsets:
        return {(self._topic_of[ctx], 0): app.max_position() for ctx, app in self._apps.items()}

    def close(self) -> None:
        pass

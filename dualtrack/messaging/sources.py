"""Where a projector reads events from: Kafka topics, or (embedded mode) the contexts' notification logs.

Both yield the same ReceivedEvent, positioned by (topic, partition) -> next offset, so the same
projection code runs either way. A live projector on Kafka is a member of its projection's consumer group
(`GroupKafkaSource`): several share the partitions. A rebuild, a verification or the audit replay reads the
partitions it is given by hand (`KafkaSource`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import MemberState

from toolkit.cloudevents import CloudEventEncoder, ReceivedEvent, decode

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # a rebuild worker reads Kafka only: it need not load the event stores' library
    from services.common.application import DualtrackApplication

Offsets = dict[tuple[str, int], int]
Partition = tuple[str, int]

RECONNECT_BACKOFF_MAX_MS = 1000
"""The longest pause between attempts to reach a broker that went away (kafka-python's default is 30 s): once it
answers again, consuming resumes within about a second."""
REQUEST_TIMEOUT_MS = 10000
"""A request the broker does not answer is given up after this (default 30 s): a broker that hangs rather than
closing its connections is noticed sooner."""


SESSION_TIMEOUT_MS = 10000
"""A projector of a consumer group that stops heartbeating (killed, paused) loses its partitions to the others after
this (kafka-python's default is 45 s; the broker's lowest allowed is 6 s)."""
STALLED_REBALANCE_S = 30.0
"""A member whose rebalance has not settled after this long leaves the group and joins it again. Ours poll every few
tenths of a second, so a rebalance settles in seconds; kafka-python 3.0 was seen, on a loaded machine, to wait for a
SyncGroup answer for ever after a rejoin that a metadata update set off, holding nothing."""


class EventSource(Protocol):
    def seek(self, offsets: Offsets) -> None: ...
    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]: ...
    def end_offsets(self) -> Offsets: ...
    def close(self) -> None: ...

    def finished(self, partitions: Iterable[Partition]) -> None:
        """Nothing more is wanted from these partitions (a catch-up reached its ends there): stop fetching them.
        A Kafka consumer asks a broker for all its partitions in one request, and the broker holds a request in
        which none has news for up to half a second: a partition waited on for nothing holds the others back."""
        ...

    def changes(self) -> tuple[list[Partition], list[Partition]]:
        """(assigned, revoked) since the last call, to be acted on in that order: revoked first (given up), then
        assigned (taken, at a new epoch, even one revoked just before). A source that reads its partitions itself
        gives them all as assigned on the first call, and nothing after; a consumer group's member gives what its
        rebalances did (a partition assigned then revoked is only revoked)."""
        ...


FETCH_SETTINGS: dict[str, Any] = {
    "max_poll_records": 2000,
    "fetch_max_bytes": 16 * 1024 * 1024,
    "max_partition_fetch_bytes": 4 * 1024 * 1024,
}
"""How much a projector's consumer fetches at a time (the bench's bare consumer fetches the same)."""


def _consumer(bootstrap_servers: str, client_id: str, **group: Any) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **FETCH_SETTINGS,
        # kafka-python backs off reconnecting (and refreshing metadata) up to 30 s by default: after an outage
        # the projector would sit out most of that once the broker is back. A second at most.
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        **({"group_id": None} | group),
    )


def _decoded(batches: dict[TopicPartition, list[Any]]) -> list[ReceivedEvent]:
    events = []
    for tp, records in batches.items():
        for r in records:
            events.append(decode(r.headers, r.value, topic=tp.topic, partition=tp.partition, offset=r.offset))
    return events


class KafkaSource:
    """Reads every partition of the given topics (or only `partitions` of them), assigned by hand: a rebuild, a
    verification, the audit replay, or a projector told to read everything itself. No consumer group, nothing
    committed; the projector seeks it to the offsets it stored itself."""

    def __init__(self, bootstrap_servers: str, topics: Sequence[str], *, group_id: str | None = None,
                 partitions: Iterable[Partition] | None = None) -> None:
        self._consumer = _consumer(bootstrap_servers, group_id or "dualtrack-projector")
        self._partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        if not self._partitions:
            self._consumer.close()
            raise LookupError(f"none of the topics {list(topics)} exists yet")
        if partitions is not None:
            only = set(partitions)
            self._partitions = [tp for tp in self._partitions if (tp.topic, tp.partition) in only]
        self._consumer.assign(self._partitions)
        self._unannounced = True

    def changes(self) -> tuple[list[Partition], list[Partition]]:
        if not self._unannounced:
            return [], []
        self._unannounced = False
        return [(tp.topic, tp.partition) for tp in self._partitions], []

    def seek(self, offsets: Offsets) -> None:
        for tp in self._partitions:
            stored = offsets.get((tp.topic, tp.partition))
            if stored is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, stored)

    def finished(self, partitions: Iterable[Partition]) -> None:
        done = set(partitions)
        self._consumer.pause(*[tp for tp in self._partitions if (tp.topic, tp.partition) in done])

    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]:
        return _decoded(self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records))

    def end_offsets(self) -> Offsets:
        ends = self._consumer.end_offsets(self._partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    def close(self) -> None:
        self._consumer.close()


class _Rebalances(ConsumerRebalanceListener):
    """Notes what each rebalance gave and took (kafka-python calls it from inside `poll`, possibly on its own I/O
    thread); the projector acts on them between batches. A partition given is paused until the projector has taken
    it and sought it to its stored offset, so nothing is fetched from it before."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer
        self._lock = threading.Lock()
        self._assigned: set[Partition] = set()
        self._revoked: set[Partition] = set()

    def rebind(self, consumer: KafkaConsumer) -> None:
        """Listen for a new member (the old one left the group)."""
        self._consumer = consumer

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        with self._lock:
            for tp in revoked:
                key = (tp.topic, tp.partition)
                self._assigned.discard(key)
                self._revoked.add(key)

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        given = list(assigned)
        if given:
            self._consumer.pause(*given)
        with self._lock:
            self._assigned.update((tp.topic, tp.partition) for tp in given)

    def on_partitions_lost(self, lost: Iterable[TopicPartition]) -> None:
        self.on_partitions_revoked(lost)

    def drain(self) -> tuple[list[Partition], list[Partition]]:
        with self._lock:
            assigned, revoked = sorted(self._assigned), sorted(self._revoked)
            self._assigned.clear()
            self._revoked.clear()
        return assigned, revoked


class GroupKafkaSource:
    """A member of the projection's consumer group: Kafka shares the topics' partitions among the projectors of one
    projection, and gives a dead one's partitions to the others. Where each partition stands is the projector's
    business (the view database, fenced by epochs: dualtrack/messaging/partitions.py); nothing is committed to
    Kafka."""

    def __init__(self, bootstrap_servers: str, topics: Sequence[str], *, group_id: str,
                 session_timeout_ms: int = SESSION_TIMEOUT_MS, stalled_after: float = STALLED_REBALANCE_S) -> None:
        self._bootstrap_servers, self._group_id = bootstrap_servers, group_id
        self._session_timeout_ms = session_timeout_ms
        self._topics = list(topics)
        self._stalled_after = stalled_after
        self._unsettled_since: float | None = None
        self._consumer = self._new_consumer()
        if not [t for t in self._topics if self._consumer.partitions_for_topic(t)]:
            self._consumer.close()
            raise LookupError(f"none of the topics {self._topics} exists yet")
        self._rebalances = _Rebalances(self._consumer)
        self._consumer.subscribe(self._topics, listener=self._rebalances)

    def _new_consumer(self) -> KafkaConsumer:
        from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

        return _consumer(
            self._bootstrap_servers, self._group_id, group_id=self._group_id,
            session_timeout_ms=self._session_timeout_ms, heartbeat_interval_ms=max(1000, self._session_timeout_ms // 3),
            # The topics' partitions spread over the members one by one (range would give the first member the
            # first partitions of every topic).
            partition_assignment_strategy=(RoundRobinPartitionAssignor,),
        )

    def _watch_rebalance(self) -> None:
        """Join the group again, as a new member, when a rebalance has not settled for `stalled_after` seconds; what
        the old member held counts as revoked."""
        if self._consumer.group_metadata().state == MemberState.STABLE:
            self._unsettled_since = None
            return
        now = time.monotonic()
        if self._unsettled_since is None:
            self._unsettled_since = now
            return
        if now - self._unsettled_since < self._stalled_after:
            return
        log.warning("consumer group %s: a rebalance has not settled after %.0f s; joining again as a new member",
                    self._group_id, now - self._unsettled_since)
        self._unsettled_since = None
        stalled = self._consumer
        self._rebalances.on_partitions_revoked(stalled.assignment())
        try:
            stalled.close()
        except Exception as error:  # the new member is what matters; the old one times out on the broker
            log.debug("consumer group %s: closing the stalled member: %r", self._group_id, error)
        self._consumer = self._new_consumer()
        self._rebalances.rebind(self._consumer)
        self._consumer.subscribe(self._topics, listener=self._rebalances)

    def changes(self) -> tuple[list[Partition], list[Partition]]:
        return self._rebalances.drain()

    def seek(self, offsets: Offsets) -> None:
        """Seek the named partitions (those this member holds) and let them be fetched."""
        held = set(self._consumer.assignment())
        chosen = [TopicPartition(t, p) for (t, p) in offsets if TopicPartition(t, p) in held]
        for tp in chosen:
            self._consumer.seek(tp, offsets[(tp.topic, tp.partition)])
        if chosen:
            self._consumer.resume(*chosen)

    def finished(self, partitions: Iterable[Partition]) -> None:
        held = set(self._consumer.assignment())
        self._consumer.pause(*[tp for (t, p) in partitions if (tp := TopicPartition(t, p)) in held])

    def poll(self, max_records: int, timeout: float) -> list[ReceivedEvent]:
        started = time.monotonic()
        events = _decoded(self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records))
        if not events:
            self._watch_rebalance()
            # While the coordinator cannot be reached kafka-python answers at once: wait out the timeout here, or
            # the projector's loop would spin.
            rest = timeout - (time.monotonic() - started)
            if rest > 0:
                time.sleep(rest)
        return events

    def end_offsets(self) -> Offsets:
        parts = [TopicPartition(t, p) for t in self._topics for p in sorted(self._consumer.partitions_for_topic(t)
                                                                            or ())]
        return {(tp.topic, tp.partition): o for tp, o in self._consumer.end_offsets(parts).items()}

    def close(self) -> None:
        self._consumer.close()  # leaves the group at once: the others are given its partitions without waiting


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
        self._announced = False

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

    def finished(self, partitions: Iterable[Partition]) -> None:
        pass  # read from the stores only when polled: nothing waits

    def changes(self) -> tuple[list[Partition], list[Partition]]:
        announced, self._announced = self._announced, True
        return ([], []) if announced else (sorted(self._next), [])

    def close(self) -> None:
        pass

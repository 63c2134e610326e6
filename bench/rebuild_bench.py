"""Figure 2: rebuilding the `centres` projection from Kafka (its partitions read by parallel processes, as
`dualtrack projections rebuild` does), against one bare consumer reading the whole topic."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from dualtrack.bootstrap import Container
from dualtrack.messaging.rebuild import rebuild
from dualtrack.messaging.sources import FETCH_SETTINGS

PROJECTION = "centres"
_PROCESSES: dict[int, tuple[int, bool]] = {}


def time_rebuild(container: Container) -> tuple[float, int, float]:
    """`rebuild(container, "centres")` from Kafka into the SQLite views, swap included; its partitions are read by
    as many processes as `Settings.rebuild_workers` says (by default one per partition holding events, at most one
    more than the CPUs).

    Returns (seconds of the whole call, events consumed, seconds the rebuild itself reports for its catch-up).
    """
    started = time.perf_counter()
    report = rebuild(container, PROJECTION)
    _PROCESSES[id(container)] = (report.workers, report.forked)
    return time.perf_counter() - started, report.events, report.seconds


def rebuild_processes(container: Container) -> str:
    """How many processes the last rebuild timed on `container` read its partitions with, and how they started."""
    workers, forked = _PROCESSES.get(id(container), (1, False))
    return f"{workers} processes ({'forked' if forked else 'started afresh'})" if workers > 1 else "1 process"


def time_bare_consumer(bootstrap_servers: str, topics: list[str], max_records: int = 5_000) -> tuple[float, int]:
    """Read every record of the topics from the start with a plain KafkaConsumer; returns (seconds, records).

    Same fetch settings as `KafkaSource` and the same records per poll as the rebuild's projector, and each
    record's value is touched, so the difference to the rebuild is decoding, projecting and committing.
    """
    started = time.perf_counter()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        client_id="dualtrack-bench-consumer",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **FETCH_SETTINGS,
    )
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records = touched = 0
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=1000, max_records=max_records).values():
                for record in batch:
                    touched += len(record.value)
                records += len(batch)
        return time.perf_counter() - started, records
    finally:
        consumer.close()

"""Figure 1: the relay publishing a whole notification log, against a bare producer sending the same records."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaProducer

from dualtrack.bootstrap import Container
from dualtrack.messaging.relay import make_producer
from dualtrack.messaging.topics import ensure_topics
from toolkit.cloudevents import CloudEventEncoder, OutgoingRecord

CONTEXT = "placements"


def encoded_records(container: Container, page: int = 5_000) -> list[OutgoingRecord]:
    """Every stored event of the context as the relay would send it (key, value, headers), encoded up front."""
    app = container.app(CONTEXT)
    encoder = CloudEventEncoder(app, CONTEXT)
    records: list[OutgoingRecord] = []
    while batch := app.notifications(len(records) + 1, page):
        records.extend(encoder.encode_all(batch))
    return records


@dataclass(frozen=True)
class RelayRun:
    seconds: float
    events: int
    batch_size: int
    """Notifications per `publish_batch()`: the relay's default unless the bench was told otherwise."""


def time_relay(container: Container, *, batch_size: int | None = None) -> RelayRun:
    """Publish the whole log from position 0 with `container.relay(...)`, one `publish_batch()` after another.

    The producer is created lazily by the relay's first batch, so its connection is inside the timing,
    as it is for the bare producer.
    """
    container.ensure_topics()
    options = {} if batch_size is None else {"batch_size": batch_size}
    relay = container.relay(CONTEXT, **options)
    try:
        relay.positions.set(0)  # every trial publishes everything, into its own fresh topic
        started = time.perf_counter()
        while relay.publish_batch():
            pass
        return RelayRun(time.perf_counter() - started, relay.published, relay.batch_size)
    finally:
        relay.close()


def time_bare_producer(
    bootstrap_servers: str, topic: str, partitions: int, records: list[OutgoingRecord],
    producer_factory: Callable[[str], KafkaProducer] = make_producer,
) -> float:
    """Send the same records with a plain KafkaProducer to a fresh topic, then flush; returns seconds.

    `make_producer` returns a bare `KafkaProducer`, so the reference uses exactly the relay's producer
    settings (acks=all, idempotence, linger, batch size) without any of the relay's own work around it.
    """
    ensure_topics(bootstrap_servers, [topic], partitions)
    started = time.perf_counter()
    producer = producer_factory(bootstrap_servers)
    futures = [producer.send(topic, key=r.key, value=r.value, headers=r.headers) for r in records]
    producer.flush()
    seconds = time.perf_counter() - started
    try:
        for future in futures:
            future.get(timeout=0)  # raises if a record was not acknowledged: then the timing means nothing
    finally:
        producer.close(timeout=5)
    return seconds

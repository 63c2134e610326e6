"""The relay: one context's notification log -> its Kafka topic, at least once, in order per aggregate.

It reads from the position it recorded last, publishes a batch, waits until Kafka acknowledged every
record of it (acks=all, idempotent producer), and only then records the new position. A crash between
the acknowledgement and the record means the batch is sent again: consumers drop the duplicates by
`ce_id`. While the broker is away the relay backs off and retries; commands are not affected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from dualtrack.messaging.positions import RelayPositions
from services.common.application import DualtrackApplication
from toolkit.cloudevents import CloudEventEncoder

log = logging.getLogger(__name__)


def make_producer(bootstrap_servers: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id="dualtrack-relay",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        batch_size=256 * 1024,
        max_block_ms=10000,
        request_timeout_ms=10000,
        delivery_timeout_ms=30000,
        reconnect_backoff_max_ms=2000,
    )


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
        max_backoff: float = 5.0,
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
        self.published = 0

    def publish_batch(self) -> int:
        """Send the next batch and record the position once Kafka has it; returns how many were sent."""
        start = self.positions.get() + 1
        notifications = self.app.notifications(start, self.batch_size)
        if not notifications:
            return 0
        records = self._encoder.encode_all(notifications)
        producer = self._producer or self._connect()
        futures = [
            producer.send(self.topic, key=r.key, value=r.value, headers=r.headers) for r in records
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises if any record was not acknowledged
        self.positions.set(records[-1].position)
        self.published += len(records)
        return len(records)

    def run(self, stop: threading.Event) -> None:
        """Publish until told to stop, backing off while the broker cannot be reached."""
        backoff = 0.1
        while not stop.is_set():
            try:
                sent = self.publish_batch()
                backoff = 0.1
            except KafkaError as error:
                log.warning("relay %s: broker unavailable (%s); retrying in %.1fs", self.topic, error, backoff)
                self._drop_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if sent < self.batch_size:
                stop.wait(self.idle_sleep)

    def close(self) -> None:
        self._drop_producer()
        self.positions.close()

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

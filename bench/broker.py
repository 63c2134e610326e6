"""A real Kafka broker for the bench: the configured one, else a local broker in a temp dir."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient

from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings


@dataclass(frozen=True)
class Broker:
    bootstrap_servers: str
    description: str
    """Where it came from, for the report."""
    owned: bool
    """True when the bench started it (and will stop it, topics and all)."""


@contextmanager
def kafka_broker(settings: Settings) -> Iterator[Broker]:
    """$KAFKA_BOOTSTRAP_SERVERS if set, else a LocalKafkaBroker in a temp dir, stopped at the end even on error."""
    if settings.kafka_bootstrap_servers:
        yield Broker(settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS", owned=False)
        return
    with tempfile.TemporaryDirectory(prefix="dualtrack-bench-kafka-") as data_dir:
        broker = LocalKafkaBroker(Path(data_dir), cache_dir=settings.kafka_cache_dir)
        try:
            bootstrap = broker.start()
            yield Broker(bootstrap, f"LocalKafkaBroker (jars in {settings.kafka_cache_dir})", owned=True)
        finally:
            broker.stop()


def delete_topics(bootstrap_servers: str, topics: list[str]) -> None:
    """Best effort: remove the bench's topics from a broker the bench does not own."""
    if not topics:
        return
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="dualtrack-bench-admin")
    try:
        admin.delete_topics(topics, timeout_ms=10000)
    except Exception:  # a leftover topic is harmless; the measurement is what matters
        pass
    finally:
        admin.close()

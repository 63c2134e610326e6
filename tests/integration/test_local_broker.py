"""LocalKafkaBroker runs a real Kafka broker from jars: it serves clients, stops cleanly and keeps its data."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

CACHE_DIR = Settings.from_env().kafka_cache_dir


@pytest.fixture(scope="module")
def running_broker(tmp_path_factory):
    with LocalKafkaBroker(tmp_path_factory.mktemp("broker"), cache_dir=CACHE_DIR) as broker:
        yield broker


@pytest.fixture
def broker(tmp_path):
    broker = LocalKafkaBroker(tmp_path / "broker", cache_dir=CACHE_DIR)
    yield broker
    broker.stop()


def create_topic(bootstrap_servers: str, partitions: int = 1) -> str:
    topic = f"test.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()
    return topic


def produce(bootstrap_servers: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers)
    try:
        for key, value, headers in records:
            producer.send(topic, key=key, value=value, headers=headers).get(timeout=30)
    finally:
        producer.close()


def consume_all(bootstrap_servers: str, topic: str, expected: int) -> list:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, group_id=None,
        auto_offset_reset="earliest", consumer_timeout_ms=15_000,
    )
    try:
        records = []
        for record in consumer:
            records.append(record)
            if len(records) == expected:
                break
        return records
    finally:
        consumer.close()


def processes_using(path: Path) -> list[int]:
    """Pids of live processes whose command line mentions path."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if str(path).encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_given_a_started_local_broker_when_a_message_is_produced_then_a_consumer_reads_it_back(running_broker):
    topic = create_topic(running_broker.bootstrap_servers)
    headers = [("ce_id", b"student-1:1"), ("content-type", b"application/json")]

    produce(running_broker.bootstrap_servers, topic, [(b"student-1", b'{"hours": 6}', headers)])
    records = consume_all(running_broker.bootstrap_servers, topic, expected=1)

    assert [(r.key, r.value, list(r.headers)) for r in records] == [(b"student-1", b'{"hours": 6}', headers)]


def test_given_a_started_local_broker_when_started_again_then_it_returns_the_same_broker(running_broker):
    before = running_broker.status()

    bootstrap = running_broker.start()

    assert bootstrap == before["bootstrap_servers"]
    assert running_broker.status()["pid"] == before["pid"]
    assert (running_broker.data_dir / "bootstrap").read_text().strip() == bootstrap


def test_given_a_running_local_broker_when_it_is_stopped_then_no_java_process_is_left(broker):
    broker.start()
    pid = broker.status()["pid"]

    broker.stop()

    assert not Path(f"/proc/{pid}").exists()
    assert processes_using(broker.data_dir) == []
    assert broker.status() == {
        "running": False, "pid": None, "bootstrap_servers": None, "data_dir": str(broker.data_dir),
    }
    broker.stop()  # idempotent


def test_given_a_broker_with_records_when_restarted_on_the_same_data_dir_then_the_records_are_still_there(broker):
    first_bootstrap = broker.start()
    topic = create_topic(first_bootstrap, partitions=3)
    produce(first_bootstrap, topic, [(f"k{i}".encode(), f"v{i}".encode(), []) for i in range(10)])
    broker.stop()

    second_bootstrap = LocalKafkaBroker(broker.data_dir, cache_dir=CACHE_DIR).start()
    records = consume_all(second_bootstrap, topic, expected=10)

    assert second_bootstrap == first_bootstrap
    assert sorted(r.value for r in records) == sorted(f"v{i}".encode() for i in range(10))


def test_given_a_port_already_in_use_when_the_broker_starts_there_then_it_fails_saying_so(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = LocalKafkaBroker(tmp_path / "broker", cache_dir=CACHE_DIR, port=port)

        with pytest.raises(RuntimeError, match=f"port {port} is already taken"):
            broker.start()

    assert broker.status()["running"] is False


def test_given_a_data_dir_never_started_when_status_is_asked_then_it_is_not_running(tmp_path):
    broker = LocalKafkaBroker(tmp_path / "never", cache_dir=CACHE_DIR)

    assert broker.status() == {
        "running": False, "pid": None, "bootstrap_servers": None, "data_dir": str(tmp_path / "never"),
    }
    assert broker.bootstrap_servers is None

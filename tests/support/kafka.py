"""Where tests get a real Kafka broker: configured, in a Docker container, or run locally from jars."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dualtrack.messaging.local_broker import LocalKafkaBroker, kafka_version, serves_metadata
from dualtrack.settings import Settings

from .postgres import postgres_url

__all__ = ["kafka_bootstrap_servers", "postgres_url"]


@contextmanager
def kafka_bootstrap_servers() -> Iterator[str]:
    """Yield bootstrap servers: $DUALTRACK_TEST_KAFKA_BOOTSTRAP_SERVERS (the broker tests/support/servers.py started
    for the whole run) or $KAFKA_BOOTSTRAP_SERVERS, else a Docker container, else a local broker.

    Never skips: tests that need Kafka fail loudly, saying what was tried, when none can be had.
    """
    configured = os.environ.get("DUALTRACK_TEST_KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return

    tried = ["DUALTRACK_TEST_KAFKA_BOOTSTRAP_SERVERS, KAFKA_BOOTSTRAP_SERVERS: not set"]
    if _docker_answers():
        try:
            container = _start_kafka_container()
        except Exception as error:
            tried.append(f"testcontainers apache/kafka: {type(error).__name__}: {error}")
        else:
            try:
                yield container.bootstrap_servers
            finally:
                container.stop()
            return
    else:
        tried.append("testcontainers apache/kafka: no Docker engine answers")

    cache_dir = Settings.from_env().kafka_cache_dir
    with tempfile.TemporaryDirectory(prefix="dualtrack-kafka-") as data_dir:
        broker = LocalKafkaBroker(Path(data_dir), cache_dir=cache_dir)
        try:
            bootstrap = broker.start()
        except Exception as error:
            broker.stop()
            tried.append(f"LocalKafkaBroker (jars cached in {cache_dir}): {type(error).__name__}: {error}")
            raise RuntimeError(
                "no Kafka broker for the tests. Tried, in order:\n- " + "\n- ".join(tried)
                + "\nSet KAFKA_BOOTSTRAP_SERVERS to use a running broker."
            ) from error
        try:
            yield bootstrap
        finally:
            broker.stop(timeout=5)  # throwaway data: a controlled shutdown over every test's topics only costs time


def _docker_answers() -> bool:
    """True when a Docker engine answers a ping within a couple of seconds; never hangs without one."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


class _KafkaContainer:
    """The official apache/kafka image, single node, advertised on a host port fixed before it starts.

    Assumes a local Docker engine (the advertised address is 127.0.0.1).
    """

    def __init__(self, timeout: float = 120):
        from testcontainers.core.container import DockerContainer

        # The advertised listener must name the host port, so that port is chosen up front.
        self.port = _free_port()
        self._container = (
            DockerContainer(f"apache/kafka:{kafka_version()}")
            .with_bind_ports(9092, self.port)
            # Any KAFKA_* variable replaces the image's whole default config, so all of it is given here.
            .with_envs(
                KAFKA_NODE_ID="1",
                KAFKA_PROCESS_ROLES="broker,controller",
                KAFKA_LISTENERS="PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
                KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{self.port}",
                KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
                KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
                KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
                KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
                KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
                KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR="1",
                KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR="1",
                KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
                KAFKA_AUTO_CREATE_TOPICS_ENABLE="false",
                KAFKA_NUM_PARTITIONS="3",
                KAFKA_LOG_DIRS="/tmp/kraft-combined-logs",
            )
        )
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self._timeout = timeout

    def start(self) -> _KafkaContainer:
        self._container.start()
        deadline = time.monotonic() + self._timeout
        while not serves_metadata(self.bootstrap_servers):
            if time.monotonic() > deadline:
                logs = b"".join(self._container.get_logs()).decode(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"apache/kafka container did not serve metadata in {self._timeout:.0f} s\n{logs}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        self._container.stop()


def _start_kafka_container() -> _KafkaContainer:
    return _KafkaContainer().start()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

"""The relay looks for new events without busy-polling its store: on SQLite it watches the store's write-ahead log
index (a read of its header, no query) and queries only when a commit moved it (or every `idle_sleep` anyway); what
it publishes is unchanged: every event once, in order."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.relay import Relay
from dualtrack.messaging.store_watch import StoreWatch
from services.common.identity import Actor, CommandContext, Role
from tests.conftest import make_settings

pytestmark = pytest.mark.stored

ADMIN = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="corr-admin")


class Sent:
    def get(self, timeout: float | None = None) -> None:
        return None


class FakeProducer:
    """Takes every record at once, as a broker that acknowledges everything would."""

    def __init__(self, sent: list[bytes]) -> None:
        self.sent = sent

    def send(self, topic: str, key: bytes, value: bytes, headers: Any) -> Sent:
        self.sent.append(key)
        return Sent()

    def flush(self) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass


def register(container: Container, n: int) -> str:
    return str(container.placements.register_school(ADMIN, name=f"School {n}", code=f"S{n}").id)


def test_given_a_sqlite_store_when_nothing_is_recorded_then_the_watch_sees_no_change_and_when_a_command_is_then_it_does(
        tmp_path: Path) -> None:
    container = Container(make_settings(tmp_path / "var"))
    try:
        register(container, 0)
        watch = StoreWatch.of(container.placements)
        assert watch is not None
        watch.changed()
        assert not watch.changed()
        container.placements.recorder.select_notifications(start=1, limit=10)  # a read moves nothing
        assert not watch.changed()
        register(container, 1)
        assert watch.changed()
        assert not watch.changed()
        watch.close()
    finally:
        container.close()


def test_given_a_running_relay_when_commands_are_recorded_while_it_waits_then_each_event_is_published_once_in_order(
        tmp_path: Path) -> None:
    container = Container(make_settings(tmp_path / "var"))
    sent: list[bytes] = []
    stop = threading.Event()

    def relay() -> None:  # its positions are a SQLite connection of its own thread
        worker = Relay(container.placements, "placements", container.relay_positions("placements"),
                       lambda: FakeProducer(sent), idle_sleep=30.0)  # only the watch can wake it in time
        try:
            worker.run(stop)
        finally:
            worker.close()

    worker = threading.Thread(target=relay, daemon=True)
    worker.start()
    try:
        schools = []
        for n in range(20):
            schools.append(register(container, n))
            time.sleep(0.01)
        deadline = time.monotonic() + 20
        while len(sent) < len(schools) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(timeout=40)
        container.close()
    assert [key.decode() for key in sent] == schools

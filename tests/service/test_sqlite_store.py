"""The event stores on SQLite send a read, or the write of one event, as its one statement (no BEGIN and ROLLBACK or
COMMIT around it), keep the write of several events in one transaction, and name a failure with eventsourcing's
errors, as its own stores do."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import ConnectionPoolClosedError, IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from dualtrack.bootstrap import Container
from services.common.identity import CommandContext
from services.common.sqlite_store import SQLiteStore
from services.placements.domain.enterprise import Enterprise, TrainingCentre
from tests.conftest import make_settings

pytestmark = pytest.mark.api


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[Container]:
    container = Container(make_settings(tmp_path / "var"))
    yield container
    container.close()


def statements_sent(store: SQLiteStore) -> list[str]:
    """What the store's connections are sent from now on by this thread: its reader's, and the pool's (one thread:
    the pool lends it the same connection)."""
    sent: list[str] = []
    store._reader()._sqlite_conn.set_trace_callback(sent.append)
    with store.get_connection(commit=True) as connection:
        connection._sqlite_conn.set_trace_callback(sent.append)
    return sent


def test_given_an_enterprise_on_sqlite_when_it_is_loaded_then_the_store_is_sent_its_selects_alone(
        on_sqlite: Container, admin: CommandContext) -> None:
    enterprise = on_sqlite.placements.register_enterprise(admin, name="Haier")
    store = on_sqlite.placements.recorder.datastore
    assert isinstance(store, SQLiteStore)
    sent = statements_sent(store)

    read = on_sqlite.placements.load(Enterprise, enterprise.id)

    assert read.name == "Haier"
    assert [s.split()[:4] for s in sent] == [["SELECT", "*", "FROM", "stored_snapshots"],
                                             ["SELECT", "*", "FROM", "stored_events"]]


def test_given_one_new_event_on_sqlite_when_it_is_recorded_then_its_insert_is_all_the_store_is_sent(
        on_sqlite: Container, admin: CommandContext) -> None:
    sent = statements_sent(on_sqlite.placements.recorder.datastore)

    enterprise = on_sqlite.placements.register_enterprise(admin, name="Haier")

    assert [s.split()[:3] for s in sent] == [["INSERT", "INTO", "stored_events"]]
    assert on_sqlite.placements.load(Enterprise, enterprise.id).name == "Haier"


def test_given_two_events_of_which_the_second_conflicts_when_recorded_then_neither_is_stored(
        on_sqlite: Container, admin: CommandContext) -> None:
    recorder = on_sqlite.placements.recorder
    taken = on_sqlite.placements.register_enterprise(admin, name="Haier").id
    fresh = uuid4()
    sent = statements_sent(recorder.datastore)

    with pytest.raises(IntegrityError):
        recorder.insert_events([StoredEvent(fresh, 1, "topic", b"{}"), StoredEvent(taken, 1, "topic", b"{}")])

    assert sent[0] == "BEGIN" and sent[-1] != "COMMIT"
    assert recorder.select_events(fresh) == []


def test_given_a_table_that_is_not_there_when_it_is_read_then_the_error_is_eventsourcing_s(
        on_sqlite: Container) -> None:
    store = on_sqlite.placements.recorder.datastore
    missing = SQLiteApplicationRecorder(store, events_table_name="no_such_events")

    with pytest.raises(OperationalError, match="no such table"):
        missing.select_events(uuid4())


def test_given_a_thread_that_read_a_centre_when_another_changes_its_capacity_then_its_next_read_sees_it(
        on_sqlite: Container, admin: CommandContext) -> None:
    app = on_sqlite.placements
    centre = TrainingCentre.open(enterprise_id=uuid4(), name="Line 3", address="Qingdao", capacity=4,
                                 specialities=["welding"], meta=admin.meta())
    app.save(centre)
    versions: list[list[int]] = []
    read_once, changed = threading.Event(), threading.Event()

    def reader() -> None:  # one thread, its one connection for reads
        versions.append([e.originator_version for e in app.recorder.select_events(centre.id)])
        read_once.set()
        changed.wait(10)
        versions.append([e.originator_version for e in app.recorder.select_events(centre.id)])

    thread = threading.Thread(target=reader)
    thread.start()
    read_once.wait(10)
    centre.change_capacity(6, admin.meta())
    app.save(centre)
    changed.set()
    thread.join(10)

    assert versions == [[1], [1, 2]]


def test_given_a_closed_store_when_a_thread_reads_then_it_is_refused_and_the_readers_are_closed(
        on_sqlite: Container, admin: CommandContext) -> None:
    enterprise = on_sqlite.placements.register_enterprise(admin, name="Haier")
    store = on_sqlite.placements.recorder.datastore
    on_sqlite.placements.recorder.select_events(enterprise.id)
    reader = store._reader()._sqlite_conn

    store.close()

    with pytest.raises(sqlite3.ProgrammingError):  # closed
        reader.execute("SELECT 1")
    refused: list[Exception] = []

    def read() -> None:  # a thread that never read before
        try:
            on_sqlite.placements.recorder.select_events(enterprise.id)
        except ConnectionPoolClosedError as error:
            refused.append(error)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(10)
    assert len(refused) == 1

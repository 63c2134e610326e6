"""The event stores on SQLite send a read, or the write of one event, as its one statement (no BEGIN and ROLLBACK or
COMMIT around it), keep the write of several events in one transaction, and name a failure with eventsourcing's
errors, as its own stores do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from dualtrack.bootstrap import Container
from services.common.identity import CommandContext
from services.common.sqlite_store import SQLiteStore
from services.placements.domain.enterprise import Enterprise
from tests.conftest import make_settings

pytestmark = pytest.mark.api


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[Container]:
    container = Container(make_settings(tmp_path / "var"))
    yield container
    container.close()


def statements_sent(store: SQLiteStore) -> list[str]:
    """What the store's connection is sent from now on (one thread: the pool lends it the same connection)."""
    sent: list[str] = []
    with store.get_connection(commit=False) as connection:
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

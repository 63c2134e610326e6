"""Replay verification (`dualtrack audit replay`, dualtrack.messaging.replay): every projection rebuilt aside from
Kafka offset 0 and from the event stores, each compared row by row with the live view as of the events it had
applied; differences are listed by table and primary key.

The demo world is relayed to the real broker and projected from it in-process (relays and projectors driven by
hand, so every position is known). Without a broker the Kafka side is reported as skipped and the store side runs,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from kafka import KafkaProducer

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.demo import DemoIds
from dualtrack.messaging.replay import (
    LIVE_SUFFIX,
    REBUILT_SUFFIX,
    ReplayReport,
    TableDifferences,
    columns_and_key,
    replay_all,
)
from dualtrack.settings import CONTEXTS
from services.common.identity import CommandContext
from tests.conftest import make_settings
from tests.e2e.journeys import read_topic
from tests.support.demo import Seeded, Template

pytestmark = pytest.mark.integration


# -- helpers ------------------------------------------------------------------------------------------------
def relay_everything(container: Container, contexts: tuple[str, ...] = tuple(CONTEXTS)) -> None:
    for context in contexts:
        relay = container.relay(context)
        while relay.publish_batch():
            pass
        relay.close()


def project_from_kafka(container: Container, names: list[str] | None = None) -> None:
    for name in names or list(PROJECTION_CLASSES):
        projector = container.projector(name)
        projector.catch_up()
        projector.source.close()


def project_embedded(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def stored(container: Container, name: str) -> int:
    """How many events the stores hold for the contexts a projection follows."""
    return sum(container.app(c).max_position() for c in container.projection(name).contexts)


def differences_of(report: ReplayReport) -> dict[str, dict[str, list[TableDifferences]]]:
    """projection -> source -> tables that differ from the live view (only those with any)."""
    found: dict[str, dict[str, list[TableDifferences]]] = {}
    for name, p in report.projections.items():
        for side in (p.kafka, p.store):
            if side.differences:
                found.setdefault(name, {})[side.source] = side.differences
    return found


def aside_tables(container: Container) -> list[str]:
    """Tables the replay set aside and left behind (it should leave none)."""
    with container.view_db.transaction() as tx:
        if container.view_db.is_postgres:
            rows = tx.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        else:
            rows = tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = [r[0] for r in rows.fetchall()]
    return [n for n in names if n.endswith((LIVE_SUFFIX, *REBUILT_SUFFIX.values()))]


def one_student(container: Container) -> tuple[str, int]:
    with container.view_db.transaction() as tx:
        row = tx.execute("SELECT student_id, cohort FROM progress_students ORDER BY student_id").fetchone()
    assert row is not None
    return row[0], row[1]


# -- with the real broker -----------------------------------------------------------------------------------
@pytest.fixture
def kafka_container(tmp_path: Path, kafka_bootstrap: str, sqlite_demo_template: Template) -> Iterator[Container]:
    """The demo stored (the SQLite files seeded once, copied: tests/conftest.py), with topics of its own."""
    shutil.copytree(sqlite_demo_template.data_dir, tmp_path / "var")
    container = Container(make_settings(tmp_path / "var", None, kafka_bootstrap))
    container.ensure_topics()
    yield container
    container.close()


@pytest.fixture
def demo_on_kafka(kafka_container: Container, sqlite_demo_template: Template) -> DemoIds:
    """The demo stored, relayed to the broker, and every projection caught up from Kafka."""
    relay_everything(kafka_container)
    project_from_kafka(kafka_container)
    return sqlite_demo_template.ids


@pytest.mark.kafka
def test_given_the_demo_relayed_twice_and_every_projection_caught_up_from_kafka_when_replayed_then_both_sources_match_every_live_view(
    kafka_container: Container,
) -> None:
    relay_everything(kafka_container)
    relay = kafka_container.relay("placements")
    relay.positions.set(0)  # at least once: every placements event is on the topic twice
    while relay.publish_batch():
        pass
    relay.close()
    project_from_kafka(kafka_container)
    placements = kafka_container.placements.max_position()

    report = replay_all(kafka_container)

    assert report.ok and not report.has_differences and report.errors == [], json.dumps(report.to_dict(), default=str)
    assert report.kafka == "compared" and set(report.projections) == set(PROJECTION_CLASSES)
    for name, p in report.projections.items():
        events = stored(kafka_container, name)
        follows_placements = "placements" in kafka_container.projection(name).contexts
        assert p.fed_by == ["kafka"] and p.kafka_and_store_agree is True
        assert (p.kafka.as_of, p.store.as_of) == ("live offsets", "live aggregate versions")
        assert p.kafka.events_read == events + (placements if follows_placements else 0)
        assert p.kafka.duplicates == (placements if follows_placements else 0)
        assert p.kafka.events_applied == p.store.events_applied == p.store.events_read == events > 0
        assert p.kafka.beyond_live == p.store.beyond_live == 0
    assert report.to_dict()["projections"]["progress"]["kafka"]["matches"] is True  # the report is JSON as it is
    json.dumps(report.to_dict())
    assert aside_tables(kafka_container) == []


@pytest.mark.kafka
def test_given_one_row_of_the_live_progress_view_changed_by_hand_when_replayed_then_both_sources_list_exactly_that_row_and_agree_with_each_other(
    kafka_container: Container, demo_on_kafka: DemoIds,
) -> None:
    student, cohort = one_student(kafka_container)
    with kafka_container.view_db.transaction() as tx:
        tx.execute("UPDATE progress_students SET cohort = 1999 WHERE student_id = ?", (student,))

    report = replay_all(kafka_container)

    assert not report.ok and report.errors == []
    found = differences_of(report)
    assert set(found) == {"progress"} and set(found["progress"]) == {"kafka", "store"}
    for source, tables in found["progress"].items():
        assert [t.table for t in tables] == ["progress_students"], source
        (table,) = tables
        assert table.counts == {"only_live": 0, "only_rebuilt": 0, "different": 1}
        assert (table.only_left, table.only_right) == ([], [])
        assert [(d.key, d.columns) for d in table.different] == [({"student_id": student}, {"cohort": (1999, cohort)})]
    assert report.projections["progress"].kafka_and_store_agree is True  # so it is the live view that was changed
    listed = report.to_dict()["projections"]["progress"]["store"]["differences"]
    assert listed == [{"table": "progress_students", "counts": {"only_live": 0, "only_rebuilt": 0, "different": 1},
                       "only_live": [], "only_rebuilt": [],
                       "different": [{"key": {"student_id": student},
                                      "columns": {"cohort": {"live": 1999, "rebuilt": cohort}}}]}]


@pytest.mark.kafka
def test_given_events_relayed_but_not_projected_and_events_not_yet_relayed_when_replayed_then_each_view_is_compared_as_of_what_it_applied(
    kafka_container: Container, demo_on_kafka: DemoIds, admin: CommandContext,
) -> None:
    app = kafka_container.placements
    enterprise = app.register_enterprise(admin, name="Weichai Power")  # relayed, not projected
    relay_everything(kafka_container, ("placements",))
    app.open_centre(admin, enterprise_id=enterprise.id, name="Engine Hall", address="197 Fushou East Street",
                    capacity=8, specialities=["mechatronics"])  # stored, not relayed
    with kafka_container.view_db.transaction() as tx:  # credit_statements: as if its projector never ran
        tx.execute("DELETE FROM projection_offsets WHERE projection = 'credit_statements'")
        for table in kafka_container.projection("credit_statements").all_tables():
            tx.execute(f"DELETE FROM {table}")

    report = replay_all(kafka_container)

    assert report.ok, json.dumps(report.to_dict(), default=str)
    for name, p in report.projections.items():
        follows_placements = "placements" in kafka_container.projection(name).contexts
        if name == "credit_statements":
            assert p.fed_by == [] and p.live_offsets == {}
            assert p.kafka.events_applied == p.store.events_applied == 0
            # it follows placements too (a student's erasure): the placements event not yet relayed is in the store
            assert p.kafka.beyond_live + 1 == p.store.beyond_live == stored(kafka_container, name) > 0
        else:
            assert p.fed_by == ["kafka"]
            assert p.kafka.beyond_live == (1 if follows_placements else 0)
            assert p.store.beyond_live == (2 if follows_placements else 0)
            assert p.kafka.events_applied == p.store.events_applied == stored(kafka_container, name) - p.store.beyond_live
        assert p.kafka.matches and p.store.matches and p.kafka_and_store_agree


@pytest.mark.kafka
def test_given_the_live_views_catching_up_while_the_replay_runs_then_they_are_compared_as_frozen_at_its_start(
    tmp_path: Path, kafka_container: Container, demo_on_kafka: DemoIds, admin: CommandContext,
) -> None:
    app = kafka_container.placements
    enterprise = app.register_enterprise(admin, name="Weichai Power")
    app.open_centre(admin, enterprise_id=enterprise.id, name="Engine Hall", address="197 Fushou East Street",
                    capacity=8, specialities=["mechatronics"])
    relay_everything(kafka_container, ("placements",))
    projector_process = Container(kafka_container.settings)  # as the live projectors would, from elsewhere
    calls: list[tuple[str, str]] = []

    def live_projectors_move_on(projection: str, source: str, read: int, total: int) -> None:
        if not calls:
            project_from_kafka(projector_process)
        calls.append((projection, source))

    try:
        report = replay_all(kafka_container, on_progress=live_projectors_move_on)
        moved = replay_all(kafka_container)
    finally:
        projector_process.close()

    assert calls and report.ok, json.dumps(report.to_dict(), default=str)
    assert report.projections["centres"].kafka.beyond_live == 2  # as frozen: the two new events not applied yet
    assert moved.ok and moved.projections["centres"].kafka.beyond_live == 0


@pytest.mark.kafka
def test_given_a_record_on_the_topic_that_the_store_never_held_when_replayed_then_kafka_matches_the_live_view_and_the_store_lists_what_differs(
    kafka_container: Container, demo_on_kafka: DemoIds,
) -> None:
    topic = kafka_container.settings.topic("placements")
    bootstrap = kafka_container.settings.kafka_bootstrap_servers or ""
    changed = next(r for r in read_topic(bootstrap, topic)
                   if dict(r.headers)["ce_type"] == b"dualtrack.placements.CentreCapacityChanged.v1")
    centre = dict(changed.headers)["ce_subject"].decode()
    version = kafka_container.placements.repository.get(UUID(centre)).version
    forged_headers = [(k, f"{centre}:{version + 1}".encode() if k == "ce_id" else v) for k, v in changed.headers]
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topic, key=changed.key, value=json.dumps({**json.loads(changed.value), "capacity": 99}).encode(),
                  headers=forged_headers).get(timeout=10)
    producer.close()
    project_from_kafka(kafka_container, ["centres"])

    report = replay_all(kafka_container)

    centres = report.projections["centres"]
    assert centres.kafka.matches and not centres.store.matches and centres.kafka_and_store_agree is False
    by_table = {t.table: t for t in centres.store.differences}
    capacity = by_table["centres_centres"].different
    assert [(d.key, d.columns["capacity"]) for d in capacity] == [({"centre_id": centre}, (99, 15))]
    assert [(d.key, d.columns) for d in by_table["centres_versions"].different] == [
        ({"aggregate_id": centre}, {"version": (version + 1, version)})]
    assert {t.table for t in centres.agreement or []} == {"centres_centres", "centres_versions"}


# -- without a broker: the stores, on SQLite and PostgreSQL -------------------------------------------------
@pytest.fixture
def container(seeded: Seeded) -> Container:
    """The demo stored on SQLite files or PostgreSQL, seeded once per database kind and copied (tests/conftest.py)."""
    return seeded.container


@pytest.fixture
def embedded_demo(seeded: Seeded) -> DemoIds:
    project_embedded(seeded.container)
    return seeded.ids


def test_given_no_broker_and_views_fed_from_the_stores_when_rows_are_changed_deleted_and_added_then_kafka_is_reported_skipped_and_the_store_side_lists_each_row(
    container: Container, embedded_demo: DemoIds,
) -> None:
    student, cohort = one_student(container)
    with container.view_db.transaction() as tx:
        tx.execute("UPDATE progress_students SET cohort = 1999 WHERE student_id = ?", (student,))
        mentor = tx.execute("SELECT centre_id, mentor_id, assigned_at FROM centres_mentors "
                            "ORDER BY centre_id, mentor_id").fetchone()
        assert mentor is not None
        tx.execute("DELETE FROM centres_mentors WHERE centre_id = ? AND mentor_id = ?", mentor[:2])
        tx.execute("INSERT INTO placement_register_schools (school_id, name, code, rule_set) "
                   "VALUES ('forged-school', 'Nowhere College', 'NWC', 'default')")

    report = replay_all(container)

    assert report.kafka.startswith("skipped") and "KAFKA_BOOTSTRAP_SERVERS" in report.kafka
    assert not report.ok and report.errors == []
    for p in report.projections.values():
        assert p.kafka.status == "skipped" and not p.kafka.matches and p.kafka_and_store_agree is None
        assert p.to_dict()["kafka"] == {"status": "skipped", "reason": p.kafka.reason}
        assert p.fed_by == ["store"] and p.store.as_of == "live offsets"
    found = differences_of(report)
    assert {name: {s: [t.table for t in ts] for s, ts in by.items()} for name, by in found.items()} == {
        "progress": {"store": ["progress_students"]},
        "centres": {"store": ["centres_mentors"]},
        "placement_register": {"store": ["placement_register_schools"]},
    }
    (changed,) = found["progress"]["store"][0].different
    assert (changed.key, changed.columns) == ({"student_id": student}, {"cohort": (1999, cohort)})
    deleted = found["centres"]["store"][0]
    assert deleted.counts == {"only_live": 0, "only_rebuilt": 1, "different": 0}
    assert deleted.only_right == [dict(zip(["centre_id", "mentor_id", "assigned_at"], mentor))]
    added = found["placement_register"]["store"][0]
    assert added.counts == {"only_live": 1, "only_rebuilt": 0, "different": 0}
    assert added.only_left == [{"school_id": "forged-school", "name": "Nowhere College", "code": "NWC",
                                "rule_set": "default"}]
    assert aside_tables(container) == []


def test_given_many_rows_changed_when_replayed_then_the_listing_is_capped_and_the_count_is_complete(
    container: Container, embedded_demo: DemoIds,
) -> None:
    with container.view_db.transaction() as tx:
        tx.execute("UPDATE progress_practice_entries SET last_actor = 'edited'")
        total = tx.execute("SELECT COUNT(*) FROM progress_practice_entries").fetchone()[0]  # type: ignore[index]
    assert total > 3

    report = replay_all(container, kafka=False, max_listed=3)

    assert report.kafka == "skipped: not asked (--no-kafka)"
    (table,) = report.projections["progress"].store.differences
    assert table.counts == {"only_live": 0, "only_rebuilt": 0, "different": total}
    assert len(table.different) == 3 and all(set(d.columns) == {"last_actor"} for d in table.different)
    keys = [d.key["entry_id"] for d in table.different]
    assert keys == sorted(keys)


def test_given_every_table_definition_of_every_projection_then_its_columns_and_primary_key_are_those_sqlite_creates() -> None:
    db = sqlite3.connect(":memory:")
    for projection in PROJECTION_CLASSES.values():
        for table, definition in projection().all_tables().items():
            db.execute(f"CREATE TABLE {table} ({definition})")
            info = db.execute(f"PRAGMA table_info({table})").fetchall()  # cid, name, type, notnull, default, pk
            key = [name for *_, pk, name in sorted((pk, cid, name) for cid, name, _, _, _, pk in info if pk)]
            assert columns_and_key(definition) == ([name for _, name, *_ in info], key), table
    db.close()
    assert columns_and_key("a TEXT, b NUMERIC(10, 2)") == (["a", "b"], ["a", "b"])  # no key: the whole row

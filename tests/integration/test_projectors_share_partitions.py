"""Projectors of one projection share its partitions (a Kafka consumer group), fenced by epochs in the view database:
a projector that lost a partition applies nothing of it, and a rebalance neither loses nor repeats an event. On the
real broker, on SQLite and PostgreSQL views."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.partitions import Fenced, advance, rows_of, take
from dualtrack.messaging.projector import Projector
from dualtrack.messaging.rebuild import verify
from services.common.identity import CommandContext
from services.common.projection import ensure_offsets_table
from tests.conftest import make_settings
from tests.e2e.conftest import store_many_events, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

NAME = "centres"


@pytest.fixture
def kcontainer(tmp_path: Path, database_url: str | None, kafka_bootstrap: str) -> Iterator[Container]:
    c = Container(make_settings(tmp_path / "var", database_url, kafka_bootstrap))
    c.ensure_topics()
    yield c
    c.close()


def record_and_relay(container: Container, admin: CommandContext, count: int) -> int:
    stored = store_many_events(container, admin, count)
    relay = container.relay("placements")
    while relay.publish_batch():
        pass
    relay.close()
    return stored


def view_state(container: Container) -> tuple[str, dict]:
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return container.projection(NAME).digest(tx), {p: r.next_offset for p, r in rows_of(tx, NAME).items()}


def applied_once(*projectors: Projector) -> tuple[int, int]:
    """(events applied, events read that had been applied before) by all of them together."""
    return (sum(p.progress.applied for p in projectors), sum(p.progress.skipped for p in projectors))


class Running:
    """A shared projector running in a thread of its own, as `dualtrack project` runs it."""

    def __init__(self, container: Container, holder: str) -> None:
        self.projector: Projector = container.projector(NAME, shared=True, holder=holder)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.projector.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def held(self) -> set[tuple[str, int]]:
        return set(self.projector.epochs)

    def leave(self) -> None:
        self.stop.set()
        self.thread.join(30)
        self.projector.close()


def ends_of(container: Container) -> dict[tuple[str, int], int]:
    source = container.source(container.projection(NAME))
    try:
        return dict(source.end_offsets())
    finally:
        source.close()


def caught_up(container: Container, ends: dict[tuple[str, int], int]) -> bool:
    _, offsets = view_state(container)
    return all(offsets.get(p, 0) >= end for p, end in ends.items())


def shared_out(container: Container, *running: Running) -> bool:
    """Each holds some partitions, none holds one another holds, all nine are held, and the view database says so."""
    held = [r.held() for r in running]
    if not all(held) or sum(len(h) for h in held) != 9 or len(set().union(*held)) != 9:
        return False
    with container.view_db.transaction() as tx:
        rows = rows_of(tx, NAME)
    return all(rows[p].holder == r.projector.holder and rows[p].epoch == r.projector.epochs.get(p)
               for r, h in zip(running, held, strict=True) for p in h)


# -- fencing ----------------------------------------------------------------------------------------------------
def test_given_a_projector_whose_partitions_another_took_when_it_applies_what_it_reads_then_nothing_changes(
        kcontainer: Container, admin: CommandContext) -> None:
    record_and_relay(kcontainer, admin, 300)
    zombie = kcontainer.projector(NAME, holder="zombie", batch_size=100)
    first_batch = zombie.step(timeout=5)
    assert first_batch > 0  # it held every partition and applied a first batch
    successor = kcontainer.projector(NAME, holder="successor")  # takes every partition at a new epoch
    before = view_state(kcontainer)
    for _ in range(5):
        zombie.step(timeout=1)
    assert view_state(kcontainer) == before, "the zombie changed neither a row nor an offset"
    assert zombie.epochs == {} and zombie.progress.applied == first_batch, "it let go of every partition"
    successor.catch_up()
    zombie.source.close()
    successor.source.close()
    assert applied_once(zombie, successor) == (300, 0)
    assert verify(kcontainer, NAME).matches


def test_given_a_partition_taken_again_when_the_old_epoch_moves_its_offset_then_it_is_refused_and_rolled_back(
        kcontainer: Container) -> None:
    partition = (kcontainer.settings.topic("placements"), 0)
    with kcontainer.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        first = take(tx, NAME, [partition], "first")[partition]
    with kcontainer.view_db.transaction() as tx:
        second = take(tx, NAME, [partition], "second")[partition]
    assert second.epoch == first.epoch + 1
    with pytest.raises(Fenced), kcontainer.view_db.transaction() as tx:
        tx.execute("CREATE TABLE written_by_the_zombie (x INTEGER)")
        advance(tx, NAME, {partition: 50}, {partition: first.epoch})
    with kcontainer.view_db.transaction() as tx:
        row = rows_of(tx, NAME)[partition]
        advance(tx, NAME, {partition: 7}, {partition: second.epoch})
    assert (row.next_offset, row.epoch, row.holder) == (0, second.epoch, "second")
    with kcontainer.view_db.transaction() as tx:
        tx.execute("CREATE TABLE written_by_the_zombie (x INTEGER)")  # it was rolled back: no such table yet
        assert rows_of(tx, NAME)[partition].next_offset == 7


# -- sharing ----------------------------------------------------------------------------------------------------
def test_given_two_projectors_of_a_projection_then_they_split_its_partitions_and_a_rebalance_loses_or_repeats_nothing(
        kcontainer: Container, admin: CommandContext) -> None:
    total = record_and_relay(kcontainer, admin, 1_000)
    first = Running(kcontainer, "first")
    wait_for(lambda: len(first.held()) == 9, 60, "the first projector to hold all nine partitions")
    second = Running(kcontainer, "second")
    try:
        wait_for(lambda: shared_out(kcontainer, first, second), 60, "the two projectors to share the partitions")
        total += record_and_relay(kcontainer, admin, 1_000)  # applied while they share
        ends = ends_of(kcontainer)
        wait_for(lambda: caught_up(kcontainer, ends), 60, "the shared projectors to catch up")
        first.leave()  # its partitions go to the second
        total += record_and_relay(kcontainer, admin, 1_000)
        ends = ends_of(kcontainer)
        wait_for(lambda: len(second.held()) == 9 and caught_up(kcontainer, ends), 60,
                 "the second projector to take every partition and catch up")
    finally:
        first.leave()
        second.leave()
    assert applied_once(first.projector, second.projector) == (total, 0), "every event applied once"
    assert verify(kcontainer, NAME).matches
    with kcontainer.view_db.transaction() as tx:
        rows = rows_of(tx, NAME).values()
    assert {row.holder for row in rows} == {None}, "both let their partitions go when they stopped"
    assert (sum(r.applied for r in rows), sum(r.duplicates for r in rows)) == (total, 0), "as the view counted them"


def test_given_an_event_the_database_refuses_amid_a_batch_then_the_projector_stops_naming_that_event(
        kcontainer: Container, admin: CommandContext) -> None:
    from kafka import KafkaProducer

    from dualtrack.messaging.projector import PoisonMessage

    record_and_relay(kcontainer, admin, 40)
    topic = kcontainer.settings.topic("placements")
    producer = KafkaProducer(bootstrap_servers=kcontainer.settings.kafka_bootstrap_servers)
    headers = [("ce_id", b"bad:1"), ("ce_type", b"dualtrack.placements.CentreOpened.v1"), ("ce_source", b"/x"),
               ("ce_subject", b"bad"), ("ce_time", b"2026-01-01T00:00:00+00:00")]
    refused = b'{"enterprise_id": "e", "name": null, "address": "a", "capacity": 1, "specialities": []}'
    sent = producer.send(topic, value=refused, headers=headers, partition=0).get(timeout=10)
    producer.close()
    record_and_relay(kcontainer, admin, 40)  # more events after it in the same partition, in the same batch
    projector = kcontainer.projector(NAME)
    with pytest.raises(PoisonMessage, match=rf"bad:1 at {topic}\[0\]@{sent.offset}:"):
        projector.catch_up()
    projector.source.close()
    assert projector.offsets[(topic, 0)] <= sent.offset

"""A rebuild from Kafka reads its partitions in parallel processes into the aside tables and swaps them in once all
are done: the same rows as a rebuild in one process, whether its workers were forked (the rebuilding process runs no
other thread, as `dualtrack projections rebuild`) or started afresh; a worker that stops leaves the live view
untouched."""

from __future__ import annotations

import multiprocessing
import re
import threading
from typing import Any

import pytest
from kafka import KafkaProducer

from dualtrack.bootstrap import Container
from dualtrack.messaging.rebuild import RebuildFailed, rebuild, verify
from services.common.identity import CommandContext
from services.common.projection import ensure_offsets_table, stored_offsets
from tests.integration.test_projectors_share_partitions import kcontainer, record_and_relay  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

NAME = "centres"


def digest(container: Container) -> str:
    with container.view_db.transaction() as tx:
        return container.projection(NAME).digest(tx)


def test_given_relayed_events_when_rebuilt_by_three_processes_then_the_view_is_the_one_a_single_process_builds(
        kcontainer: Container, admin: CommandContext) -> None:
    stored = record_and_relay(kcontainer, admin, 1_500)
    alone = rebuild(kcontainer, NAME, workers=1)
    single = digest(kcontainer)
    with another_thread_running():
        shared = rebuild(kcontainer, NAME, workers=3, parallel_from=0)
    assert (alone.workers, shared.workers, shared.forked) == (1, 3, False)
    assert shared.events == alone.events == stored
    assert digest(kcontainer) == single
    with kcontainer.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        assert stored_offsets(tx, NAME) == alone.offsets == shared.offsets
    assert sum(shared.offsets.values()) == stored
    assert verify(kcontainer, NAME, workers=3, parallel_from=0).matches


def rebuilt_by_a_process_of_one_thread(settings: Any, results: Any) -> None:
    """In a fresh interpreter (spawned: one thread, as the command line's), rebuild in three processes."""
    container = Container(settings)
    try:
        report = rebuild(container, NAME, workers=3, parallel_from=0)
        results.put((report.workers, report.forked, report.events, digest(container)))
    except RebuildFailed as failure:
        results.put(str(failure))
    finally:
        container.close()


def in_a_process_of_one_thread(container: Container) -> Any:
    """What rebuilt_by_a_process_of_one_thread says: the report's figures and the digest, or why it failed."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=rebuilt_by_a_process_of_one_thread, args=(container.settings, results))
    child.start()
    said = results.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    return said


def test_given_a_rebuilding_process_of_one_thread_when_rebuilt_in_parallel_then_its_workers_are_forked_and_agree(
        kcontainer: Container, admin: CommandContext) -> None:
    stored = record_and_relay(kcontainer, admin, 1_500)
    rebuild(kcontainer, NAME, workers=1)
    single = digest(kcontainer)
    workers, forked, events, rebuilt = in_a_process_of_one_thread(kcontainer)
    assert (workers, forked, events) == (3, True, stored)
    assert rebuilt == single == digest(kcontainer)


class another_thread_running:  # named to read as a `with` phrase
    """A thread of this process waits meanwhile: the rebuild may not fork."""

    def __enter__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stop.wait)
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def test_given_a_poison_message_when_rebuilt_in_parallel_then_it_fails_naming_where_and_the_live_view_stays(
        kcontainer: Container, admin: CommandContext) -> None:
    record_and_relay(kcontainer, admin, 600)
    rebuild(kcontainer, NAME, workers=1)
    before = digest(kcontainer)
    producer = KafkaProducer(bootstrap_servers=kcontainer.settings.kafka_bootstrap_servers)
    producer.send(kcontainer.settings.topic("placements"), value=b"{}", partition=1).get(timeout=10)
    producer.close()
    with pytest.raises(RebuildFailed, match=r"placements\[1\]@\d+"), another_thread_running():
        rebuild(kcontainer, NAME, workers=3, parallel_from=0)
    assert digest(kcontainer) == before
    said = in_a_process_of_one_thread(kcontainer)  # its workers forked
    assert isinstance(said, str) and re.search(r"placements\[1\]@\d+", said), said
    assert digest(kcontainer) == before

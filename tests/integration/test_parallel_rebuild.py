"""A rebuild from Kafka reads its partitions in parallel processes into the aside tables and swaps them in once all
are done: the same rows as a rebuild in one process; a worker that stops leaves the live view untouched."""

from __future__ import annotations

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
    shared = rebuild(kcontainer, NAME, workers=3, parallel_from=0)
    assert (alone.workers, shared.workers) == (1, 3)
    assert shared.events == alone.events == stored
    assert digest(kcontainer) == single
    with kcontainer.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        assert stored_offsets(tx, NAME) == alone.offsets == shared.offsets
    assert sum(shared.offsets.values()) == stored
    assert verify(kcontainer, NAME, workers=3, parallel_from=0).matches


def test_given_a_poison_message_when_rebuilt_in_parallel_then_it_fails_naming_where_and_the_live_view_stays(
        kcontainer: Container, admin: CommandContext) -> None:
    record_and_relay(kcontainer, admin, 600)
    rebuild(kcontainer, NAME, workers=1)
    before = digest(kcontainer)
    producer = KafkaProducer(bootstrap_servers=kcontainer.settings.kafka_bootstrap_servers)
    producer.send(kcontainer.settings.topic("placements"), value=b"{}", partition=1).get(timeout=10)
    producer.close()
    with pytest.raises(RebuildFailed, match=r"placements\[1\]@\d+"):
        rebuild(kcontainer, NAME, workers=3, parallel_from=0)
    assert digest(kcontainer) == before

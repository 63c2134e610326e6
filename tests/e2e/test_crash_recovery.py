"""kill -9 of a relay or a projector at any point loses nothing and applies nothing twice."""

from __future__ import annotations

import signal
import time

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.rebuild import verify
from dualtrack.status import projection_offsets, relay_position
from tests.e2e.conftest import store_many_events, wait_for
from tests.integration.test_pipeline_on_kafka import read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

EVENTS = 40_000


def test_given_a_relay_killed_mid_batch_when_restarted_then_every_event_is_in_kafka_at_least_once(
    e2e_settings, processes, admin
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    total = store_many_events(container, admin, EVENTS)
    first = processes.start("relay", "placements")
    wait_for(lambda: 0 < relay_position(container, "placements") < total, 60, "the relay to be mid-way")
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = relay_position(container, "placements")
    assert killed_at < total
    processes.start("relay", "placements")
    wait_for(lambda: relay_position(container, "placements") == total, 120, "the restarted relay to finish")
    records = read_topic(e2e_settings.kafka_bootstrap_servers, e2e_settings.topic("placements"))
    ids = [dict(r.headers)["ce_id"] for r in records]
    stored_ids = {f"{n.originator_id}:{n.originator_version}".encode() for n in container.placements.notifications(1, total)}
    assert set(ids) == stored_ids
    assert len(ids) >= total
    container.close()


def test_given_a_projector_killed_mid_batch_when_restarted_then_the_view_equals_a_fresh_rebuild(
    e2e_settings, processes, admin
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    total = store_many_events(container, admin, EVENTS)
    relay = container.relay("placements")
    while relay.publish_batch():
        pass
    relay.close()

    def consumed() -> int:
        return sum(projection_offsets(container, "centres").values())

    first = processes.start("project", "centres")
    wait_for(lambda: 0 < consumed() < total, 60, "the projector to be mid-way")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert consumed() < total
    second = processes.start("project", "centres")
    wait_for(lambda: consumed() == total, 120, "the restarted projector to catch up")
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0
    report = verify(container, "centres")
    assert report.matches, (report.live_digest, report.rebuilt_digest)
    with container.view_db.transaction() as tx:
        assert tx.execute("SELECT COUNT(*) FROM centres_centres").fetchone()[0] == len(
            {n.originator_id for n in container.placements.notifications(2, total)}
        )
    container.close()


def test_given_a_projector_running_when_a_second_one_starts_without_share_then_it_refuses(
    e2e_settings, processes
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    first = processes.start("project", "centres")
    wait_for(lambda: bool(projection_offsets(container, "centres")) or first.poll() is None, 30, "the first projector")
    time.sleep(2)  # let it take its lock
    second = processes.start("project", "centres")
    assert second.wait(60) == 4, "the second projector exits with 'already running' (--share would have joined)"
    assert first.poll() is None, "the first one keeps running"
    container.close()

"""After a broker outage the views converge within seconds of the broker answering again: a relay and a projector
run as real processes, the broker is stopped for 20 s while commands are accepted, then started again, and the
time from the broker serving to the view holding every event is measured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings
from services.common.identity import CommandContext
from tests.conftest import make_settings
from tests.e2e.conftest import Processes, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

OUTAGE_SECONDS = 20.0
CONVERGE_WITHIN = 10.0
"""The requirement. Measured from the broker serving metadata again: 0.1 to 0.7 s (with kafka-python's default
reconnect backoff, up to 30 s, it was 7.6 to 21.7 s), so a loaded machine has a wide margin."""


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafkaBroker]:
    """A broker of this test's own, since the test stops and restarts it."""
    broker = LocalKafkaBroker(tmp_path / "broker", cache_dir=Settings.from_env().kafka_cache_dir)
    broker.start()
    yield broker
    broker.stop()


def applied_aggregates(container: Container) -> int:
    """Enterprises the placement register has applied (every event's aggregate version is recorded)."""
    with container.view_db.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS placement_register_versions (aggregate_id TEXT PRIMARY KEY, "
                   "version BIGINT NOT NULL)")
        row = tx.execute("SELECT COUNT(*) FROM placement_register_versions").fetchone()
    return int(row[0]) if row else 0


def test_given_the_broker_away_for_twenty_seconds_when_it_answers_again_then_the_view_holds_every_event_within_ten_seconds(
    own_broker: LocalKafkaBroker, tmp_path: Path, admin: CommandContext,
) -> None:
    settings = make_settings(tmp_path / "var", None, own_broker.bootstrap_servers)
    container = Container(settings)
    container.ensure_topics()
    processes = Processes(settings, tmp_path)
    try:
        processes.start("relay", "placements")
        processes.start("project", "placement_register")
        container.placements.register_enterprise(admin, name="Before")
        wait_for(lambda: applied_aggregates(container) == 1, 60, "the first event in the view")

        own_broker.stop()
        stopped = time.monotonic()
        for i in range(20):
            container.placements.register_enterprise(admin, name=f"During {i}")
            time.sleep(OUTAGE_SECONDS / 20)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        assert applied_aggregates(container) == 1
        assert all(p.poll() is None for p in processes.started), "relay and projector keep running"

        own_broker.start()
        back = time.monotonic()
        wait_for(lambda: applied_aggregates(container) == 21, 120, "the view to hold every event", interval=0.05)
        took = time.monotonic() - back
        print(f"broker back -> view holds every event: {took:.2f}s")
        assert took < CONVERGE_WITHIN, f"the view converged {took:.1f}s after the broker answered again"
    finally:
        processes.stop_all()
        container.close()

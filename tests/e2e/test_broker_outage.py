"""A broker outage stops nothing but the relay, which catches up once the broker is back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings
from dualtrack.status import relay_position
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import Processes, wait_for
from tests.integration.test_pipeline_on_kafka import read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path: Path):
    """A broker of this test's own, since the test stops and restarts it."""
    cache = Settings.from_env().kafka_cache_dir
    broker = LocalKafkaBroker(tmp_path / "broker", cache_dir=cache)
    broker.start()
    yield broker
    broker.stop()


def test_given_the_broker_stopped_then_commands_are_accepted_and_the_relay_catches_up_after(
    e2e_settings, own_broker, tmp_path
) -> None:
    settings = replace(e2e_settings, kafka_bootstrap_servers=own_broker.bootstrap_servers)
    container = Container(settings)
    container.ensure_topics()
    http = create_app(container).test_client()
    admin = bearer(Role.ADMIN, "admin-1")
    processes = Processes(settings, tmp_path)
    try:
        processes.start("relay", "placements")
        assert http.post("/api/v1/enterprises", json={"name": "Before"}, headers=admin).status_code == 201
        wait_for(lambda: relay_position(container, "placements") == 1, 30, "the first event to be published")

        own_broker.stop()
        accepted = [
            http.post("/api/v1/enterprises", json={"name": f"During {i}"}, headers=admin).status_code
            for i in range(20)
        ]
        assert accepted == [201] * 20
        assert relay_position(container, "placements") == 1
        assert processes.started[0].poll() is None, "the relay keeps running while the broker is away"

        own_broker.start()
        wait_for(lambda: relay_position(container, "placements") == 21, 90, "the relay to catch up")
    finally:
        processes.stop_all()
    names = sorted(r.value for r in read_topic(settings.kafka_bootstrap_servers, settings.topic("placements")))
    assert len(set(names)) == 21
    container.close()

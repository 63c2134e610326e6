"""/readyz on a real broker: each projection's lag counts only the topics it follows, so an idle system that has
caught up is ready with zero lag everywhere; a stopped projector or relay makes it not ready, with the reason,
once it is past the lag threshold or has not advanced behind for too long."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from services.common.identity import CommandContext, Role
from tests.conftest import bearer, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

MAX_LAG = 2
MAX_STALL = 0.5


@pytest.fixture
def kcontainer(tmp_path: Path, database_url: str | None, kafka_bootstrap: str):
    c = Container(make_settings(tmp_path / "var", database_url, kafka_bootstrap, ready_max_lag=MAX_LAG,
                                ready_max_stall_seconds=MAX_STALL))
    c.ensure_topics()
    yield c
    c.close()


def relay_everything(container: Container) -> None:
    for context in container.apps():
        relay = container.relay(context)
        try:
            while relay.publish_batch():
                pass
        finally:
            relay.close()


def project_everything(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        projector = container.projector(name)
        projector.catch_up()
        projector.source.close()


def write(container: Container, admin: CommandContext, events: int) -> None:
    app = container.placements
    for i in range(events):
        app.register_enterprise(admin, name=f"Enterprise {i}")


def readyz(client) -> tuple[int, dict]:
    started = time.perf_counter()
    response = client.get("/readyz", headers=bearer(Role.ADMIN, "admin-1"))  # the details are an admin's
    assert time.perf_counter() - started < 2.0, "readyz is polled: it answers quickly"
    return response.status_code, response.get_json()


@pytest.fixture
def caught_up(kcontainer: Container, admin: CommandContext, app_for):
    """A system with events, relayed and projected everywhere, and an HTTP client to it."""
    write(kcontainer, admin, 3)
    enterprise = kcontainer.placements.register_enterprise(admin, name="Haier")
    kcontainer.placements.open_centre(admin, enterprise_id=enterprise.id, name="W", address="A", capacity=4,
                                      specialities=["m"])
    relay_everything(kcontainer)
    project_everything(kcontainer)
    return app_for(kcontainer).test_client()


def test_given_an_idle_caught_up_system_then_it_is_ready_with_zero_lag_for_every_projection_and_relay(
    kcontainer: Container, caught_up
) -> None:
    status, report = readyz(caught_up)
    assert status == 200, report
    assert report["ready"] is True and report["reasons"] == []
    assert report["checks"]["projections"]["lag"] == {name: 0 for name in PROJECTION_CLASSES}
    assert set(report["checks"]["relays"]["lag"].values()) == {0}
    assert report["checks"]["database"]["contexts"]["placements"]["published"] == 5
    time.sleep(MAX_STALL + 0.1)  # idle is not stalled: nothing is behind
    assert readyz(caught_up)[0] == 200


def test_given_a_stopped_projector_when_events_pass_the_threshold_then_it_is_not_ready_naming_the_projections(
    kcontainer: Container, admin: CommandContext, caught_up
) -> None:
    write(kcontainer, admin, MAX_LAG + 1)
    relay_everything(kcontainer)
    status, report = readyz(caught_up)
    assert status == 503 and report["ready"] is False
    lags = report["checks"]["projections"]["lag"]
    following_placements = {n for n, p in PROJECTION_CLASSES.items() if "placements" in p.contexts}
    assert lags == {n: (MAX_LAG + 1 if n in following_placements else 0) for n in PROJECTION_CLASSES}
    assert sorted(report["reasons"]) == sorted(f"projection {n} is {MAX_LAG + 1} events behind (more than {MAX_LAG})"
                                               for n in following_placements)
    project_everything(kcontainer)
    assert readyz(caught_up)[0] == 200


def test_given_a_projector_behind_that_does_not_advance_then_it_turns_not_ready_after_the_stall_time(
    kcontainer: Container, admin: CommandContext, caught_up
) -> None:
    write(kcontainer, admin, 1)
    relay_everything(kcontainer)
    status, report = readyz(caught_up)
    assert status == 200, "one event behind, just seen: under the threshold"
    assert report["checks"]["projections"]["lag"]["placement_register"] == 1
    time.sleep(MAX_STALL + 0.1)
    status, report = readyz(caught_up)
    assert status == 503
    assert any(r.startswith("projection placement_register is 1 events behind and has not advanced")
               for r in report["reasons"])
    project_everything(kcontainer)
    assert readyz(caught_up)[0] == 200


def test_given_a_stopped_relay_then_it_is_not_ready_naming_the_relay(
    kcontainer: Container, admin: CommandContext, caught_up
) -> None:
    write(kcontainer, admin, MAX_LAG + 1)
    status, report = readyz(caught_up)
    assert status == 503
    assert report["checks"]["relays"]["lag"]["placements"] == MAX_LAG + 1
    assert f"relay placements is {MAX_LAG + 1} events behind (more than {MAX_LAG})" in report["reasons"]
    assert report["checks"]["projections"]["lag"]["placement_register"] == 0, "nothing on the topic yet"
    relay_everything(kcontainer)
    project_everything(kcontainer)
    assert readyz(caught_up)[0] == 200

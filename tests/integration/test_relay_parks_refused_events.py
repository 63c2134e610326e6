"""An event Kafka refuses for good never stalls its context: the relay parks it, reports it, publishes every later
event of the other aggregates, holds the later events of its own aggregate behind it, and releases them in order
once the cause is fixed (`dualtrack relay CONTEXT --retry-parked`)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from click.testing import CliRunner
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from dualtrack.bootstrap import Container
from dualtrack.cli import main
from dualtrack.messaging.relay import Relay, make_producer
from dualtrack.status import readiness, store_positions
from services.common.errors import NotFound
from services.common.identity import CommandContext
from services.common.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES
from tests.conftest import TEST_SECRET
from tests.integration.test_pipeline_on_kafka import (
    kcontainer,  # noqa: F401 - a fixture
    read_topic,
)
from toolkit.cloudevents import decode

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

SMALL_LIMIT = 16 * 1024
"""What the broker (the topic's max.message.bytes) or the producer (max_request_size) accepts in this test."""
MANY_SPECIALITIES = sorted(f"{n:02} " + "bogie hall, Qingdao rail vehicle industrial park: " * 19 for n in range(45))
"""About 44 KB in 45 specialities of under 1,000 characters each (every text is bounded: 2,000 characters): a
centre's specialities are published (a figure of the business, docs/published-fields.md), so a centre opened with
them is stored (under MAX_EVENT_BYTES) and becomes a record over SMALL_LIMIT, refused by Kafka. Free text (an
event's reason) is no longer published, so a long reason no longer makes a big record."""


def specialities_of(total_chars: int, each: int = 1000, char: str = "é") -> list[str]:
    """Specialities of `each` characters (within the bound of a text) adding up to about `total_chars`."""
    return [f"{n:04}" + char * (each - 4) for n in range(max(total_chars // each, 1))]


def set_topic_limit(container: Container, limit: int) -> None:
    """Lower the topic's limit and return once the broker applies it: the controller answers as soon as the change
    is committed, and the broker takes it up a moment later; a relay publishing in between had its records taken
    (seen when the machine was busy with other tests)."""
    admin = KafkaAdminClient(bootstrap_servers=container.settings.kafka_bootstrap_servers)
    topic = container.settings.topic("placements")
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": str(limit)})])
        deadline = time.monotonic() + 30
        while topic_limit(admin, topic) != str(limit):
            assert time.monotonic() < deadline, f"the broker never applied max.message.bytes={limit} to {topic}"
            time.sleep(0.05)
    finally:
        admin.close()


def topic_limit(admin: KafkaAdminClient, topic: str) -> str | None:
    """The topic's max.message.bytes as the broker describes it (what its metadata holds)."""
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=["max.message.bytes"])])
    return described.get("topic", {}).get(topic, {}).get("max.message.bytes", {}).get("value")


def relay_refusing(container: Container, refused_by: str) -> Relay:
    """The placements relay, with Kafka refusing records over SMALL_LIMIT: the broker (the topic's limit lowered)
    or the producer (a small max_request_size)."""
    bootstrap = container.settings.kafka_bootstrap_servers or ""
    if refused_by == "broker":
        set_topic_limit(container, SMALL_LIMIT)
        return container.relay("placements")
    return Relay(container.placements, container.settings.topic("placements"), container.relay_positions("placements"),
                 lambda: make_producer(bootstrap, max_request_size=SMALL_LIMIT))


def on_topic(container: Container) -> dict[str, list[int]]:
    """Per aggregate, the versions on the placements topic in the order a consumer reads them."""
    versions: dict[str, list[int]] = {}
    for record in read_topic(container.settings.kafka_bootstrap_servers or "", container.settings.topic("placements")):
        event = decode(record.headers, record.value)
        versions.setdefault(event.subject, []).append(event.aggregate_version)
    return versions


def parked_rows(relay: Relay) -> list[tuple[int, str, int, int | None]]:
    return [(p.position, p.aggregate_id, p.aggregate_version, p.held_behind) for p in relay.positions.parked()]


@pytest.mark.parametrize("refused_by", ["broker", "producer"])
def test_given_an_event_kafka_refuses_then_it_is_parked_and_every_other_aggregate_goes_on_in_order(
    kcontainer: Container, admin: CommandContext, refused_by: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    big = first = app.open_centre(admin, enterprise_id=enterprise.id, name="W1", address="Bogie Hall", capacity=4,
                                  specialities=MANY_SPECIALITIES)
    second = app.open_centre(admin, enterprise_id=enterprise.id, name="W2", address="B", capacity=4, specialities=["m"])
    held = app.change_centre_capacity(admin, first.id, capacity=7, reason="after the big one")
    app.change_centre_capacity(admin, second.id, capacity=8, reason="a second hall")
    later = app.register_enterprise(admin, name="CRRC")
    c1, c2 = str(first.id), str(second.id)

    relay = relay_refusing(kcontainer, refused_by)
    try:
        with caplog.at_level(logging.ERROR, logger="dualtrack.messaging.relay"):
            assert relay.publish_batch() == 6
        assert relay.positions.get() == app.max_position() == 6, "the relay went through the whole log"
        assert parked_rows(relay) == [(big.position, c1, 1, None), (held.position, c1, 2, big.position)]
        assert "MessageSizeTooLargeError" in relay.positions.parked()[0].cause
        parked_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("relay placements: parked")]
        assert len(parked_lines) == 1
        assert all(s in parked_lines[0] for s in ("relay placements", f"position {big.position}", c1,
                                                  "MessageSizeTooLargeError"))
        assert any(f"held position {held.position}" in r.getMessage() for r in caplog.records)

        topic = on_topic(kcontainer)
        assert c1 not in topic, "nothing of the first centre: its opening was refused"
        assert topic[c2] == [1, 2] and topic[str(enterprise.id)] == [1] and topic[str(later.id)] == [1]

        # later events: the parked aggregate's are held too, the others' go out
        app.change_centre_capacity(admin, first.id, capacity=9, reason="later still")
        app.change_centre_capacity(admin, second.id, capacity=10, reason="a third hall")
        assert relay.publish_batch() == 2
        assert [row[2:] for row in parked_rows(relay)] == [(1, None), (2, big.position), (3, big.position)]
        topic = on_topic(kcontainer)
        assert topic[c2] == [1, 2, 3] and c1 not in topic

        projector = kcontainer.projector("centres")
        projector.catch_up()
        projector.source.close()
        assert kcontainer.centres_view.centre_by_id(c2)["capacity"] == 10, "the read model goes on"
        with pytest.raises(NotFound):  # the read model does not know the first centre until its opening is published
            kcontainer.centres_view.centre_by_id(c1)

        placements = store_positions(kcontainer)["placements"]
        assert (placements["parked"], placements["lag"]) == (3, 0)
        assert placements["parked_events"][0]["position"] == big.position
        report = readiness(kcontainer)
        assert not report["ready"]
        assert any(r.startswith("relay placements parked 3 event(s)") and c1 in r for r in report["reasons"])

        # fixed: the parked events go out, in order, and nothing stays parked
        if refused_by == "broker":
            set_topic_limit(kcontainer, MAX_RECORD_BYTES)
        else:
            relay.close()
            relay = kcontainer.relay("placements")
        assert relay.retry_parked() == (3, 0)
        assert relay.positions.parked() == []
        assert on_topic(kcontainer)[c1] == [1, 2, 3]
        app.change_centre_capacity(admin, first.id, capacity=11, reason="back to normal")
        assert relay.publish_batch() == 1
        assert on_topic(kcontainer)[c1] == [1, 2, 3, 4]
    finally:
        relay.close()
    projector = kcontainer.projector("centres")
    projector.catch_up()
    projector.source.close()
    assert kcontainer.centres_view.centre_by_id(c1)["capacity"] == 11
    assert kcontainer.centres_view.centre_by_id(c1)["specialities"] == MANY_SPECIALITIES
    assert not any("relay placements" in r for r in readiness(kcontainer)["reasons"])


def test_given_a_parked_event_still_refused_when_retried_then_it_and_its_aggregate_stay_parked(
    kcontainer: Container, admin: CommandContext
) -> None:
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    big = centre = app.open_centre(admin, enterprise_id=enterprise.id, name="W", address="Bogie Hall", capacity=4,
                                   specialities=MANY_SPECIALITIES)
    held = app.change_centre_capacity(admin, centre.id, capacity=7, reason="after the big one")
    relay = relay_refusing(kcontainer, "broker")
    try:
        relay.publish_batch()
        assert relay.retry_parked() == (0, 2)
        assert [(p.position, p.held_behind) for p in relay.positions.parked()] == [
            (big.position, None), (held.position, big.position)]
        assert str(centre.id) not in on_topic(kcontainer)
    finally:
        relay.close()
    restarted = kcontainer.relay("placements")  # a restarted relay still holds the aggregate behind its parked event
    try:
        app.change_centre_capacity(admin, centre.id, capacity=8, reason="later")
        assert restarted.publish_batch() == 1
        assert len(restarted.positions.parked()) == 3
    finally:
        restarted.close()


def test_given_an_event_just_under_the_stored_cap_then_the_relay_publishes_it_on_topics_as_created(
    kcontainer: Container, admin: CommandContext
) -> None:
    """The three limits agree: what the store accepts, the producer sends and the topic keeps."""
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    # published: the record takes about as many bytes as the event ("é" is two bytes; each item adds a few)
    specialities = specialities_of((MAX_EVENT_BYTES - 8_000) // 2)
    centre = app.open_centre(admin, enterprise_id=enterprise.id, name="W", address="Bogie Hall", capacity=4,
                             specialities=specialities)
    app.change_centre_capacity(admin, centre.id, capacity=6, reason="a bigger hall")
    relay = kcontainer.relay("placements")
    try:
        assert relay.publish_batch() == 3
        assert relay.positions.parked() == []
    finally:
        relay.close()
    assert on_topic(kcontainer)[str(centre.id)] == [1, 2]


def test_given_parked_events_then_the_status_command_lists_them_and_retry_parked_releases_them_once_fixed(
    kcontainer: Container, admin: CommandContext
) -> None:
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    big = centre = app.open_centre(admin, enterprise_id=enterprise.id, name="W", address="Bogie Hall", capacity=4,
                                   specialities=MANY_SPECIALITIES)
    app.change_centre_capacity(admin, centre.id, capacity=7, reason="after the big one")
    kcontainer.credentials.list_certificate(admin, code="X-MEC", title="Mechatronics", awarding_organisation="Haier",
                                            levels=[{"level": "junior", "credits": 4, "requirements": []}])
    relay = relay_refusing(kcontainer, "broker")
    credentials_relay = kcontainer.relay("credentials")
    try:
        relay.publish_batch()
        assert credentials_relay.publish_batch() == 1
    finally:
        relay.close()
        credentials_relay.close()
    settings = kcontainer.settings
    env = {"DUALTRACK_DATA_DIR": str(settings.data_dir), "DUALTRACK_DATABASE_URL": settings.database_url or "",
           "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "", "DUALTRACK_SECRET_KEY": TEST_SECRET,
           "DUALTRACK_TOPIC_PREFIX": settings.topic_prefix}
    runner = CliRunner()

    status = json.loads(runner.invoke(main, ["projections", "status"], env=env).output)
    placements = status["contexts"]["placements"]
    assert (placements["parked"], placements["parked_events"][0]["position"]) == (2, big.position)
    assert status["projections"]["placement_register"]["lag"] == 1, "the event before the parked one, not the certificate"
    assert status["projections"]["credit_statements"]["lag"] == 2, "the certificate too: it follows both topics"

    still_refused = runner.invoke(main, ["relay", "placements", "--retry-parked"], env=env)
    assert still_refused.exit_code == 1, still_refused.output
    assert "0 parked event(s) published, 2 still parked" in still_refused.output
    assert "MessageSizeTooLargeError" in still_refused.output

    running = kcontainer.relay("placements")
    try:
        refused = runner.invoke(main, ["relay", "placements", "--retry-parked"], env=env)
        assert refused.exit_code == 1 and "already running" in refused.output
    finally:
        running.close()

    set_topic_limit(kcontainer, MAX_RECORD_BYTES)
    released = runner.invoke(main, ["relay", "placements", "--retry-parked"], env=env)
    assert released.exit_code == 0, released.output
    assert "2 parked event(s) published, 0 still parked" in released.output
    assert on_topic(kcontainer)[str(centre.id)] == [1, 2]
    assert json.loads(runner.invoke(main, ["projections", "status"], env=env).output)["contexts"]["placements"][
        "parked"] == 0

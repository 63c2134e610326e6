"""The pipeline on a real broker: store -> relay -> Kafka (CloudEvents) -> projector -> view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from dualtrack.bootstrap import Container
from dualtrack.messaging.positions import RelayAlreadyRunning
from dualtrack.messaging.rebuild import rebuild, verify
from services.common.identity import CommandContext
from tests.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


@pytest.fixture
def kcontainer(tmp_path: Path, database_url: str | None, kafka_bootstrap: str):
    c = Container(make_settings(tmp_path / "var", database_url, kafka_bootstrap))
    c.ensure_topics()
    yield c
    c.close()


def read_topic(bootstrap: str, topic: str) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(parts)
        records = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_given_stored_events_when_relayed_then_the_topic_holds_cloudevents_with_json_payloads(kcontainer, admin) -> None:
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    app.open_centre(admin, enterprise_id=enterprise.id, name="W", address="A", capacity=4, specialities=["mech"])
    relay = kcontainer.relay("placements")
    assert relay.publish_batch() == 2
    relay.close()
    records = read_topic(kcontainer.settings.kafka_bootstrap_servers, kcontainer.settings.topic("placements"))
    by_type = {dict(r.headers)["ce_type"].decode(): r for r in records}
    opened = by_type["dualtrack.placements.CentreOpened.v1"]
    headers = dict(opened.headers)
    assert headers["ce_specversion"] == b"1.0" and headers["content-type"] == b"application/json"
    assert headers["ce_source"] == b"/dualtrack/placements"
    assert json.loads(opened.value)["capacity"] == 4
    assert opened.key == headers["ce_subject"]


def test_given_the_topics_then_they_keep_their_records_forever(kcontainer) -> None:
    from kafka import KafkaAdminClient

    admin_client = KafkaAdminClient(bootstrap_servers=kcontainer.settings.kafka_bootstrap_servers)
    try:
        from kafka.admin import ConfigResource, ConfigResourceType

        resource = ConfigResource(ConfigResourceType.TOPIC, kcontainer.settings.topic("placements"))
        described = admin_client.describe_configs([resource])
    finally:
        admin_client.close()
    assert "retention.ms" in repr(described) and "'-1'" in repr(described).replace('"', "'")


def test_given_a_relay_running_when_a_second_one_starts_for_the_same_context_then_it_is_refused(kcontainer) -> None:
    first = kcontainer.relay("placements")
    with pytest.raises(RelayAlreadyRunning):
        kcontainer.relay("placements")
    first.close()
    kcontainer.relay("placements").close()  # free again once the first one stopped


def test_given_relayed_events_when_projected_from_kafka_then_the_view_answers_and_rebuild_and_verify_agree(
    kcontainer, admin: CommandContext
) -> None:
    app = kcontainer.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    centre = app.open_centre(admin, enterprise_id=enterprise.id, name="W", address="A", capacity=4, specialities=["m"])
    app.change_centre_capacity(admin, centre.id, capacity=6, reason="new hall")
    relay = kcontainer.relay("placements")
    relay.publish_batch()
    relay.positions.set(0)  # publish everything a second time: at-least-once delivery
    relay.publish_batch()
    relay.close()
    projector = kcontainer.projector("centres")
    projector.catch_up()
    projector.source.close()
    assert (projector.progress.applied, projector.progress.skipped) == (3, 3)
    assert kcontainer.centres_view.centre_by_id(str(centre.id))["capacity"] == 6
    assert rebuild(kcontainer, "centres").events == 6
    assert kcontainer.centres_view.centre_by_id(str(centre.id))["capacity"] == 6
    assert verify(kcontainer, "centres").matches
    with pytest.raises(ValueError, match="another source"):  # a Kafka-fed view is not verified from the store
        verify(kcontainer, "centres", embedded=True)


@pytest.mark.parametrize("poison", ["not a cloudevent", "payload missing a field"])
def test_given_a_poison_message_then_the_projector_stops_at_it_with_its_position_and_never_skips_it(
    kcontainer, admin, poison
) -> None:
    from kafka import KafkaProducer

    from dualtrack.messaging.projector import PoisonMessage
    from toolkit.cloudevents import NotACloudEvent

    app = kcontainer.placements
    good = app.register_enterprise(admin, name="Haier")
    relay = kcontainer.relay("placements")
    relay.publish_batch()
    relay.close()
    producer = KafkaProducer(bootstrap_servers=kcontainer.settings.kafka_bootstrap_servers)
    headers = [] if poison == "not a cloudevent" else [
        ("ce_id", b"bad:1"), ("ce_type", b"dualtrack.placements.CentreOpened.v1"), ("ce_source", b"/x"),
        ("ce_subject", b"bad"), ("ce_time", b"2026-01-01T00:00:00+00:00")]
    producer.send(kcontainer.settings.topic("placements"), key=str(good.id).encode(), value=b'{"name": "x"}',
                  headers=headers).get(timeout=10)
    producer.close()
    for _restart in range(2):  # a restart stops at the same place again
        projector = kcontainer.projector("centres")
        with pytest.raises((PoisonMessage, NotACloudEvent), match=r"@\d+"):
            projector.catch_up()
        projector.source.close()
    assert projector.progress.applied <= 1

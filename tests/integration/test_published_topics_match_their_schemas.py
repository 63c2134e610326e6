"""On a real broker: every record the relays published for the demo matches the published contract (the AsyncAPI
document's headers schema and the JSON Schema its `ce_dataschema` names), as a consumer reads it from Kafka."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from contracts.asyncapi import asyncapi_document
from contracts.events import BY_EVENT_TOPIC
from dualtrack.bootstrap import Container
from dualtrack.demo import seed_demo
from dualtrack.settings import CONTEXTS
from tests.conftest import make_settings
from tests.integration.test_pipeline_on_kafka import read_topic
from tests.support.event_contract import PublishedContract

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


def test_given_the_demo_relayed_to_kafka_then_every_record_of_every_topic_validates_against_its_schemas(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    container = Container(make_settings(tmp_path / "var", None, kafka_bootstrap))
    try:
        seed_demo(container)
        container.ensure_topics()
        contract = PublishedContract(asyncapi_document(container.settings.topic_prefix))
        types: Counter[str] = Counter()
        for context in CONTEXTS:
            relay = container.relay(context)
            try:
                while relay.publish_batch():
                    pass
            finally:
                relay.close()
            stored = len(container.app(context).notifications(1, 100_000))
            topic = container.settings.topic(context)
            records = read_topic(kafka_bootstrap, topic)
            assert len(records) == stored, context
            by_partition: dict[int, list[str]] = {}
            for r in records:
                types[contract.check(topic, r.key, r.value, r.headers)] += 1
                by_partition.setdefault(r.partition, []).append(dict(r.headers)["ce_sequence"].decode())
            for sequences in by_partition.values():
                assert sequences == sorted(sequences), "a partition's sequences order as text"
        assert set(types) == {c.ce_type for c in BY_EVENT_TOPIC.values()}
    finally:
        container.close()

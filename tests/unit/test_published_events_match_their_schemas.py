"""Every record the relay would publish for the demo matches the published contract: its value validates against the
JSON Schema its `ce_dataschema` names, its headers against its message's headers schema (AsyncAPI document)."""

from __future__ import annotations

from collections import Counter

import jsonschema
import orjson
import pytest

from contracts.asyncapi import asyncapi_document
from contracts.events import BY_EVENT_TOPIC
from dualtrack.bootstrap import Container
from dualtrack.demo import seed_demo
from tests.conftest import make_settings
from tests.support.event_contract import PublishedContract
from toolkit.cloudevents import CloudEventEncoder, OutgoingRecord, decode

pytestmark = pytest.mark.unit



def check(contract: PublishedContract, topic: str, record: OutgoingRecord) -> str:
    return contract.check(topic, record.key, record.value, record.headers)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    container = Container(make_settings(tmp_path_factory.mktemp("demo") / "var", "memory:"))
    seed_demo(container)
    yield container
    container.close()


def test_given_the_seeded_demo_then_every_record_of_every_topic_validates_against_its_published_schemas(demo) -> None:
    contract = PublishedContract(asyncapi_document(demo.settings.topic_prefix))
    types: Counter[str] = Counter()
    for context, app in demo.apps().items():
        encoder = CloudEventEncoder(app, context)
        notifications = list(app.notifications(1, 100_000))
        assert notifications, context
        sequences = []
        for n in notifications:
            record = encoder.encode(n)
            types[check(contract, demo.settings.topic(context), record)] += 1
            sequences.append(dict(record.headers)["ce_sequence"].decode())
        assert all(len(s) == 20 for s in sequences)
        assert [int(s) for s in sequences] == [n.id for n in notifications]
        assert sorted(sequences) == sequences, "as text in log order (CloudEvents sequence)"
    assert set(types) == {c.ce_type for c in BY_EVENT_TOPIC.values()}, "the demo sends every published type"
    assert sum(types.values()) >= 150
    print(f"{sum(types.values())} records of {len(types)} types validated")


def test_given_records_published_before_the_contract_then_decoding_still_reads_them(demo) -> None:
    app = demo.apps()["placements"]
    record = CloudEventEncoder(app, "placements").encode(next(iter(app.notifications(1, 1))))
    old_headers = [(k, str(int(v)).encode() if k == "ce_sequence" else v)
                   for k, v in record.headers if k != "ce_dataschema"]
    old = decode(old_headers, record.value)
    new = decode(record.headers, record.value)
    assert old.dataschema is None and new.dataschema == BY_EVENT_TOPIC["events.placements:EnterpriseRegistered"
                                                                       ].dataschema
    assert old.sequence == new.sequence == record.position
    assert old.extensions["sequence"] == str(record.position)
    assert new.extensions["sequence"] == f"{record.position:020d}"
    assert "dataschema" not in new.extensions, "dataschema is a CloudEvents attribute, not an extension"
    assert (old.data, old.id, old.type) == (new.data, new.id, new.type)
    # and the published headers schema accepts the older records too (they stay on the topics for ever)
    message = asyncapi_document()["components"]["messages"][old.type]
    assert jsonschema.Draft202012Validator(message["headers"]).is_valid({k: v.decode() for k, v in old_headers})


def test_given_positions_up_to_64_bits_then_their_sequences_have_one_width_and_order_as_text(demo) -> None:
    from eventsourcing.persistence import Notification

    app = demo.apps()["placements"]
    n = next(iter(app.notifications(1, 1)))
    encoder = CloudEventEncoder(app, "placements")
    positions = (9, 10, 100, 2**53 + 1, 2**63 - 1)
    sequences = [
        dict(encoder.encode(Notification(originator_id=n.originator_id, originator_version=n.originator_version,
                                         topic=n.topic, state=n.state, id=p)).headers)["ce_sequence"]
        for p in positions
    ]
    assert {len(s) for s in sequences} == {20}
    assert sorted(sequences) == sequences and [int(s) for s in sequences] == list(positions)


def test_given_the_demo_then_the_first_placements_record_names_its_schema(demo) -> None:
    app = demo.apps()["placements"]
    record = CloudEventEncoder(app, "placements").encode(next(iter(app.notifications(1, 1))))
    headers = dict(record.headers)
    assert headers["ce_type"] == b"dualtrack.placements.EnterpriseRegistered.v1"
    assert headers["ce_dataschema"] == b"https://dualtrack.example/schemas/placements/EnterpriseRegistered.v1.json"
    assert headers["ce_sequence"] == b"00000000000000000001"



def test_given_a_record_that_breaks_the_contract_then_the_check_refuses_it(demo) -> None:
    from dataclasses import replace

    contract = PublishedContract(asyncapi_document(demo.settings.topic_prefix))
    app = demo.apps()["placements"]
    record = CloudEventEncoder(app, "placements").encode(next(iter(app.notifications(1, 1))))
    topic = demo.settings.topic("placements")
    assert check(contract, topic, record) == "dualtrack.placements.EnterpriseRegistered.v1"
    broken = [
        replace(record, value=orjson.dumps({**orjson.loads(record.value), "extra": 1})),
        replace(record, value=orjson.dumps({**orjson.loads(record.value), "name": None})),
        replace(record, headers=[(k, b"x" if k == "ce_sequence" else v) for k, v in record.headers]),
        replace(record, headers=[(k, v) for k, v in record.headers if k != "ce_actor"]),
        replace(record, headers=[*record.headers, ("ce_undocumented", b"1")]),
    ]
    for bad in broken:
        with pytest.raises(AssertionError):
            check(contract, topic, bad)
    with pytest.raises(AssertionError):
        check(contract, demo.settings.topic("training"), record)


def test_given_the_published_fields_document_then_it_classifies_every_field_of_every_published_type() -> None:
    """docs/published-fields.md stays true: a row for every payload field of every current type (and no type it
    names that is not published), so a new field cannot reach a topic without being classified."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "published-fields.md").read_text()
    rows: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].startswith("`"):
            continue
        current = cells[0].strip("`") or current
        rows.setdefault(current, {})[cells[1].strip("`")] = cells[2]
    published = {c.ce_type: c for c in BY_EVENT_TOPIC.values()}
    assert set(rows) == set(published)
    for ce_type, contract in published.items():
        classified = {field for field, status in rows[ce_type].items() if not status.startswith("**dropped")}
        assert classified - {"(none)"} == set(contract.schema.fields), ce_type

"""The published event contract: an AsyncAPI 3.0 document of every topic and event type, and a JSON Schema per
event type generated from its marshmallow schema."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from marshmallow import fields

from contracts.asyncapi import asyncapi_document, payload_schemas
from contracts.events import BY_EVENT_TOPIC
from events import CONTEXTS
from events.base import DomainCreated, DomainEvent

pytestmark = pytest.mark.unit

OFFICIAL_SCHEMA = Path(__file__).parents[1] / "support" / "asyncapi" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document("acme.dualtrack")


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_given_the_document_then_it_is_valid_against_the_official_asyncapi_3_schema(document) -> None:
    official = json.loads(OFFICIAL_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(official)
    errors = [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(document)]
    assert not errors, errors
    assert document["asyncapi"] == "3.0.0"
    broken = {**document, "operations": {"x": {"action": "publish", "channel": {"$ref": "#/channels/audit"}}}}
    assert not validator.is_valid(broken), "the official schema does check (AsyncAPI 2's action is refused)"


def test_given_the_document_then_every_reference_resolves_and_every_operation_sends_its_channels_messages(
    document,
) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    for ref in refs:
        resolve(document, ref)
    assert set(document["channels"]) == set(CONTEXTS)
    assert {c["address"] for c in document["channels"].values()} == {f"acme.dualtrack.{c}" for c in CONTEXTS}
    assert len(document["operations"]) == len(CONTEXTS)
    sent = set()
    for name, operation in document["operations"].items():
        assert operation["action"] == "send", name
        channel_ref = operation["channel"]["$ref"]
        channel = resolve(document, channel_ref)
        # AsyncAPI 3: an operation's messages are those of its channel, referenced through the channel
        expected = [f"{channel_ref}/messages/{k}" for k in channel["messages"]]
        assert [m["$ref"] for m in operation["messages"]] == expected
        sent |= {channel["messages"][k]["$ref"] for k in channel["messages"]}
    assert sent == {f"#/components/messages/{c.ce_type}" for c in BY_EVENT_TOPIC.values()}


def test_given_every_event_class_in_events_then_its_context_channel_has_a_message_with_its_payload_schema(
    document,
) -> None:
    classes = []
    for context in CONTEXTS:
        module = importlib.import_module(f"events.{context}")
        classes += [(context, f"{module.__name__}:{cls.__qualname__}") for cls in vars(module).values()
                    if inspect.isclass(cls) and issubclass(cls, (DomainEvent, DomainCreated))
                    and cls.__module__ == module.__name__]
    assert len(classes) >= 50
    for context, topic in classes:
        contract = BY_EVENT_TOPIC.get(topic)
        assert contract is not None, f"{topic} is stored but has no published contract: the relay cannot send it"
        assert contract.context == context
        channel = document["channels"][context]
        message = resolve(document, channel["messages"][f"{contract.name}.v{contract.version}"]["$ref"])
        assert message["name"] == contract.name
        assert message["headers"]["properties"]["ce_type"] == {
            "const": contract.ce_type, "description": message["headers"]["properties"]["ce_type"]["description"]}
        payload = resolve(document, message["payload"]["$ref"])
        assert payload["$id"] == contract.dataschema
        assert payload["type"] == "object" and "properties" in payload


def test_given_the_payload_schemas_then_each_is_a_json_schema_with_a_stable_id_matching_its_marshmallow_schema(
) -> None:
    schemas = payload_schemas()
    assert len(schemas) == len(BY_EVENT_TOPIC)
    for contract in BY_EVENT_TOPIC.values():
        schema = schemas[contract.dataschema]
        assert contract.dataschema == (
            f"https://dualtrack.example/schemas/{contract.context}/{contract.name}.v{contract.version}.json")
        assert schema["$id"] == contract.dataschema
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft7Validator.check_schema(schema)  # AsyncAPI's own schema format reads it alike
        assert schema["additionalProperties"] is False, "the relay writes the schema's fields and nothing else"
        declared = contract.schema.fields
        assert set(schema["properties"]) == set(declared), contract.ce_type
        assert set(schema.get("required", [])) == {n for n, f in declared.items() if f.required}, contract.ce_type
        for name, field in declared.items():
            prop = schema["properties"][name]
            types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            assert ("null" in types) == field.allow_none, f"{contract.ce_type}.{name} nullable"
            if isinstance(field, fields.DateTime):
                assert prop["format"] == "date-time", f"{contract.ce_type}.{name}"
            elif isinstance(field, fields.Date):
                assert prop["format"] == "date", f"{contract.ce_type}.{name}"
            if isinstance(field, fields.List) and isinstance(field.inner, fields.Date):
                assert prop["items"]["format"] == "date", f"{contract.ce_type}.{name}"


def test_given_a_payload_schema_then_it_refuses_what_the_contract_refuses() -> None:
    schema = payload_schemas()[BY_EVENT_TOPIC["events.placements:PlacementProposed"].dataschema]
    good = {"placement_id": "p", "centre_id": "c", "enterprise_id": "e", "kind": "standard", "start": "2026-03-02",
            "planned_end": "2026-06-30", "post": "welder", "weekly_hours": 30, "transferred_from": None,
            "capacity_override_justified": False}  # v2: a flag, never the text
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "surprise": 1}), "no property beyond the contract's"
    assert not validator.is_valid({k: v for k, v in good.items() if k != "start"}), "a required field is required"
    assert not validator.is_valid({**good, "start": "02/03/2026"}), "a date is YYYY-MM-DD"
    assert not validator.is_valid({**good, "weekly_hours": None}), "only nullable fields take null"
    assert validator.is_valid({k: v for k, v in good.items() if k != "transferred_from"}), "an optional field"


def test_given_the_cli_then_dualtrack_asyncapi_prints_the_document_for_the_configured_prefix(monkeypatch) -> None:
    from dualtrack.cli import main

    monkeypatch.setenv("DUALTRACK_TOPIC_PREFIX", "acme.dualtrack")
    result = CliRunner().invoke(main, ["asyncapi"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(asyncapi_document("acme.dualtrack")))

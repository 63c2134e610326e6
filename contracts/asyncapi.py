"""The published event contract: a JSON Schema per event type and the AsyncAPI 3.0 document of every topic.

Each payload schema is generated from the event's marshmallow schema in `contracts.events` by apispec's
marshmallow converter (the one that writes the OpenAPI document), in its OpenAPI 3.1 flavour: a nullable field
is `"type": [..., "null"]`, a date `"format": "date"`, a date-time `"format": "date-time"`, and `required` lists the
fields the schema requires. Every schema has an `$id` (`EventContract.dataschema`:
`https://dualtrack.example/schemas/<context>/<EventType>.v<version>.json`), which each record names in its
`ce_dataschema` header. The relay writes exactly the schema's fields (an optional one as null when it has no value)
and nothing else, hence `"additionalProperties": false`. The keywords used are the common ground of JSON Schema
Draft 07 (AsyncAPI's own schema format) and Draft 2020-12: a validator of either draft reads them alike.

The AsyncAPI document has one channel per context (its address the deployment's topic, `<prefix>.<context>`), one
message per event type (its payload schema, and its Kafka headers, the CloudEvents attributes of the binary
mode, as a JSON Schema object) and one `send` operation per context: its relay.

Nothing personal is published (docs/published-fields.md classifies every field of every type): the info's
description says so, each payload schema is the contract's, and a type whose payload lost a field is a new version.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from contracts.events import BY_EVENT_TOPIC, SEQUENCE_DIGITS, EventContract, ce_source
from events import CONTEXTS
from services.common.identity import Role

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"


def payload_schema(contract: EventContract) -> dict[str, Any]:
    """The JSON Schema of one event type's payload (a record's value), with its `$id`."""
    converted = _converter().schema2jsonschema(contract.schema)
    schema: dict[str, Any] = {"$id": contract.dataschema, "title": contract.ce_type}
    description = type(contract.schema).__doc__
    if description:
        schema["description"] = inspect.cleandoc(description)
    schema.update(converted)
    schema["type"] = "object"
    schema["additionalProperties"] = False  # the relay writes the schema's fields and no others
    return schema


def payload_schemas() -> dict[str, dict[str, Any]]:
    """Every published event type's payload schema, by its `$id`."""
    return {c.dataschema: payload_schema(c) for c in _published()}


def headers_schema(contract: EventContract) -> dict[str, Any]:
    """The Kafka record headers of one event type's records: the CloudEvents attributes (binary mode, Kafka
    protocol binding), each a UTF-8 text value."""
    text = {"type": "string"}
    return {
        "type": "object",
        "description": "Kafka record headers: the CloudEvents 1.0 attributes of the Kafka protocol binding, binary "
                       "content mode (`ce_` and the attribute's name), each value UTF-8 text. Ignore headers you do "
                       "not know: more CloudEvents extensions may come.",
        "properties": {
            "ce_specversion": {"const": "1.0", "description": "CloudEvents specversion."},
            "ce_id": {**text, "pattern": "^.+:[1-9][0-9]*$", "description":
                      "`<subject>:<aggregate version>`, unique per event. The relay delivers at least once: "
                      "deduplicate on it."},
            "ce_type": {"const": contract.ce_type, "description": "The event type and its payload's version."},
            "ce_source": {"const": ce_source(contract.context), "description": "The context that recorded it."},
            "ce_subject": {**text, "description": "The aggregate the event happened to; also the record's key."},
            "ce_time": {**text, "format": "date-time", "description": "When it was recorded (RFC 3339)."},
            "ce_dataschema": {"const": contract.dataschema, "description":
                              "The `$id` of the payload's JSON Schema. Absent from records published before it "
                              "was introduced."},
            "ce_sequence": {**text, "pattern": f"^[0-9]{{1,{SEQUENCE_DIGITS}}}$", "description":
                            f"The event's position in its context's log, zero-padded to {SEQUENCE_DIGITS} digits "
                            "so that it orders as text (CloudEvents sequence extension). Records published before "
                            "the padding carry the bare number: compare as integers when lengths differ."},
            "ce_actor": {**text, "description": "Who did it (the subject of their token)."},
            "ce_actorrole": {"enum": [r.value for r in Role], "description": "The role they acted in."},
            "ce_correlationid": {**text, "description": "The request that did it."},
            "ce_hasreason": {"const": "true", "description":
                             "Present when the person who did it gave a reason (overrides, corrections, stops...). The "
                             "reason is free text and is not published: read it through the API, with the right to "
                             "see it."},
            "ce_reason": {**text, "description": "No longer sent: records published before nothing personal went "
                                                 "to the topics carried the reason's text here."},
            "ce_businessdate": {**text, "format": "date", "description":
                                "The day the fact is about, where that differs from the day it was recorded."},
            "content-type": {"const": "application/json", "description": "The payload's media type."},
        },
        "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_sequence",
                     "ce_actor", "ce_actorrole", "ce_correlationid", "content-type"],
    }


def asyncapi_document(topic_prefix: str = "dualtrack") -> dict[str, Any]:
    """The AsyncAPI 3.0 document of a deployment's topics (`<topic_prefix>.<context>`) and every event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for context in CONTEXTS:
        contracts = [c for c in _published() if c.context == context]
        channel_messages = {}
        for c in contracts:
            channel_messages[_message_name(c)] = {"$ref": f"#/components/messages/{c.ce_type}"}
            messages[c.ce_type] = _message(c)
            schemas[c.ce_type] = payload_schema(c)
        channels[context] = {
            "address": f"{topic_prefix}.{context}",
            "title": f"{context.title()} events",
            "description": _channel_description(context),
            "messages": channel_messages,
        }
        operations[f"relay{context.title()}"] = {
            "action": "send",
            "title": f"Relay of {context}",
            "summary": f"Publishes every event of the {context} event store, in the order of its log.",
            "description": "The relay reads the context's notification log from its recorded position, sends each "
                           "event as one record and records the new position once Kafka acknowledged the batch: "
                           "at least once, in order per subject (the record key).",
            "channel": {"$ref": f"#/channels/{context}"},
            "messages": [{"$ref": f"#/channels/{context}/messages/{name}"} for name in channel_messages],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "dualtrack events",
            "version": "v1",
            "description": "The domain events of every dualtrack context, one Kafka topic per context, each record "
                           "a CloudEvent 1.0 in binary content mode (Kafka protocol binding): the `ce_*` headers "
                           "are its attributes, the value its JSON payload. Each event type's payload has a JSON "
                           "Schema whose `$id` the record names in `ce_dataschema`; a change to a payload is a new "
                           "type version (`...v2`). Nothing personal is published: no name, date of birth or contact "
                           "of a person and no free text (reasons, descriptions, justifications, evidence, plan "
                           "titles, group names); such a field is left out or published as a reference (a Boolean "
                           "saying there is one, or the ids the record carries) that a reader resolves through the "
                           "HTTP API with the right to see it. Older records of a type whose payload lost a field "
                           "keep their old type version (`...v1`) and may still carry it. A student's erasure is "
                           "`dualtrack.placements.StudentErased.v1` (subject: the student): consumers forget "
                           "anything they kept about them.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _message(contract: EventContract) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": contract.name,
        "title": contract.ce_type,
        "contentType": "application/json",
        "headers": headers_schema(contract),
        "payload": {"$ref": f"#/components/schemas/{contract.ce_type}"},
        "correlationId": {"description": "The request that recorded the event.",
                          "location": "$message.header#/ce_correlationid"},
        "bindings": {"kafka": {
            "key": {"type": "string", "description": "The event's subject (`ce_subject`): one aggregate's events "
                                                     "share a partition, in order."},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }},
    }
    description = type(contract.schema).__doc__
    if description:
        message["summary"] = inspect.cleandoc(description).split("\n\n", 1)[0].replace("\n", " ")
    return message


def _message_name(contract: EventContract) -> str:
    return f"{contract.name}.v{contract.version}"


def _channel_description(context: str) -> str:
    text = f"Every event of the {context} context, one record each, keyed by its subject."
    doc = inspect.getdoc(importlib.import_module(f"contracts.events.{context}")) or ""
    more = doc.split("\n\n", 1)[1].strip() if "\n\n" in doc else ""
    return f"{text}\n\n{more}" if more else text


def _published() -> Iterable[EventContract]:
    return BY_EVENT_TOPIC.values()


@cache
def _converter() -> Any:
    """apispec's marshmallow converter in its OpenAPI 3.1 (JSON Schema 2020-12) flavour; a nested schema, should a
    payload ever have one, is written inline (no name: no `$ref` into an OpenAPI document)."""
    plugin = MarshmallowPlugin(schema_name_resolver=_no_name)
    APISpec("dualtrack events", "v1", "3.1.0", plugins=[plugin])
    return plugin.converter


def _no_name(schema: type) -> Any:
    return None  # apispec writes a schema it is given no name for inline (its types say str; None is documented)

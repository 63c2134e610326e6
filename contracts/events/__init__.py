"""Published event payloads: one schema per event type and version, each named by its CloudEvents `type`.

These are the public contract of the Kafka topics: any consumer, in any language, reads the value of
a record as the JSON object a schema here describes; the `ce_*` headers carry id, type, subject, time
and who did it, and `ce_dataschema` names the JSON Schema of the payload (`contracts/asyncapi.py` builds it
from the schema here and publishes it in the AsyncAPI document).
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from contracts.events import audit, credentials, placements, schedules, training

SCHEMA_ID_BASE = "https://dualtrack.example/schemas/"
"""Where every published JSON Schema's `$id` starts: `<base><context>/<name>.v<version>.json`. An identifier,
stable across deployments (no host of ours is in it); it need not be fetched: the schemas are in the AsyncAPI
document (`GET /api/asyncapi.json`, `dualtrack asyncapi`)."""

SEQUENCE_DIGITS = 20
"""`ce_sequence` is the event's position in its context's log, zero-padded to this many digits (any 64-bit
notification id fits), so that sequences compare as strings, as the CloudEvents sequence extension says. Records
published before the padding carry the bare number: compare them as integers."""


def ce_source(context: str) -> str:
    """The CloudEvents `source` of every event of a context (`ce_source`)."""
    return f"/dualtrack/{context}"


@dataclass(frozen=True)
class EventContract:
    """How one event class is published: its CloudEvents type and its payload schema."""

    context: str
    name: str
    version: int
    schema: Schema

    @property
    def ce_type(self) -> str:
        return f"dualtrack.{self.context}.{self.name}.v{self.version}"

    @property
    def dataschema(self) -> str:
        """The `$id` of the payload's JSON Schema, sent as the CloudEvents `dataschema` (`ce_dataschema`)."""
        return f"{SCHEMA_ID_BASE}{self.context}/{self.name}.v{self.version}.json"


def _contracts() -> dict[str, EventContract]:
    found: dict[str, EventContract] = {}
    for module in (placements, schedules, training, credentials, audit):
        for event_topic, (name, version, schema_class) in module.PUBLISHED.items():
            found[event_topic] = EventContract(module.CONTEXT, name, version, schema_class())
    return found


BY_EVENT_TOPIC: dict[str, EventContract] = _contracts()
"""Stored event topic (module:Class) -> its published contract."""

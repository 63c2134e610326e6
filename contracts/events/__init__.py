"""Published event payloads: one schema per event type and version, each named by its CloudEvents `type`.

These are the public contract of the Kafka topics: any consumer, in any language, reads the value of
a record as the JSON object a schema here describes; the `ce_*` headers carry id, type, subject, time
and who did it, and `ce_dataschema` names the JSON Schema of the payload (`contracts/asyncapi.py` builds it
from the schema here and publishes it in the AsyncAPI document).

Nothing personal is published (docs/published-fields.md classifies every field): no name, date of birth or contact
of a person, and no free text (reasons, descriptions, justifications, evidence, plan titles, group names). A stored
field that is not published is either left out or published as a reference: a Boolean saying whether it has a
value (`PRESENT_OF`), resolved through the API by who may read it; a plan's content is published with its group
names replaced by their position (`PUBLISHED_AS`). Dropping a field is a new type version; records published
before keep their old type (`accepted_types`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from marshmallow import Schema

from contracts.events import audit, credentials, placements, schedules, training
from contracts.events.references import PRESENT_OF, PUBLISHED_AS, SOURCE, present_of, published_as

__all__ = ["BY_EVENT_TOPIC", "PRESENT_OF", "PUBLISHED_AS", "SCHEMA_ID_BASE", "SEQUENCE_DIGITS", "SOURCE",
           "EventContract", "accepted_types", "ce_source", "every_version", "every_version_of", "present_of",
           "published_as", "published_fields"]

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


def accepted_types(context: str, name: str) -> tuple[str, ...]:
    """Every CloudEvents type a consumer reads one stored event type under: its current version and every version
    before it (records published before a field was dropped stay on the topics with their old type)."""
    contract = next(c for c in BY_EVENT_TOPIC.values() if (c.context, c.name) == (context, name))
    return tuple(f"dualtrack.{context}.{name}.v{v}" for v in range(1, contract.version + 1))


H = TypeVar("H")


def every_version(context: str, name: str, handler: H) -> dict[str, H]:
    """`handler` under every type `accepted_types` gives: a projection's handlers for one stored event type."""
    return dict.fromkeys(accepted_types(context, name), handler)


def every_version_of(context: str, by_name: dict[str, H]) -> dict[str, H]:
    """Handlers by event name (of one context) under every type each is read as (`every_version`)."""
    return {t: h for name, h in by_name.items() for t in accepted_types(context, name)}


def published_fields(context: str, name: str) -> frozenset[str]:
    """The payload fields of one event type's current version: a consumer keeping a record's payload keeps only
    these (a record of an older version may carry fields that are no longer published)."""
    contract = next(c for c in BY_EVENT_TOPIC.values() if (c.context, c.name) == (context, name))
    return frozenset(contract.schema.fields)

"""Published event payloads: one schema per event type and version, each named by its CloudEvents `type`.

These are the public contract of the Kafka topics: any consumer, in any language, reads the value of
a record as the JSON object a schema here describes; the `ce_*` headers carry id, type, subject, time
and who did it.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from contracts.events import audit, credentials, placements, schedules, training


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


def _contracts() -> dict[str, EventContract]:
    found: dict[str, EventContract] = {}
    for module in (placements, schedules, training, credentials, audit):
        for event_topic, (name, version, schema_class) in module.PUBLISHED.items():
            found[event_topic] = EventContract(module.CONTEXT, name, version, schema_class())
    return found


BY_EVENT_TOPIC: dict[str, EventContract] = _contracts()
"""Stored event topic (module:Class) -> its published contract."""

"""CloudEvents 1.0 over the Kafka protocol binding, binary content mode.

A stored event becomes a Kafka record whose headers are the `ce_*` attributes and whose value is the
JSON payload described by the event's schema in `contracts.events`. Decoding is the reverse, and is
also what the embedded source uses, so projections see the same thing with or without a broker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from contracts.events import BY_EVENT_TOPIC

SPEC_VERSION = b"1.0"
CONTENT_TYPE = b"application/json"


@dataclass(frozen=True)
class OutgoingRecord:
    """One Kafka record ready to send, and the log position it came from."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    position: int


@dataclass(frozen=True)
class ReceivedEvent:
    """A CloudEvent as a projection sees it, with where it was read from."""

    id: str
    type: str
    source: str
    subject: str
    time: str
    data: dict[str, Any]
    extensions: Mapping[str, str] = field(default_factory=dict)
    topic: str = ""
    partition: int = 0
    offset: int = 0

    @property
    def aggregate_version(self) -> int:
        return int(self.id.rsplit(":", 1)[1])


class CloudEventEncoder:
    """Turns one context's notifications into CloudEvents records."""

    def __init__(self, app: Application[Any], context: str) -> None:
        self._mapper = app.mapper
        self._source = f"/dualtrack/{context}".encode()

    def encode(self, notification: Notification) -> OutgoingRecord:
        contract = BY_EVENT_TOPIC.get(notification.topic)
        if contract is None:
            raise LookupError(f"no published contract for stored event topic {notification.topic!r}")
        event = self._mapper.to_domain_event(notification)
        subject = str(notification.originator_id).encode()
        headers = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", b"%s:%d" % (subject, notification.originator_version)),
            ("ce_type", contract.ce_type.encode()),
            ("ce_source", self._source),
            ("ce_subject", subject),
            ("ce_time", event.timestamp.isoformat().encode()),
            ("content-type", CONTENT_TYPE),
            ("ce_sequence", str(notification.id).encode()),
        ]
        meta = event.meta
        headers.append(("ce_actor", meta.subject.encode()))
        headers.append(("ce_actorrole", meta.role.encode()))
        headers.append(("ce_correlationid", meta.correlation_id.encode()))
        if meta.reason is not None:
            headers.append(("ce_reason", meta.reason.encode()))
        if meta.business_date is not None:
            headers.append(("ce_businessdate", meta.business_date.isoformat().encode()))
        value = json.dumps(contract.schema.dump(event), separators=(",", ":")).encode()
        return OutgoingRecord(key=subject, value=value, headers=headers, position=notification.id)

    def encode_all(self, notifications: Iterable[Notification]) -> list[OutgoingRecord]:
        return [self.encode(n) for n in notifications]


_CORE = {"ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_specversion", "content-type"}


def decode(
    headers: Sequence[tuple[str, bytes]], value: bytes, *, topic: str = "", partition: int = 0, offset: int = 0
) -> ReceivedEvent:
    """Read a binary-mode CloudEvent from a Kafka record's headers and value."""
    attrs = {k: v.decode() for k, v in headers}
    missing = [name for name in ("ce_id", "ce_type", "ce_source", "ce_subject") if name not in attrs]
    if missing:
        raise ValueError(f"not a CloudEvent: missing headers {missing} at {topic}[{partition}]@{offset}")
    return ReceivedEvent(
        id=attrs["ce_id"],
        type=attrs["ce_type"],
        source=attrs["ce_source"],
        subject=attrs["ce_subject"],
        time=attrs.get("ce_time", ""),
        data=json.loads(value) if value else {},
        extensions={k[3:]: v for k, v in attrs.items() if k.startswith("ce_") and k not in _CORE},
        topic=topic,
        partition=partition,
        offset=offset,
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)

"""CloudEvents 1.0 over the Kafka protocol binding, binary content mode.

A stored event becomes a Kafka record whose headers are the `ce_*` attributes and whose value is the
JSON payload described by the event's schema in `contracts.events`. Decoding is the reverse, and is
also what the embedded source uses, so projections see the same thing with or without a broker.

`ce_dataschema` names the payload's JSON Schema (its `$id`, published in the AsyncAPI document built by
`contracts/asyncapi.py`); `ce_sequence`, the log position, is zero-padded so that it orders as text. Records
published before either are still decoded: without `ce_dataschema`, with a bare `ce_sequence`.

Nothing personal goes to a topic (docs/published-fields.md): the payload is only the contract's fields, free text
published as a reference (`contracts.events.PRESENT_OF`) or reshaped (`PUBLISHED_AS`), and an event's reason (free
text in its metadata) is not sent: `ce_hasreason: true` says there is one, to be read through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from marshmallow import fields

from contracts.events import (
    BY_EVENT_TOPIC,
    PRESENT_OF,
    PUBLISHED_AS,
    SEQUENCE_DIGITS,
    SOURCE,
    EventContract,
    ce_source,
)
from events.base import DomainCreated, DomainEvent

SPEC_VERSION = b"1.0"
CONTENT_TYPE = b"application/json"


@dataclass(frozen=True)
class OutgoingRecord:
    """One Kafka record ready to send, and the log position it came from."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    position: int


@dataclass(slots=True)
class ReceivedEvent:
    """A CloudEvent as a projection sees it, with where it was read from (not frozen: built per record)."""

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
    dataschema: str | None = None
    """The payload's JSON Schema `$id` (`ce_dataschema`); None on records published before it was sent."""

    @property
    def aggregate_version(self) -> int:
        return int(self.id.rsplit(":", 1)[1])

    @property
    def sequence(self) -> int | None:
        """The position in the context's log (`ce_sequence`): zero-padded, or bare on older records."""
        text = self.extensions.get("sequence")
        return int(text) if text else None


class CloudEventEncoder:
    """Turns one context's notifications into CloudEvents records.

    This is the relay's hot path, so it reads the stored JSON directly instead of rebuilding each
    domain event: the payload is the contract schema's fields picked from the stored state, and the
    headers that never change for an event type are built once. A contract whose schema has fields
    that are not plain JSON values goes the long way (domain event + `schema.dump`); a unit test
    checks that both ways give the same bytes.
    """

    def __init__(self, app: Application[Any], context: str) -> None:
        self._mapper = app.mapper
        self._source = ce_source(context).encode()
        self._plans: dict[str, _Plan] = {}

    def encode(self, notification: Notification) -> OutgoingRecord:
        plan = self._plans.get(notification.topic) or self._plan(notification.topic)
        subject = str(notification.originator_id).encode()
        if plan.fields is None:
            return self._encode_via_domain_event(notification, plan, subject)
        state = orjson.loads(self._plain_state(notification.state))
        meta = state["meta"][_DATA]
        derived = plan.derived
        value = orjson.dumps({
            name: _unwrapped(state.get(name)) if name not in derived
            else derived[name][1](_unwrapped(state.get(derived[name][0])))
            for name in plan.fields
        })
        return OutgoingRecord(
            key=subject,
            value=value,
            headers=self._headers(plan, subject, notification, state["timestamp"][_DATA], meta),
            position=notification.id,
        )

    def encode_all(self, notifications: Iterable[Notification]) -> list[OutgoingRecord]:
        return [self.encode(n) for n in notifications]

    def _headers(
        self, plan: _Plan, subject: bytes, n: Notification, time: str, meta: Mapping[str, Any]
    ) -> list[tuple[str, bytes]]:
        headers = [
            *plan.static_headers,
            ("ce_id", b"%s:%d" % (subject, n.originator_version)),
            ("ce_subject", subject),
            ("ce_time", time.encode()),
            ("ce_sequence", b"%0*d" % (SEQUENCE_DIGITS, n.id)),
            ("ce_actor", meta["subject"].encode()),
            ("ce_actorrole", meta["role"].encode()),
            ("ce_correlationid", meta["correlation_id"].encode()),
        ]
        if meta.get("reason") is not None:  # free text: only that there is one (the API says what it is)
            headers.append(("ce_hasreason", b"true"))
        if meta.get("business_date") is not None:
            headers.append(("ce_businessdate", meta["business_date"].encode()))
        return headers

    def _encode_via_domain_event(self, n: Notification, plan: _Plan, subject: bytes) -> OutgoingRecord:
        # A stored event with a published contract is one of dualtrack's events, which carry their meta.
        event = cast("DomainEvent | DomainCreated", self._mapper.to_domain_event(n))
        meta = event.meta
        as_dict = {
            "subject": meta.subject,
            "role": meta.role,
            "correlation_id": meta.correlation_id,
            "reason": meta.reason,
            "business_date": meta.business_date.isoformat() if meta.business_date else None,
        }
        dumped = plan.contract.schema.dump(event)
        for name, (source, shape) in plan.derived.items():
            dumped[name] = shape(getattr(event, source, None))
        value = orjson.dumps({name: dumped.get(name) for name in plan.contract.schema.fields})
        headers = self._headers(plan, subject, n, event.timestamp.isoformat(), as_dict)
        return OutgoingRecord(key=subject, value=value, headers=headers, position=n.id)

    def _plain_state(self, state: bytes) -> bytes:
        if self._mapper.cipher:
            state = self._mapper.cipher.decrypt(state)
        if self._mapper.compressor:
            state = self._mapper.compressor.decompress(state)
        return state

    def _plan(self, topic: str) -> _Plan:
        contract = BY_EVENT_TOPIC.get(topic)
        if contract is None:
            raise LookupError(f"no published contract for stored event topic {topic!r}")
        plain = all(_is_plain_json(f) for f in contract.schema.fields.values())
        plan = _Plan(
            contract=contract,
            fields=tuple(contract.schema.fields) if plain else None,
            derived=_derived(contract),
            static_headers=(
                ("ce_specversion", SPEC_VERSION),
                ("ce_type", contract.ce_type.encode()),
                ("ce_source", self._source),
                ("ce_dataschema", contract.dataschema.encode()),
                ("content-type", CONTENT_TYPE),
            ),
        )
        self._plans[topic] = plan
        return plan


_DATA = "_data_"  # eventsourcing's JSON transcoder stores non-JSON values as {"_type_": ..., "_data_": ...}


@dataclass(frozen=True)
class _Plan:
    """How to encode one event type: its contract, plain payload fields (or None), constant headers."""

    contract: EventContract
    fields: tuple[str, ...] | None
    derived: dict[str, tuple[str, Callable[[Any], Any]]]
    """Payload fields computed from a stored field: name -> (stored field, function of its value)."""
    static_headers: tuple[tuple[str, bytes], ...]


def _derived(contract: EventContract) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    found: dict[str, tuple[str, Callable[[Any], Any]]] = {}
    for name, f in contract.schema.fields.items():
        if PRESENT_OF in f.metadata:
            found[name] = (f.metadata[PRESENT_OF], _is_given)
        elif PUBLISHED_AS in f.metadata:
            found[name] = (f.metadata.get(SOURCE, name), f.metadata[PUBLISHED_AS])
    return found


def _is_given(value: Any) -> bool:
    return value is not None


def _is_plain_json(field: fields.Field) -> bool:
    """Fields whose stored value is already the published JSON value, or ISO text wrapped by the transcoder."""
    if isinstance(field, fields.List):
        return _is_plain_json(field.inner) and type(field.inner) is not fields.Date
    return type(field) in (fields.String, fields.Integer, fields.Boolean, fields.Float, fields.Raw, fields.Date,
                           fields.Dict)


def _unwrapped(value: Any) -> Any:
    """A date stored as {"_type_": "date_iso", "_data_": "2026-03-01"} is published as "2026-03-01"."""
    if type(value) is dict and _DATA in value:
        return value[_DATA]
    return value


class NotACloudEvent(ValueError):
    """A record on one of our topics that is not a binary-mode CloudEvent (a poison message)."""


_CORE = {"ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_specversion", "ce_dataschema", "content-type"}


def decode(
    headers: Sequence[tuple[str, bytes]], value: bytes, *, topic: str = "", partition: int = 0, offset: int = 0
) -> ReceivedEvent:
    """Read a binary-mode CloudEvent from a Kafka record's headers and value."""
    attrs = {k: v.decode() for k, v in headers}
    try:
        id_, type_, source, subject = attrs["ce_id"], attrs["ce_type"], attrs["ce_source"], attrs["ce_subject"]
    except KeyError:
        missing = [name for name in ("ce_id", "ce_type", "ce_source", "ce_subject") if name not in attrs]
        raise NotACloudEvent(f"not a CloudEvent: missing headers {missing} at {topic}[{partition}]@{offset}") from None
    return ReceivedEvent(
        id=id_,
        type=type_,
        source=source,
        subject=subject,
        time=attrs.get("ce_time", ""),
        data=orjson.loads(value) if value else {},
        extensions={k[3:]: v for k, v in attrs.items() if k not in _CORE and k[:3] == "ce_"},
        topic=topic,
        partition=partition,
        offset=offset,
        dataschema=attrs.get("ce_dataschema"),
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)

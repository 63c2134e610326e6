"""Snapshots of aggregates whose streams grow without bound (a student, a training record, a centre).

eventsourcing's own snapshot stores the aggregate's attributes as they are, which its JSON transcoder can only
do for plain values. Our aggregates hold frozen dataclasses, tuples, sets and dicts keyed by tuples, so
`StateSnapshot` stores them in a tagged plain-JSON form and restores exactly the same state: every dataclass by
its topic (only classes of this project's packages, rebuilt field by field without running their __init__),
times, tuples, sets and frozensets by a tag, dicts with other than string keys as pairs. Dates, datetimes and UUIDs stay
as they are: the application's transcoder stores them.

An aggregate uses it with `Snapshot = StateSnapshot`; its application names it in `snapshotting_intervals`.
"""

from __future__ import annotations

import dataclasses
from datetime import time
from enum import Enum
from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic, resolve_topic

OWN_PACKAGES = ("services.", "events.")
"""Only classes defined here may be rebuilt from a snapshot."""
_TAGS = ("__dataclass__", "__enum__", "__time__", "__tuple__", "__set__", "__frozenset__", "__pairs__")


class StateSnapshot(Snapshot):
    """A snapshot whose state is tagged plain JSON (see the module's docstring)."""

    @classmethod
    def take(cls, aggregate: Any) -> StateSnapshot:
        taken = Snapshot.take(aggregate)
        return cls(originator_id=taken.originator_id, originator_version=taken.originator_version,
                   timestamp=taken.timestamp, topic=taken.topic, state=_plain(taken.state))

    def mutate(self, _: None) -> Any:
        restored = Snapshot(originator_id=self.originator_id, originator_version=self.originator_version,
                            timestamp=self.timestamp, topic=self.topic, state=_restored(self.state))
        return restored.mutate(None)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": _own_topic(type(value)),
                "fields": {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, time):
        return {"__time__": value.isoformat()}
    if isinstance(value, Enum):
        return {"__enum__": _own_topic(type(value)), "value": _plain(value.value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_plain(v) for v in value]}
    if isinstance(value, frozenset):
        return {"__frozenset__": [_plain(v) for v in value]}
    if isinstance(value, set):
        return {"__set__": [_plain(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"__pairs__": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, list):
        return [_restored(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = next((t for t in _TAGS if t in value), None)
    if tag == "__dataclass__":
        cls = _own_class(value[tag])
        obj = cls.__new__(cls)
        for name, field_value in value["fields"].items():
            object.__setattr__(obj, name, _restored(field_value))
        return obj
    if tag == "__enum__":
        return _own_class(value[tag])(_restored(value["value"]))
    if tag == "__time__":
        return time.fromisoformat(value[tag])
    if tag == "__tuple__":
        return tuple(_restored(v) for v in value[tag])
    if tag == "__frozenset__":
        return frozenset(_restored(v) for v in value[tag])
    if tag == "__set__":
        return {_restored(v) for v in value[tag]}
    if tag == "__pairs__":
        return {_restored(k): _restored(v) for k, v in value[tag]}
    return {k: _restored(v) for k, v in value.items()}


def _own_topic(cls: type) -> str:
    topic = get_topic(cls)
    if not topic.startswith(OWN_PACKAGES):
        raise TypeError(f"a snapshot stores only this project's classes, not {topic}")
    return topic


def _own_class(topic: str) -> Any:
    if not topic.startswith(OWN_PACKAGES):
        raise ValueError(f"a snapshot names a class outside this project: {topic}")
    return resolve_topic(topic)

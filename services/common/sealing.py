"""Personal data sealed per data subject inside the event store (crypto-shredding).

Each context declares which fields of its events are personal (`PersonalData`): names, birth dates, contacts,
guardian details, free text about a person. The events' mapper (`SealingMapper`) stores each such value sealed with
a key of its own data subject (AES-256-GCM, a fresh nonce each time, the subject's id as associated data), so the
stored state bytes hold ciphertext only; the reason in an event's metadata is sealed the same way for events about
a person. The keys live in their own store (services/common/subject_keys.py), wrapped by the deployment's master key.

Erasing a subject destroys their key. Their events still load, replay and hash to the same chain (the chain covers
the stored bytes, which do not change); every sealed value of theirs then reads as `ERASED` ("(erased)"), or as the
value its field declares for erasure (None for a date of birth). A snapshot of an aggregate about a person is sealed
whole with that aggregate's key; erasure deletes it (a snapshot only shortens loading).

A sealed value is stored as {"_type_": "sealed", "_data_": {"s": subject, "n": nonce, "c": ciphertext}} (base64);
the plaintext is the transcoder's own encoding of {"v": value}, so dates and nested values come back as they were.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder, Transcoding
from eventsourcing.utils import resolve_topic

from events.base import ERASED, EventMeta
from services.common.errors import RuleViolated

__all__ = ["ERASED", "Personal", "PersonalData", "SealingMapper", "SubjectErased", "SubjectKeys"]



class SubjectErased(RuleViolated):
    """Personal data of an erased subject cannot be recorded any more."""

    def __init__(self, subject: str) -> None:
        super().__init__("subject-erased", "this person's personal data was erased: nothing personal about them can "
                         "be recorded any more", subject=subject)


class SubjectKeys(Protocol):
    """The data keys of the data subjects (services/common/subject_keys.py)."""

    def key_for(self, subject: str) -> bytes:
        """The subject's key, made the first time it is asked for; SubjectErased once destroyed."""

    def key_of(self, subject: str) -> bytes | None:
        """The subject's key, or None when it was destroyed (or never made)."""

    def prefetch(self, subjects: Iterable[str]) -> None:
        """Read these subjects' keys ahead, together, for a reader about to open values of many subjects."""

    def new_subject(self) -> str:
        """An id for a new data subject (a random UUID) whose key is made already."""


class _Erased:
    """Stands, while an event is decoded, for a sealed value whose key is gone."""

    def __repr__(self) -> str:
        return "<erased>"


ERASED_MARK = _Erased()


@dataclass(frozen=True)
class Personal:
    """The personal fields of one event type: each with what it reads as once erased; whose they are."""

    fields: Mapping[str, Any]
    subject: Callable[[Any], str] = field(default=lambda event: str(event.originator_id))
    """The data subject's id from the event (default: the aggregate's id)."""


def subject_from(attribute: str) -> Callable[[Any], str]:
    """The subject named by one of the event's attributes (e.g. a mentor's `mentor_id`)."""
    return lambda event: str(getattr(event, attribute))


@dataclass(frozen=True)
class PersonalData:
    """A context's declaration: personal fields per event type; the event types whose metadata reason is about a
    person (sealed with the event's aggregate key); the aggregates whose snapshots are sealed whole."""

    fields: Mapping[type, Personal] = field(default_factory=dict)
    reasons: frozenset[type] = frozenset()
    snapshots: frozenset[type] = frozenset()

    def rule(self, event_type: type) -> Personal | None:
        return self.fields.get(event_type)


def events_applied_by(aggregate: type, *created: type) -> frozenset[type]:
    """The event types an aggregate applies with its `when` (a singledispatchmethod), and its created events."""
    registry = getattr(getattr(aggregate, "when", None), "dispatcher", None)
    applied = set(registry.registry) if registry is not None else set()
    return frozenset((applied - {object}) | set(created))


class KeyHolder:
    """The keys an application seals with: a process-local store until the deployment's is handed over."""

    def __init__(self, keys: SubjectKeys) -> None:
        self.keys = keys


class _Seal:
    __slots__ = ("subject", "value")

    def __init__(self, subject: str, value: Any) -> None:
        self.subject, self.value = subject, value


class SealedValue(Transcoding):
    """The transcoding of a sealed value (registered on the application's JSON transcoder)."""

    type = _Seal
    name = "sealed"

    def __init__(self, holder: KeyHolder, transcoder: Transcoder) -> None:
        self._holder, self._transcoder = holder, transcoder

    def encode(self, obj: _Seal) -> dict[str, str]:
        key = self._holder.keys.key_for(obj.subject)
        nonce = os.urandom(12)
        plain = self._transcoder.encode({"v": obj.value})
        sealed = AESGCM(key).encrypt(nonce, plain, obj.subject.encode())
        return {"s": obj.subject, "n": _b64(nonce), "c": _b64(sealed)}

    def decode(self, data: dict[str, str]) -> Any:
        key = self._holder.keys.key_of(data["s"])
        if key is None:
            return ERASED_MARK
        plain = AESGCM(key).decrypt(base64.b64decode(data["n"]), base64.b64decode(data["c"]), data["s"].encode())
        return self._transcoder.decode(plain)["v"]


class SealingMapper(Mapper[Any]):
    """eventsourcing's mapper, sealing the personal values its context declares (see the module's docstring)."""

    def __init__(self, transcoder: Transcoder, compressor: Any = None, cipher: Any = None, *,
                 personal: PersonalData | None = None) -> None:
        super().__init__(transcoder=transcoder, compressor=compressor, cipher=cipher)
        self.personal = personal or PersonalData()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = self._sealed_state(domain_event)
        if state is None:
            return super().to_stored_event(domain_event)
        proxy = object.__new__(type(domain_event))
        object.__setattr__(proxy, "__dict__", state)
        return super().to_stored_event(proxy)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        rule = self.personal.rule(type(event))
        for name, value in list(state.items()):
            if value is ERASED_MARK:
                state[name] = rule.fields.get(name, ERASED) if rule is not None else ERASED
        meta = state.get("meta")
        if isinstance(meta, EventMeta) and meta.reason is ERASED_MARK:
            state["meta"] = dataclasses.replace(meta, reason=ERASED)
        if isinstance(event, Snapshot) and state.get("state") is ERASED_MARK:
            raise SubjectErased(str(stored_event.originator_id))
        return event

    def _sealed_state(self, event: Any) -> dict[str, Any] | None:
        """The event's state with its personal values sealed; None when it holds none."""
        personal = self.personal
        if isinstance(event, Snapshot):
            if resolve_topic(event.topic) not in personal.snapshots:
                return None
            return {**vars(event), "state": _Seal(str(event.originator_id), event.state)}
        rule = personal.rule(type(event))
        meta = getattr(event, "meta", None)
        seal_reason = type(event) in personal.reasons and isinstance(meta, EventMeta) and meta.reason is not None
        if rule is None and not seal_reason:
            return None
        state = dict(vars(event))
        if rule is not None:
            subject = rule.subject(event)
            for name in rule.fields:
                if state.get(name) is not None:
                    state[name] = _Seal(subject, state[name])
        if seal_reason:
            assert isinstance(meta, EventMeta)
            sealed: Any = _Seal(str(event.originator_id), meta.reason)  # stands in for the text until transcoded
            state["meta"] = dataclasses.replace(meta, reason=sealed)
        return state


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


"""The personal values a demo world holds, taken from the demo itself (never copied into a test): its people
(`dualtrack.demo.PEOPLE`: names, emails, phones), its mentors and spring cohort, and every stored event of every
context as its application reads it back: each text or date field its published contract leaves out (names, birth
dates, guardians, descriptions, evidence, titles, justifications...), the reason in its metadata, and the name,
email, phone and login of every identity event (a context never published). Used to search topics and view tables
for what must not be there (docs/published-fields.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from contracts.events import BY_EVENT_TOPIC
from dualtrack.bootstrap import Container
from dualtrack.demo import MENTORS, PEOPLE, SPRING_COHORT

ERASED = "(erased)"
"""What an application reads for a text field of an erased person: not a value of theirs."""
SHORTEST = 5
"""Shorter texts (a group "A", a code) are not searched: they would be found inside legitimate values."""
BASE_FIELDS = {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}
IDENTITY_FIELDS = {"name", "email", "phone", "login"}


@dataclass
class Personal:
    value: bytes
    origins: set[str]
    """Where the value was found in the demo: `<event type>.<field>`, `meta.reason`, `PEOPLE.email`..."""


def personal_values(container: Container) -> dict[bytes, Personal]:
    """Every personal value of the demo loaded in `container`, as bytes (as is, and as JSON writes it)."""
    found: dict[bytes, Personal] = {}

    def add(value: Any, origin: str) -> None:
        if type(value) is date:  # a date of birth, in its stored form
            value = value.isoformat()
        if not isinstance(value, str) or len(value.strip()) < SHORTEST or value == ERASED:
            return
        for form in {value.encode(), orjson.dumps(value)[1:-1]}:
            found.setdefault(form, Personal(form, set())).origins.add(origin)

    for person in PEOPLE:
        add(person.name, "PEOPLE.name")
        add(person.email, "PEOPLE.email")
        add(person.phone, "PEOPLE.phone")
    for _, name in MENTORS:
        add(name, "MENTORS.name")
    for name in SPRING_COHORT:
        add(name, "SPRING_COHORT")
    for context, app in {**container.apps(), "identity": container.identity}.items():
        for n in app.notifications(1, 1_000_000):
            event = app.mapper.to_domain_event(n)
            kind = n.topic.rsplit(":", 1)[-1]
            add(getattr(getattr(event, "meta", None), "reason", None), "meta.reason")
            contract = BY_EVENT_TOPIC.get(n.topic)
            published = set(contract.schema.fields) if contract else set()
            for field, value in vars(event).items():
                if field in BASE_FIELDS or field in published:
                    continue
                if context == "identity" and field not in IDENTITY_FIELDS:
                    continue  # its hashes, ids and addresses are not the demo's personal values
                add(value, f"{kind}.{field}")
    return found

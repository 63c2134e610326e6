"""Schools: who places students, under which rule set."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.placements import SchoolRegistered
from services.common.errors import RuleViolated
from services.common.rules import RULE_SETS


class School(Aggregate):
    """A vocational school whose coordinators place its students."""

    def __init__(self, *, name: str, code: str, rule_set: str, meta: EventMeta) -> None:
        self.name = name
        self.code = code
        self.rule_set = rule_set

    @classmethod
    def register(cls, *, name: str, code: str, rule_set: str, meta: EventMeta) -> School:
        if rule_set not in RULE_SETS:
            raise RuleViolated("unknown-rule-set", f"no rule set named {rule_set!r}", known=sorted(RULE_SETS))
        return cls._create(SchoolRegistered, id=uuid4(), name=name, code=code, rule_set=rule_set, meta=meta)

"""The publication register: every publication and revision of any plan passes through it, in one sequence.

Conflicts span plans (a student in two plans, a centre shared by several schools' plans), so two
publications decided at the same time could each miss the other. Saving the register with the plan makes
the second of two concurrent publications fail on the register's version; it is then decided again,
seeing the first.
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.schedules import PlanRevisionRegistered, PublicationRegisterOpened

REGISTER_ID: UUID = uuid5(NAMESPACE_URL, "dualtrack:schedules:publication-register")


class PublicationRegister(Aggregate):
    def __init__(self, *, meta: EventMeta) -> None:
        self.published: dict[str, int] = {}

    @classmethod
    def open(cls, meta: EventMeta) -> "PublicationRegister":
        return cls._create(PublicationRegisterOpened, id=REGISTER_ID, meta=meta)

    def register(self, plan_id: str, revision: int, meta: EventMeta) -> None:
        self.trigger_event(PlanRevisionRegistered, plan_id=plan_id, revision=revision, meta=meta)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: PlanRevisionRegistered) -> None:
        self.published[event.plan_id] = event.revision

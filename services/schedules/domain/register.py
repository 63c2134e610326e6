"""The publication register: every publication and revision of any plan passes through it, in one sequence.

Conflicts span plans (a student in two plans, a centre shared by several schools' plans), so two
publications decided at the same time could each miss the other. Appending to the register with the plan makes
the second of two concurrent publications fail on the register's next version; it is then decided again,
seeing the first. The register is an append-only log (services.common.logs.OpenedLog): no decision reads its
state, so appending never replays it. `PublicationRegister` is the fold of that stream, which histories use to
show it like any aggregate (the stream's opening event names this class).
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.schedules import PlanRevisionRegistered

REGISTER_ID: UUID = uuid5(NAMESPACE_URL, "dualtrack:schedules:publication-register")


class PublicationRegister(Aggregate):
    """Which revision of each plan was published last."""

    def __init__(self, *, meta: EventMeta) -> None:
        self.published: dict[str, int] = {}

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: PlanRevisionRegistered) -> None:
        self.published[event.plan_id] = event.revision

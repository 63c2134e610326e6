"""Events for the bench, recorded through the real placements application (its store, its transcoder).

Commands one by one would load an aggregate per event; here the domain objects are driven directly and
many aggregates' new events are saved per `app.save(...)` call, as a batch import would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from services.common.identity import CommandContext
from services.placements.application import PlacementsApplication
from services.placements.domain import Enterprise, TrainingCentre

SPECIALITIES = ["mechatronics", "welding", "electronics", "rail-maintenance", "refrigeration"]


@dataclass(frozen=True)
class Plan:
    """How many of each event to record: enterprises, centres, then changes spread over the centres."""

    enterprises: int
    centres: int
    changes: int

    @property
    def events(self) -> int:
        return self.enterprises + self.centres + self.changes

    @classmethod
    def for_events(cls, events: int) -> Plan:
        """A few enterprises, up to 2,000 centres, and the rest capacity changes and mentor moves."""
        if events < 2:
            raise ValueError("the bench needs at least 2 events (an enterprise and a centre)")
        enterprises = max(1, min(20, events // 10_000))
        centres = max(1, min(2_000, (events - enterprises) // 100))
        return cls(enterprises, centres, events - enterprises - centres)


@dataclass(frozen=True)
class Generated:
    events: int
    seconds: float
    saves: int
    plan: Plan


def change(centre: TrainingCentre, step: int, ctx: CommandContext) -> None:
    """One event on a centre: assign a mentor, change the capacity, withdraw the mentor, change it again."""
    mentor_id = f"mentor-{step // 4}"
    kind = step % 4
    if kind == 0:
        centre.assign_mentor(mentor_id, f"Mentor {step // 4}", ctx.meta())
    elif kind == 2:
        centre.withdraw_mentor(mentor_id, ctx.meta("rotated"))
    else:
        capacity = centre.capacity + 1 if centre.capacity < 60 else 5
        centre.change_capacity(capacity, ctx.meta("demand changed"))


def _rounds(centres: list[TrainingCentre], changes: int) -> Iterator[list[TrainingCentre]]:
    """Round-robin over the centres, one change each, until `changes` have been made; yields each round."""
    while changes > 0:
        round_ = centres[:changes]
        yield round_
        changes -= len(round_)


def generate(app: PlacementsApplication, plan: Plan, *, events_per_save: int = 5_000) -> Generated:
    """Record the plan's events; returns how many were stored and how long it took."""
    ctx = CommandContext.for_system("bench-import")
    started = time.perf_counter()
    saves = 0
    enterprises = [
        Enterprise.register(name=f"Enterprise {i}", registration_number=f"REG{i:08d}", meta=ctx.meta())
        for i in range(plan.enterprises)
    ]
    app.save(*enterprises)
    centres = [
        TrainingCentre.open(
            enterprise_id=enterprises[i % len(enterprises)].id, name=f"Centre {i}", address=f"{i} Factory Road",
            capacity=10, specialities=SPECIALITIES[: 1 + i % len(SPECIALITIES)], meta=ctx.meta(),
        )
        for i in range(plan.centres)
    ]
    app.save(*centres)
    saves += 2
    pending: dict[int, TrainingCentre] = {}
    pending_events = 0
    for step, round_ in enumerate(_rounds(centres, plan.changes)):
        for centre in round_:
            change(centre, step, ctx)
            pending[id(centre)] = centre
        pending_events += len(round_)
        if pending_events >= events_per_save:
            app.save(*pending.values())
            saves += 1
            pending, pending_events = {}, 0
    if pending:
        app.save(*pending.values())
        saves += 1
    seconds = time.perf_counter() - started
    return Generated(app.max_position(), seconds, saves, plan)

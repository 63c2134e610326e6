"""The placements world of placement_world.py, plus competency catalogues and helpers for the training tests.

The clock of both applications is fixed at TODAY (Monday 2026-11-30). `placed()` gives an active placement
that started on 2026-09-01 and runs to 2027-01-29, so the week before TODAY (23-27 November) is inside it
and inside the default 14-day edit window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.identity import CommandContext, Role
from services.training.application import EntryResult, TrainingApplication
from tests.service.placement_world import TODAY, World, as_, build_world, events_of

PLACEMENT_START = date(2026, 9, 1)
PLACEMENT_END = date(2027, 1, 29)
MONDAY = date(2026, 11, 23)
"""The Monday of the last full week before TODAY."""
COMPETENCIES = (
    ("M1", "Assemble drive units", 120, "five-point"),
    ("M2", "Wire PLC controls", 80, "percent"),
    ("M3", "Workplace safety", 20, "pass-fail"),
)


@dataclass
class TrainingWorld:
    """A World with the training application, the mechatronics catalogue and people who act on logbooks."""

    world: World
    training: TrainingApplication

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    # -- people --------------------------------------------------------------------------------------
    def teacher(self, school: UUID | None = None, subject: str = "teacher-gao") -> CommandContext:
        return as_(Role.TEACHER, subject, school_id=str(school or self.world.school))

    def auditor(self) -> CommandContext:
        return as_(Role.AUDITOR, "auditor-1")

    # -- setting up ----------------------------------------------------------------------------------
    def placed(self, name: str = "Liu Yang", *, centre: UUID | None = None, school: UUID | None = None,
               start: date = PLACEMENT_START, end: date = PLACEMENT_END, **enrol: Any) -> tuple[UUID, str]:
        """An enrolled student with an active placement (at the workshop by default)."""
        w = self.world
        student = w.enrol(name, school=school, **enrol)
        placement = w.agree(student, centre or w.workshop, start, end)
        w.activate(student, placement, start)
        return student, placement

    # -- commands ------------------------------------------------------------------------------------
    def log(self, student: UUID, day: date = MONDAY, start: str = "08:00", end: str = "12:00",
            competencies: Sequence[str] = ("M1",), *, by: CommandContext | None = None,
            description: str = "practice", **extra: Any) -> EntryResult:
        return self.training.log_practice(
            by or self.world.mentor(self.world.workshop), student, day=day, start=_t(start), end=_t(end),
            competencies=list(competencies), description=description, **extra)

    def sign(self, student: UUID, entry: str, by: CommandContext | None = None) -> EntryResult:
        return self.training.sign_off_practice(by or self.world.mentor(self.world.workshop), student, entry)

    def entry(self, student: UUID, entry: str) -> Any:
        return self.training.get_training_record(self.world.admin, student).entries[entry]

    def events(self, start: int = 1) -> list[Any]:
        return events_of(self.training, start)  # type: ignore[arg-type]


def _t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def build_training_world(container: Container, **capacities: int) -> TrainingWorld:
    world = build_world(container, **capacities)
    training = container.training
    training.today = lambda: TODAY  # type: ignore[method-assign]
    for code, title, hours, scale in COMPETENCIES:
        training.define_competency(world.admin, "mechatronics", code=code, title=title, target_hours=hours,
                                   scale=scale, effective_from=date(2026, 1, 1))
    return TrainingWorld(world, training)

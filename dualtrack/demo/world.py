"""What every part of the demo shares: the ids of what it loaded, the day it is loaded as of, and how its people
act (a command context per person)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from services.common.identity import Actor, CommandContext, Role

DEMO_TODAY = date(2026, 11, 30)
"""The training demo is a week of practice before this day; it is loaded as if today were that day."""


@dataclass(frozen=True)
class DemoIds:
    enterprises: list[str]
    centres: list[str]
    schools: list[str]
    students: list[str]
    placements: list[str]
    spring_cohort: list[str] = field(default_factory=list)
    """Mechatronics class 2 of 2024, whom the generated spring rotation plan alternates."""
    spring_placements: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    pipeline_placements: list[str] = field(default_factory=list)
    """Placements still on their way: Deng Hao's waiting for Haier, Xu Lan's for the school."""
    erased_students: list[str] = field(default_factory=list)
    """Tang Xin, whose personal data was erased at her guardian's request (dualtrack/demo/privacy.py)."""
    sign_ins: dict[str, str] = field(default_factory=dict)
    """Each demo person's password, by handle ("mentor-zhao"); drawn at random when the demo was loaded."""


_PEOPLE = uuid5(NAMESPACE_URL, "https://dualtrack.example/demo/people")


def person_id(handle: str) -> str:
    """The person id of a demo person, derived from their handle ("mentor-zhao"): the same in every demo."""
    return str(uuid5(_PEOPLE, handle))


def acting_as(role: Role, handle: str, **scope: str) -> CommandContext:
    """The context of a command given by a person of the demo, named by their handle (one correlation id each)."""
    return CommandContext(Actor(person_id(handle), role, **scope), correlation_id=f"demo-{handle}")

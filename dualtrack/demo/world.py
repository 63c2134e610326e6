"""What every part of the demo shares: the ids of what it loaded, the day it is loaded as of, and how its people
act (a command context per person)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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


def acting_as(role: Role, subject: str, **scope: str) -> CommandContext:
    """The context of a command given by a person of the demo (one correlation id per person)."""
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"demo-{subject}")

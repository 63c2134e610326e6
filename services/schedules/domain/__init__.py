"""The schedules context's domain: a rotation plan's content, its conflicts, pattern generation and revisions."""

from services.schedules.domain.conflicts import Conflict, World, check
from services.schedules.domain.content import InvalidPlan, Period, PlanContent
from services.schedules.domain.facts import (
           CentreFacts,
           OtherPlan,
           PlacementPeriod,
           StudentPlacements,
)
from services.schedules.domain.pattern import Pattern, generate
from services.schedules.domain.plan import ConflictsRemain, RotationPlan

__all__ = ["CentreFacts", "Conflict", "ConflictsRemain", "InvalidPlan", "OtherPlan", "Pattern", "Period",
           "PlacementPeriod", "PlanContent", "RotationPlan", "StudentPlacements", "World", "check", "generate"]

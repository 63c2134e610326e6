"""Events of the schedules context: work-study alternation (rotation) plans.

A plan's content travels whole in every event that sets it, as plain JSON (dates as YYYY-MM-DD):

    {"term": {"start", "end"},
     "calendar": {"holidays": [{"start", "end", "name"}], "exam_weeks": [{"start", "end", "name"}]},
     "groups": [{"name", "students": [student ids]}],
     "blocks": [{"id", "group", "kind": "school" | "enterprise", "start", "end", "hours_per_week",
                 "assignments": [{"student_id", "centre_id"}]}]}

so every revision stays readable from its own event and a projection needs no other fact.
"""

from __future__ import annotations

from typing import Any

from events.base import DomainCreated, DomainEvent


class RotationPlanDrafted(DomainCreated):
    """A coordinator drafted a rotation plan for a cohort of their school (by hand or from a pattern)."""

    school_id: str
    cohort: str
    title: str
    content: dict[str, Any]
    generated_from: dict[str, Any] | None
    """The pattern the draft was generated from and the reason for every allocation, or None."""


class RotationPlanDraftChanged(DomainEvent):
    """The draft's content was replaced (before its first publication)."""

    content: dict[str, Any]
    generated_from: dict[str, Any] | None


class PlanConflictOverridden(DomainEvent):
    """A coordinator published despite a conflict, with a justification (one event per conflict)."""

    revision: int
    conflict: dict[str, Any]
    """{"key", "kind", "week", "objects", "message", "details"} as the checker found it."""
    justification: str


class RotationPlanPublished(DomainEvent):
    """The plan's first revision was published: everyone concerned now follows it."""

    revision: int
    school_id: str
    cohort: str
    title: str
    content: dict[str, Any]


class RotationPlanRevised(DomainEvent):
    """A published plan changed: a new revision, with its reason and its differences from the one before."""

    revision: int
    school_id: str
    cohort: str
    title: str
    content: dict[str, Any]
    reason: str
    changes: dict[str, Any]
    """The differences from the previous revision (see services/schedules/domain/diff.py)."""


class PublicationRegisterOpened(DomainCreated):
    """The register every publication and revision of any plan passes through was opened (once)."""


class PlanRevisionRegistered(DomainEvent):
    """A plan's revision was published: registered in one sequence with every other publication, so two
    publications never decide on conflicts without seeing each other."""

    plan_id: str
    revision: int

"""A rotation plan: drafted, checked, published, then changed only by revisions with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.schedules import (
    PlanConflictOverridden,
    RotationPlanDraftChanged,
    RotationPlanDrafted,
    RotationPlanPublished,
    RotationPlanRevised,
)
from services.common.errors import RuleViolated
from services.schedules.domain.conflicts import Conflict
from services.schedules.domain.content import PlanContent
from services.schedules.domain.diff import diff, is_empty

DRAFT = "draft"
PUBLISHED = "published"


class ConflictsRemain(RuleViolated):
    """Publication refused: conflicts that nobody overrode; `details["conflicts"]` lists them."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(
            "plan-has-conflicts",
            f"the plan has {len(conflicts)} conflict(s) not overridden: resolve them, or override each with a "
            "justification",
            conflicts=[c.to_dict() for c in conflicts],
        )


@dataclass(frozen=True)
class Override:
    conflict: dict[str, Any]
    justification: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Revision:
    """One published state of the plan."""

    number: int
    content: PlanContent
    reason: str | None
    changes: dict[str, Any] | None
    recorded_at: datetime
    by: str
    overrides: tuple[Override, ...]


class RotationPlan(Aggregate):
    """How a cohort of a school alternates between school and enterprise blocks over a term."""

    def __init__(self, *, school_id: str, cohort: str, title: str, content: dict[str, Any],
                 generated_from: dict[str, Any] | None, meta: EventMeta) -> None:
        self.school_id = school_id
        self.cohort = cohort
        self.title = title
        self.content = PlanContent.from_dict(content)
        self.generated_from = generated_from
        self.status = DRAFT
        self.revisions: list[Revision] = []
        self._overrides: list[Override] = []
        self.accepted: dict[str, tuple[dict[str, Any], str]] = {}
        """Every conflict overridden so far, as it was when overridden, with its justification."""

    @classmethod
    def draft(cls, *, school_id: str, cohort: str, title: str, content: PlanContent,
              generated_from: dict[str, Any] | None, meta: EventMeta) -> RotationPlan:
        return cls._create(RotationPlanDrafted, id=uuid4(), school_id=school_id, cohort=cohort, title=title,
                           content=content.to_dict(), generated_from=generated_from, meta=meta)

    @property
    def revision(self) -> int:
        """The number of the revision in force; 0 while the plan is a draft."""
        return self.revisions[-1].number if self.revisions else 0

    # -- commands ----------------------------------------------------------------------------
    def change_draft(self, content: PlanContent, generated_from: dict[str, Any] | None, meta: EventMeta) -> None:
        if self.status != DRAFT:
            raise RuleViolated("plan-published", "a published plan changes only by a revision with a reason",
                               plan_id=str(self.id), revision=self.revision)
        self.trigger_event(RotationPlanDraftChanged, content=content.to_dict(), generated_from=generated_from,
                           meta=meta)

    def publish(self, conflicts: list[Conflict], overrides: dict[str, str], meta: EventMeta) -> None:
        if self.status != DRAFT:
            raise RuleViolated("plan-already-published", f"the plan is published (revision {self.revision}); "
                               "change it by a revision", plan_id=str(self.id), revision=self.revision)
        self._override(conflicts, overrides, 1, meta)
        self.trigger_event(RotationPlanPublished, revision=1, school_id=self.school_id, cohort=self.cohort,
                           title=self.title, content=self.content.to_dict(), meta=meta)

    def revise(self, content: PlanContent, reason: str, conflicts: list[Conflict], overrides: dict[str, str],
               meta: EventMeta) -> None:
        if self.status != PUBLISHED:
            raise RuleViolated("plan-not-published", "a draft is changed, not revised; publish it first",
                               plan_id=str(self.id))
        if not reason.strip():
            raise RuleViolated("reason-required", "a revision of a published plan needs a reason")
        changes = diff(self.content, content)
        if is_empty(changes):
            raise RuleViolated("revision-changes-nothing", f"the content is that of revision {self.revision}",
                               revision=self.revision)
        self._override(conflicts, overrides, self.revision + 1, meta)
        self.trigger_event(RotationPlanRevised, revision=self.revision + 1, school_id=self.school_id,
                           cohort=self.cohort, title=self.title, content=content.to_dict(), reason=reason.strip(),
                           changes=changes, meta=meta)

    def _override(self, conflicts: list[Conflict], overrides: dict[str, str], revision: int, meta: EventMeta) -> None:
        """Each conflict is overridden with a justification, or the publication is refused. A conflict overridden
        at an earlier revision and found again exactly as it was stays overridden (its justification holds)."""
        unknown = sorted(set(overrides) - {c.key for c in conflicts})
        if unknown:
            raise RuleViolated("override-matches-no-conflict", "these overrides name no conflict the plan has now "
                               "(check the plan again)", keys=unknown)
        blank = sorted(k for k, why in overrides.items() if not why.strip())
        if blank:
            raise RuleViolated("justification-required", "every override needs a justification", keys=blank)
        remaining = [c for c in conflicts if c.key not in overrides and self.justification_of(c) is None]
        if remaining:
            raise ConflictsRemain(remaining)
        for conflict in conflicts:
            if conflict.key in overrides:
                self.trigger_event(PlanConflictOverridden, revision=revision, conflict=conflict.to_dict(),
                                   justification=overrides[conflict.key].strip(), meta=meta)

    def justification_of(self, conflict: Conflict) -> str | None:
        """The justification recorded for exactly this conflict at an earlier publication or revision."""
        recorded = self.accepted.get(conflict.key)
        return recorded[1] if recorded is not None and recorded[0] == conflict.to_dict() else None

    # -- state -------------------------------------------------------------------------------
    def revision_numbered(self, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.number == number), None)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: RotationPlanDraftChanged) -> None:
        self.content = PlanContent.from_dict(event.content)
        self.generated_from = event.generated_from

    @when.register
    def _(self, event: PlanConflictOverridden) -> None:
        self._overrides.append(Override(event.conflict, event.justification, event.meta.subject, event.timestamp))
        self.accepted[event.conflict["key"]] = (event.conflict, event.justification)

    @when.register
    def _(self, event: RotationPlanPublished) -> None:
        self.status = PUBLISHED
        self._add_revision(event, event.content, None, None)

    @when.register
    def _(self, event: RotationPlanRevised) -> None:
        self._add_revision(event, event.content, event.reason, event.changes)

    def _add_revision(self, event: Any, content: dict[str, Any], reason: str | None,
                      changes: dict[str, Any] | None) -> None:
        self.content = PlanContent.from_dict(content)
        self.revisions.append(Revision(event.revision, self.content, reason, changes, event.timestamp,
                                       event.meta.subject, tuple(self._overrides)))
        self._overrides = []

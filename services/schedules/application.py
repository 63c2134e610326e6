"""Command handlers of the schedules context: load, decide, save."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from events.base import EventMeta
from events.schedules import (
    PlanRevisionRegistered,
    PublicationRegisterOpened,
    RotationPlanDrafted,
    RotationPlanPublished,
    RotationPlanRevised,
)
from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import NotFound, RuleViolated, VersionConflict
from services.common.identity import Actor, CommandContext, Role
from services.common.logs import OpenedLog
from services.schedules import access
from services.schedules.domain import (
    CentreFacts,
    Conflict,
    InvalidPlan,
    OtherPlan,
    Pattern,
    Period,
    PlanContent,
    RotationPlan,
    StudentPlacements,
    World,
    check,
    generate,
)
from services.schedules.domain.content import listing, parse_day
from services.schedules.domain.diff import diff
from services.schedules.domain.register import REGISTER_ID, PublicationRegister
from services.schedules.ports import PlacementDirectory

_TOPICS = [get_topic(c) for c in (RotationPlanDrafted, RotationPlanPublished, RotationPlanRevised)]


@dataclass(frozen=True)
class PlanSummary:
    plan_id: str
    school_id: str
    cohort: str
    title: str
    revision: int
    """0 while a draft."""


class _PlanIndex:
    """Every plan and the current revision of each published one, read incrementally from the context's log
    (the events that publish or revise carry the whole content)."""

    def __init__(self, app: SchedulesApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._position = 0
        self.summaries: dict[str, PlanSummary] = {}
        self.published: dict[str, OtherPlan] = {}
        self._by_student: dict[str, list[str]] | None = None

    def refresh(self) -> _PlanIndex:
        with self._lock:
            while True:
                batch = self._app.recorder.select_notifications(start=self._position, limit=500, topics=_TOPICS,
                                                               inclusive_of_start=False)
                for notification in batch:
                    self._apply(self._app.mapper.to_domain_event(notification))
                    self._position = notification.id
                if len(batch) < 500:
                    return self

    def _apply(self, event: Any) -> None:
        plan_id = str(event.originator_id)
        if isinstance(event, RotationPlanDrafted):
            self.summaries[plan_id] = PlanSummary(plan_id, event.school_id, event.cohort, event.title, 0)
            return
        self.summaries[plan_id] = PlanSummary(plan_id, event.school_id, event.cohort, event.title, event.revision)
        self.published[plan_id] = OtherPlan(plan_id, event.title, event.revision, PlanContent.from_dict(event.content))
        self._by_student = None

    def published_plans(self) -> tuple[OtherPlan, ...]:
        with self._lock:
            return tuple(self.published.values())

    def plan_summaries(self) -> tuple[PlanSummary, ...]:
        with self._lock:
            return tuple(self.summaries.values())

    def plans_of(self, student_id: str) -> list[OtherPlan]:
        with self._lock:
            if self._by_student is None:
                self._by_student = {}
                for plan in self.published.values():
                    for student in plan.content.students:
                        self._by_student.setdefault(student, []).append(plan.plan_id)
            return [self.published[p] for p in self._by_student.get(student_id, [])]


class SchedulesApplication(DualtrackApplication):
    """Rotation plans: drafted by hand or from a pattern, checked, published and revised."""

    context = "schedules"
    placements: PlacementDirectory

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index = _PlanIndex(self)

    def connect(self, *, placements: PlacementDirectory) -> None:
        """Plug in the placements the conflict checker looks at (the composition root does this)."""
        self.placements = placements

    # -- commands ---------------------------------------------------------------------------------
    def draft_plan(self, ctx: CommandContext, *, school_id: str, cohort: str, title: str,
                   content: dict[str, Any]) -> CommandResult:
        """Draft a plan for a cohort of the coordinator's school, by hand."""
        access.require_planner(ctx.actor, school_id)
        plan_content = self._content_for(school_id, content)
        plan = RotationPlan.draft(school_id=school_id, cohort=cohort.strip(), title=title.strip(),
                                  content=plan_content, generated_from=None, meta=ctx.meta())
        return self.record(plan)

    def generate_plan(self, ctx: CommandContext, *, school_id: str, cohort: str, title: str,
                      pattern: dict[str, Any]) -> CommandResult:
        """Draft a plan from a pattern: N weeks at school then M at enterprises, K cycles, G staggered groups."""
        access.require_planner(ctx.actor, school_id)
        content, generated_from = self._generated(school_id, pattern)
        plan = RotationPlan.draft(school_id=school_id, cohort=cohort.strip(), title=title.strip(),
                                  content=content, generated_from=generated_from, meta=ctx.meta())
        return self.record(plan)

    def change_draft(self, ctx: CommandContext, plan_id: UUID, *, content: dict[str, Any] | None = None,
                     pattern: dict[str, Any] | None = None, expected_version: int | None = None) -> CommandResult:
        """Replace a draft's content, given whole or generated again from a pattern."""
        def command() -> CommandResult:
            plan = self._plan(plan_id, expected_version)
            access.require_planner(ctx.actor, plan.school_id)
            if pattern is not None:
                new, generated_from = self._generated(plan.school_id, pattern)
            else:
                new, generated_from = self._content_for(plan.school_id, content or {}), None
            plan.change_draft(new, generated_from, ctx.meta())
            return self.record(plan)
        return self.retrying(expected_version, command)

    def publish_plan(self, ctx: CommandContext, plan_id: UUID, overrides: dict[str, str] | None = None,
                     expected_version: int | None = None) -> CommandResult:
        """Publish the draft; refused while conflicts remain that are not each overridden with a justification."""
        def command() -> CommandResult:
            plan = self._plan(plan_id, expected_version)
            access.require_planner(ctx.actor, plan.school_id)
            plan.publish(self._conflicts(plan, plan.content), dict(overrides or {}), ctx.meta())
            return self.record(plan, *self._registered(plan, ctx.meta()))
        return self._in_sequence(command)

    def revise_plan(self, ctx: CommandContext, plan_id: UUID, *, content: dict[str, Any], reason: str,
                    overrides: dict[str, str] | None = None, expected_version: int | None = None) -> CommandResult:
        """Publish a new revision of a published plan, with a reason; checked like a publication."""
        def command() -> CommandResult:
            plan = self._plan(plan_id, expected_version)
            access.require_planner(ctx.actor, plan.school_id)
            new = self._content_for(plan.school_id, content)
            plan.revise(new, reason, self._conflicts(plan, new), dict(overrides or {}), ctx.meta(reason=reason.strip()))
            return self.record(plan, *self._registered(plan, ctx.meta(reason=reason.strip())))
        return self._in_sequence(command)

    def _registered(self, plan: RotationPlan, meta: EventMeta) -> list[Any]:
        """The register's events for the plan's new revision, saved with the plan: of two publications decided at
        once, the second fails on the register's next version and is decided again (_in_sequence)."""
        register: OpenedLog[PlanRevisionRegistered] = OpenedLog(
            self.events, REGISTER_ID, aggregate=PublicationRegister, opened=PublicationRegisterOpened,
            logged=PlanRevisionRegistered)
        return register.append({"meta": meta}, plan_id=str(plan.id), revision=plan.revision, meta=meta)

    def _in_sequence(self, command: Callable[[], CommandResult]) -> CommandResult:
        """Publications pass through the register one at a time: one that lost the race to another is decided
        again, seeing it (the plan's own expected version is checked again on every attempt)."""
        for attempt in range(5):
            try:
                return command()
            except VersionConflict:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    # -- queries ----------------------------------------------------------------------------------
    def check_plan(self, actor: Actor, plan_id: UUID) -> list[Conflict]:
        """The conflicts of the plan's content now: the draft's, or the current revision's."""
        plan = self.get_plan(actor, plan_id)
        return self._conflicts(plan, plan.content)

    def get_plan(self, actor: Actor, plan_id: UUID) -> RotationPlan:
        plan = self._plan(plan_id)
        access.require_may_read_plan(actor, plan.school_id, self._mentored_centres(actor, plan))
        return plan

    def changes_between(self, actor: Actor, plan_id: UUID, first: int, second: int) -> dict[str, Any]:
        """What changed from one published revision to another (either order)."""
        plan = self.get_plan(actor, plan_id)
        revisions = []
        for number in (first, second):
            revision = plan.revision_numbered(number)
            if revision is None:
                raise NotFound(f"plan {plan_id} has no revision {number} (revisions 1..{plan.revision})",
                               revision=number)
            revisions.append(revision)
        return diff(revisions[0].content, revisions[1].content)

    def plans(self, actor: Actor, school_id: str | None = None) -> list[PlanSummary]:
        """Plans the caller may read, in the order they were drafted."""
        found = [s for s in self._index.refresh().plan_summaries() if school_id is None or s.school_id == school_id]
        if actor.role is Role.MENTOR:
            readable = []
            for summary in found:
                plan = self._plan(UUID(summary.plan_id))
                if self._mentored_centres(actor, plan):
                    readable.append(summary)
            return readable
        return [s for s in found if access.may_read_plans_of(actor, s.school_id)]

    def is_school_day(self, student_id: str, day: date) -> bool:
        """Is the day a school day for the student: a weekday of a published school block that is not a
        holiday."""
        return any(p.content.is_school_day(student_id, day) for p in self._index.refresh().plans_of(student_id))

    # -- helpers ----------------------------------------------------------------------------------
    def _plan(self, plan_id: UUID, expected_version: int | None = None) -> RotationPlan:
        return self.load(RotationPlan, plan_id, expected_version)

    def _mentored_centres(self, actor: Actor, plan: RotationPlan) -> list[str]:
        """The centres of the plan's published revision the actor mentors at (for their enterprise)."""
        if actor.role is not Role.MENTOR or not plan.revisions:
            return []
        return [c for c in plan.revisions[-1].content.centres
                if (centre := self._centre(c)).enterprise_id == actor.enterprise_id and actor.subject in centre.mentors]

    def _centre(self, centre_id: str) -> CentreFacts:
        return self.placements.centre(centre_id)

    def _students(self, school_id: str, students: Iterable[str]) -> dict[str, StudentPlacements]:
        """The plan's students as the placements context records them; each must be a student of the school."""
        found: dict[str, StudentPlacements] = {}
        for student_id in students:
            facts = self.placements.student(student_id)
            if facts.school_id != school_id:
                raise RuleViolated("student-of-another-school", f"student {student_id} is not a student of school "
                                   f"{school_id}", student_id=student_id)  # never which school they are of
            found[student_id] = facts
        return found

    def _content_for(self, school_id: str, content: dict[str, Any]) -> PlanContent:
        """Read the content and check it names the school's students and existing centres."""
        self.placements.rule_set_of(school_id)  # NotFound for an unknown school
        plan_content = PlanContent.from_dict(_canonical(content))
        self._students(school_id, plan_content.students)
        for centre_id in plan_content.centres:
            self._centre(centre_id)
        return plan_content

    def _generated(self, school_id: str, pattern: dict[str, Any]) -> tuple[PlanContent, dict[str, Any]]:
        self.placements.rule_set_of(school_id)
        calendar = pattern.get("calendar") or {}
        try:
            spec = Pattern(
                start=parse_day(pattern["start"], "start"),
                school_weeks=_whole(pattern, "school_weeks"), enterprise_weeks=_whole(pattern, "enterprise_weeks"),
                cycles=_whole(pattern, "cycles"), groups=_whole(pattern, "groups"),
                hours_per_week=40 if pattern.get("hours_per_week") is None else _whole(pattern, "hours_per_week"),
                students=tuple(_canonical_id(s) for s in listing(pattern["students"], "students")),
                holidays=tuple(Period.from_dict(h, f"calendar.holidays[{i}]")
                               for i, h in enumerate(calendar.get("holidays") or [])),
                exam_weeks=tuple(Period.from_dict(e, f"calendar.exam_weeks[{i}]")
                                 for i, e in enumerate(calendar.get("exam_weeks") or [])),
            )
        except KeyError as missing:
            raise InvalidPlan(f"{missing.args[0]}: required", field=str(missing.args[0])) from None
        except (TypeError, ValueError) as error:
            raise InvalidPlan(f"pattern: {error}", field="pattern") from None
        students = self._students(school_id, dict.fromkeys(spec.students))
        centres_of_students = {p.centre_id for s in students.values() for p in s.placements}
        centres = {c: self._centre(c) for c in sorted(centres_of_students)}
        return generate(spec, students, centres)

    def _conflicts(self, plan: RotationPlan, content: PlanContent) -> list[Conflict]:
        students = {s: self.placements.student(s) for s in content.students}
        others = tuple(p for p in self._index.refresh().published_plans() if p.plan_id != str(plan.id))
        centres: dict[str, CentreFacts] = {c: self._centre(c) for c in content.centres}
        world = World(self.placements.rule_set_of(plan.school_id), students, centres, others)
        return check(str(plan.id), content, world)


def _canonical_id(value: Any) -> str:
    """One spelling per id (lower-case UUID), so a student named twice is recognised as one."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return str(value)


def _whole(pattern: dict[str, Any], name: str) -> int:
    value = pattern[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidPlan(f"{name}: a whole number, not {value!r}", field=name)
    return value


def _canonical(content: dict[str, Any]) -> dict[str, Any]:
    """The content with one spelling per student and centre id; content of the wrong shape is left for
    PlanContent.from_dict to name what is wrong."""
    try:
        groups = [{**g, "students": [_canonical_id(s) for s in g.get("students") or []]}
                  for g in content.get("groups") or []]
        blocks = [{**b, "assignments": [{**a, "student_id": _canonical_id(a.get("student_id")),
                                         "centre_id": _canonical_id(a.get("centre_id"))}
                                        for a in b.get("assignments") or []]}
                  for b in content.get("blocks") or []]
    except (AttributeError, TypeError):
        return content
    return {**content, "groups": groups, "blocks": blocks}

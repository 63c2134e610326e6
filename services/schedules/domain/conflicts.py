"""The conflict checker: everything in a plan that cannot happen as planned, as a structured list.

Each conflict has a stable `key` (the same conflict found again has the same key), so a coordinator can
override exactly the conflicts they have seen, each with a justification.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

from services.common.rules import rule_set_in_force
from services.schedules.domain.content import (
    ENTERPRISE,
    Block,
    Period,
    PlanContent,
    week_of,
)
from services.schedules.domain.facts import CentreFacts, OtherPlan, StudentPlacements

STUDENT_DOUBLE_BOOKED = "student-double-booked"
CENTRE_OVER_CAPACITY = "centre-over-capacity"
NO_PLACEMENT_AT_CENTRE = "no-placement-at-centre"
OUTSIDE_PLACEMENT_PERIOD = "outside-placement-period"
OVERLAPPING_BLOCKS = "overlapping-blocks"
ENTERPRISE_BLOCK_ON_HOLIDAY = "enterprise-block-on-holiday"
ENTERPRISE_BLOCK_IN_EXAM_WEEK = "enterprise-block-in-exam-week"
WEEKLY_HOURS_OVER_CAP = "weekly-hours-over-cap"
STUDENT_WITHOUT_CENTRE = "student-without-centre"

KINDS = (STUDENT_DOUBLE_BOOKED, CENTRE_OVER_CAPACITY, NO_PLACEMENT_AT_CENTRE, OUTSIDE_PLACEMENT_PERIOD,
         OVERLAPPING_BLOCKS, ENTERPRISE_BLOCK_ON_HOLIDAY, ENTERPRISE_BLOCK_IN_EXAM_WEEK, WEEKLY_HOURS_OVER_CAP,
         STUDENT_WITHOUT_CENTRE)


@dataclass(frozen=True)
class Conflict:
    key: str
    kind: str
    week: str
    """The ISO week (2027-W09) where it first bites."""
    objects: dict[str, Any]
    """What is involved: blocks, students, centres, groups."""
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "week": self.week, "objects": self.objects,
                "message": self.message, "details": self.details}


@dataclass(frozen=True)
class Place:
    """Where a block puts a student: at school (centre None) or at a centre."""

    plan_id: str
    block: Block
    centre_id: str | None

    @property
    def ref(self) -> dict[str, str]:
        return {"plan_id": self.plan_id, "block_id": self.block.id}


@dataclass(frozen=True)
class World:
    """The facts outside the plan the checker looks at."""

    rule_set: str
    students: Mapping[str, StudentPlacements]
    centres: Mapping[str, CentreFacts]
    others: tuple[OtherPlan, ...] = ()


def check(plan_id: str, content: PlanContent, world: World) -> list[Conflict]:
    """Every conflict of the plan, ordered by week, kind and key."""
    found = [
        *_overlapping_blocks(content),
        *_double_bookings(plan_id, content, world.others),
        *_placements(content, world.students),
        *_over_capacity(plan_id, content, world),
        *_enterprise_blocks_in(content.holidays, ENTERPRISE_BLOCK_ON_HOLIDAY, "holiday", content),
        *_enterprise_blocks_in(content.exam_weeks, ENTERPRISE_BLOCK_IN_EXAM_WEEK, "exam week", content),
        *_weekly_hours(content, world.rule_set),
        *_students_without_centre(content),
    ]
    return sorted(found, key=lambda c: (c.week, KINDS.index(c.kind), c.key))


def _overlapping_blocks(content: PlanContent) -> Iterator[Conflict]:
    by_group: dict[str, list[Block]] = defaultdict(list)
    for block in content.blocks:
        by_group[block.group].append(block)
    for group, blocks in by_group.items():
        for a, b in combinations(sorted(blocks, key=lambda x: (x.start, x.id)), 2):
            if a.period.overlaps(b.period):
                yield Conflict(
                    f"{OVERLAPPING_BLOCKS}:{group}:{a.id}:{b.id}", OVERLAPPING_BLOCKS, week_of(b.start),
                    {"group": group, "blocks": [a.id, b.id]},
                    f"blocks {a.id} ({a.start}..{a.end}) and {b.id} ({b.start}..{b.end}) of group {group} overlap",
                )


def _places(plan_id: str, content: PlanContent, student_id: str) -> list[Place]:
    return [Place(plan_id, block, centre) for block, centre in content.places_of(student_id)]


def _double_bookings(plan_id: str, content: PlanContent, others: Iterable[OtherPlan]) -> Iterator[Conflict]:
    """A student placed twice at the same time, except by two blocks of one group (those overlap already)."""
    others = tuple(others)
    for student in content.students:
        ours = _places(plan_id, content, student)
        theirs = [p for other in others for p in _places(other.plan_id, other.content, student)]
        pairs = [(a, b) for a, b in combinations(ours, 2) if a.block.group != b.block.group]
        pairs += [(a, b) for a in ours for b in theirs]
        for a, b in pairs:
            if a.block.period.overlaps(b.block.period):
                first = max(a.block.start, b.block.start)
                yield Conflict(
                    f"{STUDENT_DOUBLE_BOOKED}:{student}:{a.plan_id}/{a.block.id}:{b.plan_id}/{b.block.id}",
                    STUDENT_DOUBLE_BOOKED, week_of(first), {"student_id": student, "blocks": [a.ref, b.ref]},
                    f"student {student} is planned in {_where(a)} and {_where(b)} from {first}",
                )


def _where(place: Place) -> str:
    at = f"at centre {place.centre_id}" if place.centre_id else "at school"
    return f"block {place.block.id} of plan {place.plan_id} ({at})"


def _placements(content: PlanContent, students: Mapping[str, StudentPlacements]) -> Iterator[Conflict]:
    for block in content.blocks:
        for a in block.assignments:
            facts = students.get(a.student_id)
            approved = facts.approved_at(a.centre_id) if facts else []
            objects = {"student_id": a.student_id, "block_id": block.id, "centre_id": a.centre_id}
            if not approved:
                yield Conflict(
                    f"{NO_PLACEMENT_AT_CENTRE}:{block.id}:{a.student_id}", NO_PLACEMENT_AT_CENTRE, week_of(block.start),
                    objects, f"student {a.student_id} has no approved or active placement at centre {a.centre_id} "
                    f"for block {block.id}",
                )
            elif not any(p.covers(block.start, block.end) for p in approved):
                yield Conflict(
                    f"{OUTSIDE_PLACEMENT_PERIOD}:{block.id}:{a.student_id}", OUTSIDE_PLACEMENT_PERIOD,
                    week_of(block.start), objects,
                    f"block {block.id} ({block.start}..{block.end}) is not within student {a.student_id}'s "
                    f"placement at centre {a.centre_id}",
                    {"placements": [{"placement_id": p.placement_id, "start": p.start.isoformat(),
                                     "last_day": p.last_day.isoformat(), "status": p.status} for p in approved]},
                )


def _over_capacity(plan_id: str, content: PlanContent, world: World) -> Iterator[Conflict]:
    """Distinct students at a centre in an ISO week, this plan's and other published plans', above capacity.
    Other plans (maybe other schools') are named and counted; their students are not listed."""
    present: dict[tuple[str, date], dict[str, str]] = defaultdict(dict)  # (centre, monday) -> student -> plan

    def count(pid: str, plan: PlanContent, ours: bool) -> None:
        for block in plan.blocks:
            for a in block.assignments:
                if not ours and a.centre_id not in ours_centres:
                    continue
                for monday in block.period.mondays():
                    present[(a.centre_id, monday)].setdefault(a.student_id, pid)

    ours_centres = set(content.centres)
    count(plan_id, content, True)
    ours_weeks = {key for key, students in present.items() if students}
    for other in world.others:
        count(other.plan_id, other.content, False)
    for (centre_id, monday), students in sorted(present.items()):
        centre = world.centres.get(centre_id)
        if centre is None or (centre_id, monday) not in ours_weeks or len(students) <= centre.capacity:
            continue
        week = week_of(monday)
        ours = sorted(s for s, pid in students.items() if pid == plan_id)
        yield Conflict(
            f"{CENTRE_OVER_CAPACITY}:{centre_id}:{week}", CENTRE_OVER_CAPACITY, week,
            {"centre_id": centre_id, "students": ours, "plans": sorted(set(students.values()))},
            f"centre {centre.name} would host {len(students)} students in {week}, "
            f"over its capacity of {centre.capacity}",
            {"expected": len(students), "capacity": centre.capacity, "from_this_plan": len(ours),
             "from_other_plans": len(students) - len(ours)},
        )


def _enterprise_blocks_in(periods: Iterable[Period], kind: str, label: str, content: PlanContent) -> Iterator[Conflict]:
    for block in content.blocks:
        if block.kind != ENTERPRISE:
            continue
        for period in periods:
            if block.period.overlaps(period):
                first = max(block.start, period.start)
                yield Conflict(
                    f"{kind}:{block.id}:{period.start.isoformat()}", kind, week_of(first),
                    {"block_id": block.id, "group": block.group, label.replace(" ", "_"): period.to_dict()},
                    f"enterprise block {block.id} runs through the {label} {period.name or ''} "
                    f"({period.start}..{period.end})".replace("  ", " "),
                )


def _weekly_hours(content: PlanContent, rule_set: str) -> Iterator[Conflict]:
    for block in content.blocks:
        if block.kind != ENTERPRISE or block.hours_per_week is None:
            continue
        over = [(monday, cap) for monday in block.period.mondays()
                if block.hours_per_week
                > (cap := rule_set_in_force(rule_set, max(monday, block.start)).max_hours_per_week)]
        if over:
            first, cap = over[0]
            yield Conflict(
                f"{WEEKLY_HOURS_OVER_CAP}:{block.id}", WEEKLY_HOURS_OVER_CAP, week_of(first),
                {"block_id": block.id, "group": block.group},
                f"block {block.id} plans {block.hours_per_week} h a week, over the {rule_set} cap of {cap} h",
                {"planned_hours": block.hours_per_week, "cap_hours": cap, "rule_set": rule_set,
                 "weeks": [week_of(m) for m, _ in over]},
            )


def _students_without_centre(content: PlanContent) -> Iterator[Conflict]:
    for block in content.blocks:
        if block.kind != ENTERPRISE:
            continue
        assigned = {a.student_id for a in block.assignments}
        for student in content.members(block.group):
            if student not in assigned:
                yield Conflict(
                    f"{STUDENT_WITHOUT_CENTRE}:{block.id}:{student}", STUDENT_WITHOUT_CENTRE, week_of(block.start),
                    {"student_id": student, "block_id": block.id, "group": block.group},
                    f"student {student} of group {block.group} has no centre in enterprise block {block.id}",
                )

"""Pattern generation: "from D, N weeks at school then M weeks at enterprises, K cycles, G groups".

Deterministic and explainable: the same pattern and the same placements give the same plan, and every
choice comes with its reason.

- Each student goes to the centre of their approved placement that covers most of the term (ties: the
  earlier start, then the placement id); students without one are left without a centre, and the checker
  will say so.
- Students are dealt to groups centre by centre, in turn (students and centres in id order), so each
  centre's students are spread evenly over the groups and the groups differ in size by one at most.
- Group g starts g x (N + M) / G weeks into the cycle (rounded down), which spreads the groups' enterprise
  weeks evenly: at most ceil(G x M / (N + M)) groups are at enterprises in any week.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil
from typing import Any

from services.schedules.domain.content import (
    ENTERPRISE,
    SCHOOL,
    Assignment,
    Block,
    Group,
    InvalidPlan,
    Period,
    PlanContent,
    week_of,
)
from services.schedules.domain.facts import (
    CentreFacts,
    PlacementPeriod,
    StudentPlacements,
)


@dataclass(frozen=True)
class Pattern:
    start: date
    school_weeks: int
    enterprise_weeks: int
    cycles: int
    groups: int
    hours_per_week: int
    students: tuple[str, ...]
    holidays: tuple[Period, ...] = ()
    exam_weeks: tuple[Period, ...] = ()

    def __post_init__(self) -> None:
        if self.start.weekday() != 0:
            raise InvalidPlan(f"start: a pattern starts on a Monday; {self.start} is a {self.start:%A}", field="start")
        for name in ("school_weeks", "enterprise_weeks", "cycles", "groups", "hours_per_week"):
            if getattr(self, name) < 1:
                raise InvalidPlan(f"{name}: must be at least 1", field=name)
        if self.groups > len(string.ascii_uppercase):
            raise InvalidPlan(f"groups: at most {len(string.ascii_uppercase)}", field="groups")
        if not self.students:
            raise InvalidPlan("students: a pattern needs the cohort's students", field="students")
        if self.groups > len(set(self.students)):
            raise InvalidPlan(f"groups: {self.groups} groups for {len(set(self.students))} students", field="groups")

    @property
    def cycle(self) -> int:
        return self.school_weeks + self.enterprise_weeks

    @property
    def term(self) -> Period:
        return Period(self.start, self.start + timedelta(weeks=self.cycles * self.cycle, days=-1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "school_weeks": self.school_weeks,
            "enterprise_weeks": self.enterprise_weeks, "cycles": self.cycles, "groups": self.groups,
            "hours_per_week": self.hours_per_week, "students": sorted(set(self.students)),
            "calendar": {"holidays": [h.to_dict() for h in self.holidays],
                         "exam_weeks": [e.to_dict() for e in self.exam_weeks]},
        }


def _placement_for(student: StudentPlacements, term: Period) -> PlacementPeriod | None:
    def days_within(p: PlacementPeriod) -> int:
        return max(0, (min(p.last_day, term.end) - max(p.start, term.start)).days + 1)

    candidates = [p for p in student.placements if p.approved and days_within(p) > 0]
    return min(candidates, key=lambda p: (-days_within(p), p.start, p.placement_id), default=None)


def generate(pattern: Pattern, students: Mapping[str, StudentPlacements],
             centres: Mapping[str, CentreFacts]) -> tuple[PlanContent, dict[str, Any]]:
    """The plan the pattern gives, and what it was generated from with the reason for every allocation."""
    term = pattern.term
    names = string.ascii_uppercase[:pattern.groups]
    chosen: dict[str, PlacementPeriod | None] = {
        s: _placement_for(students[s], term) if s in students else None for s in sorted(set(pattern.students))}
    by_centre: dict[str | None, list[str]] = defaultdict(list)
    for student_id, placement in chosen.items():
        by_centre[placement.centre_id if placement else None].append(student_id)

    members: dict[str, list[str]] = {name: [] for name in names}
    explained_students: list[dict[str, Any]] = []
    turn = 0
    for centre_id in sorted(by_centre, key=lambda c: (c is None, c or "")):
        dealt = by_centre[centre_id]
        for n, student_id in enumerate(dealt, start=1):
            group = names[turn % pattern.groups]
            turn += 1
            members[group].append(student_id)
            placement = chosen[student_id]
            if placement is None:
                reason = ("no approved placement overlaps the term: planned at school blocks only, "
                          "without a centre in enterprise blocks")
            else:
                reason = (f"placement {placement.placement_id} at centre {placement.centre_id} ({placement.status}, "
                          f"{placement.start}..{placement.last_day}) covers most of the term; "
                          f"{_ordinal(n)} of the centre's {len(dealt)} students, dealt to the groups in turn")
            explained_students.append({"student_id": student_id, "group": group,
                                       "centre_id": placement.centre_id if placement else None,
                                       "placement_id": placement.placement_id if placement else None,
                                       "reason": reason})

    offsets = {name: (g * pattern.cycle) // pattern.groups for g, name in enumerate(names)}
    blocks: list[Block] = []
    for name in names:
        blocks.extend(_blocks_of(name, offsets[name], pattern, members[name], chosen))
    content = PlanContent(term, pattern.holidays, pattern.exam_weeks,
                          tuple(Group(name, tuple(members[name])) for name in names), tuple(blocks))

    at_most = ceil(pattern.groups * pattern.enterprise_weeks / pattern.cycle)
    explained_groups = [
        {"group": name, "students": len(members[name]), "offset_weeks": offsets[name],
         "reason": f"starts {offsets[name]} week(s) into the {pattern.cycle}-week cycle ({pattern.school_weeks} at "
                   f"school, {pattern.enterprise_weeks} at enterprises), spreading the {pattern.groups} groups evenly: "
                   f"at most {at_most} at enterprises in any week"}
        for name in names
    ]
    explained_centres = [_centre_peak(centre_id, content, centres) for centre_id in content.centres]
    return content, {"pattern": pattern.to_dict(),
                     "explanations": {"groups": explained_groups, "students": explained_students,
                                      "centres": explained_centres}}


def _blocks_of(group: str, offset: int, pattern: Pattern, members: list[str],
               chosen: Mapping[str, PlacementPeriod | None]) -> list[Block]:
    weeks = pattern.cycles * pattern.cycle
    kinds = [SCHOOL if (w - offset) % pattern.cycle < pattern.school_weeks else ENTERPRISE for w in range(weeks)]
    runs: list[tuple[str, int, int]] = []  # kind, first week, last week
    for w, kind in enumerate(kinds):
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1], w)
        else:
            runs.append((kind, w, w))
    blocks = []
    for n, (kind, first, last) in enumerate(runs, start=1):
        period = Period(pattern.start + timedelta(weeks=first), pattern.start + timedelta(weeks=last, days=4))
        assignments: tuple[Assignment, ...] = ()
        if kind == ENTERPRISE:
            assignments = tuple(Assignment(s, p.centre_id) for s in members if (p := chosen[s]) is not None)
        blocks.append(Block(f"{group}{n}", group, kind, period,
                            pattern.hours_per_week if kind == ENTERPRISE else None, assignments))
    return blocks


def _centre_peak(centre_id: str, content: PlanContent, centres: Mapping[str, CentreFacts]) -> dict[str, Any]:
    weekly: dict[date, set[str]] = defaultdict(set)
    for block in content.blocks:
        for a in block.assignments:
            if a.centre_id == centre_id:
                for monday in block.period.mondays():
                    weekly[monday].add(a.student_id)
    peak_monday, peak = max(((m, len(s)) for m, s in weekly.items()), key=lambda x: (x[1], -x[0].toordinal()))
    centre = centres.get(centre_id)
    capacity = centre.capacity if centre else None
    within = capacity is not None and peak <= capacity
    return {"centre_id": centre_id, "peak": peak, "peak_week": week_of(peak_monday), "capacity": capacity,
            "reason": f"at most {peak} of its students are at enterprises in the same week ({week_of(peak_monday)})"
                      + (f", within its capacity of {capacity}" if within
                         else f", over its capacity of {capacity}" if capacity is not None else "")}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

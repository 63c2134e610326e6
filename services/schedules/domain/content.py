"""What a rotation plan says: its term, school calendar, groups and blocks, as values.

The same shape travels in the events as plain JSON (`to_dict` / `from_dict`), so every revision can be
read back from its own event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.common.errors import InvalidInput

SCHOOL = "school"
ENTERPRISE = "enterprise"
KINDS = (SCHOOL, ENTERPRISE)


class InvalidPlan(InvalidInput):
    """The plan's content does not hold together (a block without a group, an end before a start...);
    `details["field"]` names the place."""


def parse_day(value: Any, field_name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidPlan(f"{field_name}: not a date (YYYY-MM-DD): {value!r}", field=field_name) from None


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidPlan(f"{where}: expected an object", field=where)
    return value


def listing(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidPlan(f"{where}: expected a list", field=where)
    return value


def week_of(day: date) -> str:
    """An ISO week as 2027-W09."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """A named span of days, first and last day included."""

    start: date
    end: date
    name: str = ""

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def mondays(self) -> Iterator[date]:
        """The Monday of every ISO week the period touches."""
        monday = monday_of(self.start)
        while monday <= self.end:
            yield monday
            monday += timedelta(days=7)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Period:
        data = mapping(data, where)
        period = cls(parse_day(data.get("start"), f"{where}.start"), parse_day(data.get("end"), f"{where}.end"),
                     str(data.get("name") or ""))
        if period.end < period.start:
            raise InvalidPlan(f"{where}: ends ({period.end}) before it starts ({period.start})", field=where)
        return period


@dataclass(frozen=True)
class Assignment:
    student_id: str
    centre_id: str


@dataclass(frozen=True)
class Block:
    """A span of the term a group spends at school, or at enterprises (each student at their centre)."""

    id: str
    group: str
    kind: str
    period: Period
    hours_per_week: int | None = None
    """Planned practice hours a week (enterprise blocks)."""
    assignments: tuple[Assignment, ...] = ()

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    def centre_of(self, student_id: str) -> str | None:
        return next((a.centre_id for a in self.assignments if a.student_id == student_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "group": self.group, "kind": self.kind, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "hours_per_week": self.hours_per_week,
            "assignments": [{"student_id": a.student_id, "centre_id": a.centre_id} for a in self.assignments],
        }


@dataclass(frozen=True)
class Group:
    name: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class PlanContent:
    """A plan's term, holidays and exam weeks, groups of students and blocks."""

    term: Period
    holidays: tuple[Period, ...] = ()
    exam_weeks: tuple[Period, ...] = ()
    groups: tuple[Group, ...] = ()
    blocks: tuple[Block, ...] = ()
    _members: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._members.update({g.name: g.students for g in self.groups})

    @property
    def students(self) -> list[str]:
        """Every student of the plan, in the order the groups list them."""
        return list(dict.fromkeys(s for g in self.groups for s in g.students))

    @property
    def centres(self) -> list[str]:
        return sorted({a.centre_id for b in self.blocks for a in b.assignments})

    def members(self, group: str) -> tuple[str, ...]:
        return self._members.get(group, ())

    def block(self, block_id: str) -> Block | None:
        return next((b for b in self.blocks if b.id == block_id), None)

    def places_of(self, student_id: str) -> list[tuple[Block, str | None]]:
        """The blocks that place the student somewhere, with the centre for enterprise blocks."""
        found: list[tuple[Block, str | None]] = []
        for block in self.blocks:
            if block.kind == SCHOOL and student_id in self.members(block.group):
                found.append((block, None))
            elif block.kind == ENTERPRISE and (centre := block.centre_of(student_id)) is not None:
                found.append((block, centre))
        return found

    def is_school_day(self, student_id: str, day: date) -> bool:
        """A weekday of a school block of the student's group that is not a holiday."""
        if day.weekday() >= 5 or any(h.start <= day <= h.end for h in self.holidays):
            return False
        return any(b.kind == SCHOOL and b.start <= day <= b.end for b, _ in self.places_of(student_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": {"start": self.term.start.isoformat(), "end": self.term.end.isoformat()},
            "calendar": {"holidays": [h.to_dict() for h in self.holidays],
                         "exam_weeks": [e.to_dict() for e in self.exam_weeks]},
            "groups": [{"name": g.name, "students": list(g.students)} for g in self.groups],
            "blocks": [b.to_dict() for b in self.blocks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanContent:
        """Read and check a plan's content; InvalidPlan names the first field that does not hold together."""
        data = mapping(data, "content")
        term = Period.from_dict(data.get("term") or {}, "term")
        calendar = mapping(data.get("calendar") or {}, "calendar")
        holidays = tuple(Period.from_dict(h, f"calendar.holidays[{i}]")
                         for i, h in enumerate(listing(calendar.get("holidays"), "calendar.holidays")))
        exams = tuple(Period.from_dict(e, f"calendar.exam_weeks[{i}]")
                      for i, e in enumerate(listing(calendar.get("exam_weeks"), "calendar.exam_weeks")))
        groups: list[Group] = []
        for i, g in enumerate(listing(data.get("groups"), "groups")):
            g = mapping(g, f"groups[{i}]")
            name = str(g.get("name") or "").strip()
            if not name:
                raise InvalidPlan(f"groups[{i}].name: a group needs a name", field=f"groups[{i}].name")
            if any(x.name == name for x in groups):
                raise InvalidPlan(f"groups[{i}].name: two groups are called {name!r}", field=f"groups[{i}].name")
            students = tuple(str(s) for s in listing(g.get("students"), f"groups[{i}].students"))
            if len(set(students)) != len(students):
                raise InvalidPlan(f"groups[{i}].students: a student is listed twice", field=f"groups[{i}].students")
            groups.append(Group(name, students))
        members = {g.name: set(g.students) for g in groups}
        blocks: list[Block] = []
        for i, b in enumerate(listing(data.get("blocks"), "blocks")):
            blocks.append(_block(mapping(b, f"blocks[{i}]"), f"blocks[{i}]", members, term, blocks))
        return cls(term, holidays, exams, tuple(groups), tuple(blocks))


def _block(data: dict[str, Any], where: str, members: dict[str, set[str]], term: Period,
           earlier: list[Block]) -> Block:
    block_id = str(data.get("id") or "").strip()
    if not block_id:
        raise InvalidPlan(f"{where}.id: a block needs an id", field=f"{where}.id")
    if any(b.id == block_id for b in earlier):
        raise InvalidPlan(f"{where}.id: two blocks have the id {block_id!r}", field=f"{where}.id")
    group = str(data.get("group") or "")
    if group not in members:
        raise InvalidPlan(f"{where}.group: no group called {group!r} in the plan", field=f"{where}.group")
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidPlan(f"{where}.kind: must be one of {', '.join(KINDS)}", field=f"{where}.kind")
    period = Period.from_dict(data, where)
    if period.start < term.start or period.end > term.end:
        raise InvalidPlan(f"{where}: {period.start}..{period.end} is not within the term "
                          f"{term.start}..{term.end}", field=where)
    hours = data.get("hours_per_week")
    assignments = tuple(
        Assignment(str(a.get("student_id")), str(a.get("centre_id")))
        for a in (mapping(x, f"{where}.assignments[{j}]")
                  for j, x in enumerate(listing(data.get("assignments"), f"{where}.assignments"))))
    if kind == SCHOOL:
        if assignments:
            raise InvalidPlan(f"{where}.assignments: a school block places no one at a centre",
                              field=f"{where}.assignments")
        hours = None
    else:
        if not isinstance(hours, int) or isinstance(hours, bool) or hours <= 0:
            raise InvalidPlan(f"{where}.hours_per_week: an enterprise block plans a positive number of hours a week",
                              field=f"{where}.hours_per_week")
        seen: set[str] = set()
        for j, a in enumerate(assignments):
            if a.student_id not in members[group]:
                raise InvalidPlan(f"{where}.assignments[{j}]: student {a.student_id} is not in group {group!r}",
                                  field=f"{where}.assignments[{j}].student_id")
            if a.student_id in seen:
                raise InvalidPlan(f"{where}.assignments[{j}]: student {a.student_id} is assigned twice",
                                  field=f"{where}.assignments[{j}].student_id")
            seen.add(a.student_id)
    return Block(block_id, group, kind, period, hours, assignments)

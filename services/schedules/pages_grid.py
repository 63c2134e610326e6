"""What the rotation planner's pages show, worked out from a plan's content and its conflicts (no Flask here): the
grid of weeks x groups, which cells each conflict concerns, the conflicts grouped per student (per centre, per block
for those about no one student) with their weeks merged, and two revisions side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.schedules.domain.conflicts import (
    CENTRE_OVER_CAPACITY,
    ENTERPRISE_BLOCK_IN_EXAM_WEEK,
    ENTERPRISE_BLOCK_ON_HOLIDAY,
    NO_PLACEMENT_AT_CENTRE,
    OUTSIDE_PLACEMENT_PERIOD,
    OVERLAPPING_BLOCKS,
    STUDENT_DOUBLE_BOOKED,
    STUDENT_WITHOUT_CENTRE,
    WEEKLY_HOURS_OVER_CAP,
    Conflict,
)
from services.schedules.domain.content import ENTERPRISE, Block, PlanContent, monday_of, week_of

STUDENT_KINDS = (STUDENT_DOUBLE_BOOKED, NO_PLACEMENT_AT_CENTRE, OUTSIDE_PLACEMENT_PERIOD, STUDENT_WITHOUT_CENTRE)
"""Conflicts about one student: listed under the student."""

Name = Callable[[str], str]


def monday_of_week(iso_week: str) -> date | None:
    """2027-W09 as its Monday."""
    try:
        year, week = iso_week.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None


def cell_id(monday: date, group: str) -> str:
    return f"cell-{week_of(monday)}-{''.join(c if c.isalnum() else '-' for c in group)}"


def _mondays(block: Block) -> list[date]:
    return list(block.period.mondays())


def _centres(block: Block, members: tuple[str, ...], centre_name: Name) -> dict[str, Any]:
    counts = Counter(a.centre_id for a in block.assignments)
    return {"centres": sorted(((centre_name(c), n) for c, n in counts.items())),
            "without": len([s for s in members if block.centre_of(s) is None])}


def grid(content: PlanContent, centre_name: Name) -> list[dict[str, Any]]:
    """A row per week of the term: the holidays and exam weeks in it, and for each group the block(s) it is in."""
    rows = []
    monday = monday_of(content.term.start)
    while monday <= content.term.end:
        sunday = monday + timedelta(days=6)
        cells = []
        for group in content.groups:
            blocks = [b for b in content.blocks if b.group == group.name and b.start <= sunday and b.end >= monday]
            cells.append({"id": cell_id(monday, group.name), "group": group.name, "conflicts": [], "blocks": [
                {"block": b, "first": monday_of(b.start) == monday,
                 **(_centres(b, group.students, centre_name) if b.kind == ENTERPRISE else {})}
                for b in blocks]})
        rows.append({"monday": monday, "week": week_of(monday), "cells": cells,
                     "holidays": [h for h in content.holidays if h.start <= sunday and h.end >= monday],
                     "exams": [e for e in content.exam_weeks if e.start <= sunday and e.end >= monday]})
        monday += timedelta(days=7)
    return rows


def cells_of(conflict: Conflict, content: PlanContent, plan_id: str) -> set[tuple[date, str]]:
    """The (week, group) cells of the grid a conflict concerns."""
    objects, first = conflict.objects, monday_of_week(conflict.week)
    if conflict.kind == CENTRE_OVER_CAPACITY:
        students = set(objects.get("students") or [])
        return {(first, b.group) for b in content.blocks if first is not None and b.kind == ENTERPRISE
                and b.start <= first + timedelta(days=6) and b.end >= first
                and any(a.centre_id == objects.get("centre_id") and a.student_id in students for a in b.assignments)}
    ids = [objects["block_id"]] if objects.get("block_id") else []
    for ref in objects.get("blocks") or []:
        if isinstance(ref, str):
            ids.append(ref)
        elif isinstance(ref, dict) and ref.get("plan_id") == plan_id:
            ids.append(ref.get("block_id"))
    weeks: set[date] | None = None
    if conflict.kind == WEEKLY_HOURS_OVER_CAP:
        weeks = {m for w in conflict.details.get("weeks") or [] if (m := monday_of_week(w)) is not None}
    for label in ("holiday", "exam_week"):
        if isinstance(objects.get(label), dict):
            span = objects[label]
            weeks = {m for m in _span_mondays(span.get("start"), span.get("end"))}
    found: set[tuple[date, str]] = set()
    for block in (b for b in content.blocks if b.id in ids):
        for monday in _mondays(block):
            if (weeks is None and (first is None or monday >= first)) or (weeks is not None and monday in weeks):
                found.add((monday, block.group))
    return found


def _span_mondays(start: Any, end: Any) -> list[date]:
    try:
        first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError:
        return []
    mondays, monday = [], monday_of(first)
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


@dataclass
class ConflictGroup:
    """Conflicts listed together and overridden with one justification: a student's, a centre's or a block's."""

    id: str
    kind: str
    """student, centre or block."""
    subject: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    """Conflicts still to be overridden."""
    earlier: list[str] = field(default_factory=list)
    """Justifications of conflicts overridden at an earlier revision."""
    students: list[dict[str, Any]] = field(default_factory=list)
    """For a centre over capacity: each student concerned, with their group and weeks there."""
    cells: list[str] = field(default_factory=list)


def _subject(conflict: Conflict, content: PlanContent) -> tuple[str, str]:
    objects = conflict.objects
    if conflict.kind in STUDENT_KINDS and objects.get("student_id"):
        return "student", str(objects["student_id"])
    if conflict.kind == CENTRE_OVER_CAPACITY:
        return "centre", str(objects.get("centre_id"))
    if objects.get("block_id"):
        return "block", str(objects["block_id"])
    if conflict.kind == OVERLAPPING_BLOCKS:
        return "block", str((objects.get("blocks") or ["?"])[0])
    return "block", conflict.key


def _merge_signature(conflict: Conflict) -> str:
    """Conflicts with the same signature in a group are one line, their weeks merged: a student's double bookings
    (each pair of blocks listed in it), a centre's weeks over capacity."""
    if conflict.kind in (STUDENT_DOUBLE_BOOKED, CENTRE_OVER_CAPACITY):
        return conflict.kind
    return conflict.key


def grouped(conflicts: list[Conflict], content: PlanContent, plan_id: str, justification_of: Callable[[Conflict],
            str | None], student_name: Name, centre_name: Name, plan_title: Name) -> list[ConflictGroup]:
    """The conflicts grouped per student (then per centre, then per block), each group's lines merged by week."""
    groups: dict[str, ConflictGroup] = {}
    group_of_student = {s: g.name for g in content.groups for s in g.students}
    for conflict in conflicts:
        kind, subject = _subject(conflict, content)
        gid = f"{kind}-{subject}"
        if gid not in groups:
            block = content.block(subject) if kind == "block" else None
            title = (student_name(subject) if kind == "student" else centre_name(subject) if kind == "centre"
                     else subject if block is None else f"{block.id} ({block.group})")
            groups[gid] = ConflictGroup(gid, kind, title)
        group = groups[gid]
        earlier = justification_of(conflict)
        if earlier is None:
            group.keys.append(conflict.key)
        elif earlier not in group.earlier:
            group.earlier.append(earlier)
        group.cells.extend(cell_id(m, g) for m, g in sorted(cells_of(conflict, content, plan_id)))
        signature = _merge_signature(conflict)
        line = next((x for x in group.lines if x["signature"] == signature), None)
        if line is None:
            line = {"signature": signature, "kind": conflict.kind, "weeks": [], "objects": conflict.objects,
                    "details": dict(conflict.details), "overridden": earlier is not None,
                    **_line_names(conflict, plan_id, student_name, centre_name, plan_title)}
            group.lines.append(line)
        line["weeks"].append(conflict.week)
        if conflict.kind == STUDENT_DOUBLE_BOOKED:
            line["pairs"].append(_line_names(conflict, plan_id, student_name, centre_name, plan_title)["places"])
        if conflict.kind == CENTRE_OVER_CAPACITY:
            line["details"]["expected"] = max(line["details"].get("expected", 0), conflict.details.get("expected", 0))
            for student in conflict.objects.get("students") or []:
                found = next((s for s in group.students if s["id"] == student), None)
                if found is None:
                    found = {"id": student, "name": student_name(student), "group": group_of_student.get(student, ""),
                             "weeks": []}
                    group.students.append(found)
                found["weeks"].append(conflict.week)
    order = {"student": 0, "centre": 1, "block": 2}
    for group in groups.values():
        group.cells = list(dict.fromkeys(group.cells))
        group.students.sort(key=lambda s: (s["name"], s["id"]))
    return sorted(groups.values(), key=lambda g: (order[g.kind], g.subject, g.id))


def _line_names(conflict: Conflict, plan_id: str, student_name: Name, centre_name: Name,
                plan_title: Name) -> dict[str, Any]:
    objects = conflict.objects
    names: dict[str, Any] = {}
    if objects.get("centre_id"):
        names["centre"] = centre_name(str(objects["centre_id"]))
    if conflict.kind == STUDENT_DOUBLE_BOOKED:
        refs = [r for r in objects.get("blocks") or [] if isinstance(r, dict)]
        names["places"] = [{"block": r.get("block_id"), "here": r.get("plan_id") == plan_id,
                            "plan": "" if r.get("plan_id") == plan_id else plan_title(str(r.get("plan_id")))}
                           for r in refs]
        names["pairs"] = []
    if conflict.kind in (ENTERPRISE_BLOCK_ON_HOLIDAY, ENTERPRISE_BLOCK_IN_EXAM_WEEK):
        names["period"] = objects.get("holiday") or objects.get("exam_week") or {}
    return names


def mark_cells(rows: list[dict[str, Any]], groups: list[ConflictGroup]) -> None:
    """Each cell lists the conflict groups that concern it (shown in the cell, linked to the group)."""
    by_cell: dict[str, list[ConflictGroup]] = {}
    for group in groups:
        for cell in group.cells:
            by_cell.setdefault(cell, []).append(group)
    for row in rows:
        for cell in row["cells"]:
            cell["conflicts"] = by_cell.get(cell["id"], [])


def side_by_side(first: PlanContent, second: PlanContent, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Every block of either revision, in order, with how it reads in each and whether it differs."""
    changed = {c["block_id"]: set(c["changes"]) for c in changes.get("blocks_changed") or []}
    moved = {m["block_id"] for m in changes.get("assignments_changed") or []}
    ids = list(dict.fromkeys([b.id for b in first.blocks] + [b.id for b in second.blocks]))
    rows = []
    for block_id in ids:
        a, b = first.block(block_id), second.block(block_id)
        status = "added" if a is None else "removed" if b is None else (
            "changed" if block_id in changed or block_id in moved else "same")
        rows.append({"id": block_id, "before": a, "after": b, "status": status,
                     "fields": changed.get(block_id, set()) | ({"centres"} if block_id in moved else set())})
    return sorted(rows, key=lambda r: ((r["after"] or r["before"]).group, (r["after"] or r["before"]).start, r["id"]))

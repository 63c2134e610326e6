"""The differences between two revisions of a plan, as a coordinator would read them."""

from __future__ import annotations

from typing import Any

from services.schedules.domain.content import Block, Period, PlanContent


def _periods(periods: tuple[Period, ...]) -> set[tuple[str, str, str]]:
    return {(p.start.isoformat(), p.end.isoformat(), p.name) for p in periods}


def _as_dicts(periods: set[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"start": s, "end": e, "name": n} for s, e, n in sorted(periods)]


def _block_changes(a: Block, b: Block) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("group", "kind", "start", "end", "hours_per_week"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            changes[name] = {"from": _plain(before), "to": _plain(after)}
    return changes


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def diff(before: PlanContent, after: PlanContent) -> dict[str, Any]:
    """Term, holidays, exam weeks, group members, blocks added/removed/changed and students moved between
    centres; an empty list (or None for the term) where nothing changed."""
    term = None
    if before.term != after.term:
        term = {"from": {"start": before.term.start.isoformat(), "end": before.term.end.isoformat()},
                "to": {"start": after.term.start.isoformat(), "end": after.term.end.isoformat()}}
    groups = []
    names_before = {g.name: set(g.students) for g in before.groups}
    names_after = {g.name: set(g.students) for g in after.groups}
    for name in sorted(names_before.keys() | names_after.keys()):
        was, now = names_before.get(name, set()), names_after.get(name, set())
        if name not in names_before or name not in names_after or was != now:
            groups.append({"group": name, "added": sorted(now - was), "removed": sorted(was - now),
                           "status": "added" if name not in names_before
                           else "removed" if name not in names_after else "changed"})
    blocks_before = {b.id: b for b in before.blocks}
    blocks_after = {b.id: b for b in after.blocks}
    changed, moved = [], []
    for block_id in sorted(blocks_before.keys() & blocks_after.keys()):
        a, b = blocks_before[block_id], blocks_after[block_id]
        if changes := _block_changes(a, b):
            changed.append({"block_id": block_id, "changes": changes})
        centres_a = {x.student_id: x.centre_id for x in a.assignments}
        centres_b = {x.student_id: x.centre_id for x in b.assignments}
        for student in sorted(centres_a.keys() | centres_b.keys()):
            if centres_a.get(student) != centres_b.get(student):
                moved.append({"block_id": block_id, "student_id": student,
                              "from": centres_a.get(student), "to": centres_b.get(student)})
    return {
        "term": term,
        "holidays": {"added": _as_dicts(_periods(after.holidays) - _periods(before.holidays)),
                     "removed": _as_dicts(_periods(before.holidays) - _periods(after.holidays))},
        "exam_weeks": {"added": _as_dicts(_periods(after.exam_weeks) - _periods(before.exam_weeks)),
                       "removed": _as_dicts(_periods(before.exam_weeks) - _periods(after.exam_weeks))},
        "groups": groups,
        "blocks_added": [blocks_after[i].to_dict() for i in sorted(blocks_after.keys() - blocks_before.keys())],
        "blocks_removed": [blocks_before[i].to_dict() for i in sorted(blocks_before.keys() - blocks_after.keys())],
        "blocks_changed": changed,
        "assignments_changed": moved,
    }


def is_empty(changes: dict[str, Any]) -> bool:
    return (changes["term"] is None and not any(changes[k]["added"] or changes[k]["removed"]
                                                for k in ("holidays", "exam_weeks"))
            and not any(changes[k] for k in ("groups", "blocks_added", "blocks_removed", "blocks_changed",
                                             "assignments_changed")))

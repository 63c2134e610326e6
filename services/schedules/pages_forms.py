"""The rotation planner's forms read into what the schedules application takes, each refusal named by its field in
the page's words (no Flask request here: the forms come in as mappings)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext

from services.schedules.domain.content import ENTERPRISE, KINDS, SCHOOL, PlanContent

HOLIDAY_ROWS = 3
EXAM_ROWS = 2
NUMBERS = {"school_weeks": (1, 52), "enterprise_weeks": (1, 52), "cycles": (1, 52), "groups": (1, 26),
           "hours_per_week": (1, 168)}
"""The pattern's whole numbers and their bounds (as the API's contract has them)."""

Errors = dict[str, list[str]]


def _refuse(errors: Errors, name: str, text: str) -> None:
    errors.setdefault(name, []).append(text)


def _day(form: Mapping[str, str], name: str, errors: Errors, required: bool = True) -> date | None:
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            _refuse(errors, name, gettext("Give the date."))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _refuse(errors, name, gettext("Give the date as YYYY-MM-DD."))
        return None


def _whole(form: Mapping[str, str], name: str, low: int, high: int, errors: Errors) -> int | None:
    value = (form.get(name) or "").strip()
    try:
        number = int(value)
    except ValueError:
        _refuse(errors, name, gettext("Give a whole number from %(low)s to %(high)s.", low=low, high=high))
        return None
    if not low <= number <= high:
        _refuse(errors, name, gettext("Give a whole number from %(low)s to %(high)s.", low=low, high=high))
        return None
    return number


def _text(form: Mapping[str, str], name: str, longest: int, errors: Errors, what: str) -> str:
    value = (form.get(name) or "").strip()
    if not value or len(value) > longest:
        _refuse(errors, name, gettext("Give %(what)s (at most %(n)s characters).", what=what, n=longest))
    return value


def _periods(form: Mapping[str, str], prefix: str, rows: int, errors: Errors) -> list[dict[str, str]]:
    """The holiday (or exam week) rows filled in; a row half filled in is refused at its empty field."""
    found = []
    for n in range(rows):
        name = (form.get(f"{prefix}-{n}-name") or "").strip()
        start_text, end_text = (form.get(f"{prefix}-{n}-start") or "").strip(), (form.get(f"{prefix}-{n}-end") or "")
        if not (name or start_text or end_text.strip()):
            continue
        start = _day(form, f"{prefix}-{n}-start", errors)
        end = _day(form, f"{prefix}-{n}-end", errors)
        if len(name) > 200:
            _refuse(errors, f"{prefix}-{n}-name", gettext("At most 200 characters."))
        if start and end:
            if end < start:
                _refuse(errors, f"{prefix}-{n}-end", gettext("The end must not be before the start."))
            else:
                found.append({"start": start.isoformat(), "end": end.isoformat(), "name": name})
    return found


def chosen_students(form: Any) -> list[str]:
    """The students ticked, or every student shown when "all shown" is ticked."""
    ticked = list(form.getlist("students"))
    if form.get("all_shown"):
        ticked += list(form.getlist("shown"))
    return list(dict.fromkeys(s for s in ticked if s))


def generate_form(form: Any, known: set[str]) -> tuple[dict[str, Any], Errors]:
    """The generate form as the application's `generate_plan` takes it (title, cohort, pattern); `known` are the
    students the coordinator may choose (their school's)."""
    errors: Errors = {}
    title = _text(form, "title", 300, errors, gettext("a title"))
    cohort = _text(form, "cohort", 100, errors, gettext("the cohort"))
    start = _day(form, "start", errors)
    if start is not None and start.weekday() != 0:
        _refuse(errors, "start", gettext("A pattern starts on a Monday."))
    numbers = {name: _whole(form, name, low, high, errors) for name, (low, high) in NUMBERS.items()}
    students = chosen_students(form)
    if not students:
        _refuse(errors, "students", gettext("Choose at least one student."))
    elif any(s not in known for s in students):
        _refuse(errors, "students", gettext("Choose students of your school from the list."))
    elif numbers["groups"] is not None and numbers["groups"] > len(students):
        _refuse(errors, "groups", gettext("%(groups)s groups for %(students)s students: give fewer groups.",
                                          groups=numbers["groups"], students=len(students)))
    calendar = {"holidays": _periods(form, "holiday", HOLIDAY_ROWS, errors),
                "exam_weeks": _periods(form, "exam", EXAM_ROWS, errors)}
    pattern = {"start": start.isoformat() if start else None, **numbers, "students": students, "calendar": calendar}
    return {"title": title, "cohort": cohort, "pattern": pattern}, errors


def field_of(place: str) -> str:
    """The generate form's field for a place the domain names (start, groups, calendar.holidays[1].end...)."""
    for prefix, name in (("calendar.holidays[", "holiday"), ("calendar.exam_weeks[", "exam")):
        if place.startswith(prefix):
            number = place[len(prefix):].split("]", 1)[0]
            return f"{name}-{number}-end" if place.endswith(".end") or place.endswith("]") else f"{name}-{number}-start"
    return place if place in (*NUMBERS, "start", "students", "title", "cohort") else "form"


def block_form(form: Any, content: PlanContent, block_id: str, published: bool) -> tuple[dict[str, Any], Errors]:
    """The plan's content with one block changed as the block's form says; the other blocks as they are."""
    errors: Errors = {}
    block = content.block(block_id)
    assert block is not None
    kind = form.get("kind") or ""
    if kind not in KINDS:
        _refuse(errors, "kind", gettext("Choose school or enterprise."))
    start, end = _day(form, "start", errors), _day(form, "end", errors)
    if start and end and end < start:
        _refuse(errors, "end", gettext("The end must not be before the start."))
    if start and end and (start < content.term.start or end > content.term.end):
        _refuse(errors, "start", gettext("Keep the block within the term, %(start)s to %(end)s.",
                                         start=content.term.start.isoformat(), end=content.term.end.isoformat()))
    hours = None
    assignments = []
    if kind == ENTERPRISE:
        hours = _whole(form, "hours_per_week", 1, 168, errors)
        for student in content.members(block.group):
            centre = (form.get(f"centre-{student}") or "").strip()
            if centre:
                assignments.append({"student_id": student, "centre_id": centre})
    reason = ""
    if published:
        reason = _text(form, "reason", 2000, errors, gettext("the reason for the change"))
    changed = {"id": block.id, "group": block.group, "kind": kind if kind in KINDS else SCHOOL,
               "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
               "hours_per_week": hours, "assignments": assignments}
    whole = content.to_dict()
    whole["blocks"] = [changed if b["id"] == block_id else b for b in whole["blocks"]]
    return {"content": whole, "reason": reason}, errors

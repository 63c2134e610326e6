"""The auditor's pages about what happened when (part of `services.audit.pages`'s blueprint):

- `/auditor/events/<context>/<aggregate id>/<version>`: one event as recorded (who, when, for which day, why, in
  which request, its own facts) and its aggregate's state before and after it, as a difference: the aggregate's
  history replayed up to that version (history.AggregateHistory).
- `/auditor/students/<id>/as-of?on=<business date>&known_at=<moment>`: the student's progress on the day as the
  logs knew it at the moment (as_of_cache.progress_as_of), beside what is known now about the same day, with what
  differs highlighted.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import render_template, request
from flask_babel import format_decimal, gettext

from services.audit.as_of import now, utc
from services.audit.as_of_cache import progress_as_of
from services.audit.history import AggregateHistory
from services.audit.pages import auditor, event_log, moment_text, pages, parse_day, student_or_404
from services.audit.reads_pages import Readers, role_in_words
from services.common.errors import NotFound
from toolkit.http.context import deployment
from toolkit.http.read_recording import record_read

UNCHANGED_SHOWN = 300
"""Unchanged fields listed under an event at most (a long-lived aggregate has thousands)."""


# -- the difference between two states ----------------------------------------------------------------------
def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """A state as `path -> scalar` (dicts by key, lists by position); an empty dict or list is a value itself."""
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(flatten(inner, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list) and value:
        found = {}
        for i, inner in enumerate(value):
            found.update(flatten(inner, f"{path}[{i}]"))
        return found
    return {path or "(state)": value}


def shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def difference(before: Any, after: Any) -> dict[str, Any]:
    """Fields changed, added, removed and unchanged from one state to the next, in the order of the fields."""
    old, new = flatten(before) if before is not None else {}, flatten(after) if after is not None else {}
    rows, unchanged = [], []
    for path in list(dict.fromkeys([*new, *old])):
        if path not in old:
            rows.append({"path": path, "kind": "added", "before": "", "after": shown(new[path])})
        elif path not in new:
            rows.append({"path": path, "kind": "removed", "before": shown(old[path]), "after": ""})
        elif old[path] != new[path]:
            rows.append({"path": path, "kind": "changed", "before": shown(old[path]), "after": shown(new[path])})
        else:
            unchanged.append({"path": path, "value": shown(new[path])})
    return {"rows": rows, "unchanged": unchanged[:UNCHANGED_SHOWN], "unchanged_count": len(unchanged),
            "created": before is None}


@pages.get("/auditor/events/<string:context>/<uuid:aggregate_id>/<int:version>")
def event_detail(context: str, aggregate_id: UUID, version: int) -> Any:
    auditor()
    log = event_log()
    if context not in log.contexts:
        raise NotFound(gettext("There is no context named %(name)s.", name=context[:40]), context=context[:40])
    history = AggregateHistory(log, context, aggregate_id)
    if not 1 <= version <= history.version:
        raise NotFound(gettext("This record has versions 1 to %(last)s only.", last=history.version))
    step = history.steps(version, 1)[0]
    after = step["state_after"] if isinstance(step["state_after"], dict) else {}
    student_id = str(aggregate_id) if (context, history.aggregate_type) == ("placements", "Student") \
        else after.get("student_id")
    if student_id:  # a student's own records are personal data: the read is recorded as the API records it
        record_read(student_id, f"{context} history")
    readers = Readers()
    recorded = datetime.fromisoformat(step["recorded_at"])
    as_of = None
    if student_id:
        on = step["business_date"] or recorded.date().isoformat()
        as_of = {"before": as_of_link(student_id, on, recorded - timedelta(microseconds=1)),
                 "after": as_of_link(student_id, on, recorded)}
    return render_template(
        "audit/auditor_event.html", step=step, context=context, aggregate_id=str(aggregate_id),
        aggregate_type=history.aggregate_type, last_version=history.version, who=readers(step["actor"] or ""),
        role_words=role_in_words(step["role"] or ""), when=moment_text(recorded), diff=difference(
            step["state_before"], step["state_after"]), facts=[(k, shown(v)) for k, v in (step["data"] or {}).items()],
        student_id=student_id, back=request.args.get("student"), as_of=as_of)


def as_of_link(student_id: str, on: str, known_at: datetime) -> str:
    return f"/auditor/students/{student_id}/as-of?" + urlencode({"on": on, "known_at": known_at.isoformat()})


# -- as of -------------------------------------------------------------------------------------------------------
def parse_moment(errors: dict[str, str], value: str | None) -> datetime | None:
    """?known_at= as a moment (ISO 8601; without a zone it is UTC); a bad one is said next to its field."""
    if not value:
        return None
    text = value.strip()
    text = text.replace(" ", "+") if "T" in text else text.replace(" ", "T", 1)  # a "+" an address turned to " "
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        errors["known_at"] = gettext("Give a moment as YYYY-MM-DDTHH:MM:SS in UTC (for example 2026-11-30T14:05:00).")
        return None


class Comparison:
    """Rows of figures: a label, the figure as known then and as known now, and whether they differ."""

    def __init__(self, then: dict[str, Any] | None, today: dict[str, Any]) -> None:
        self.then, self.today = then, today
        self.rows: list[dict[str, Any]] = []

    def add(self, group: str, label: str, pick: Any) -> None:
        old = pick(self.then) if self.then is not None else None
        new = pick(self.today)
        self.rows.append({"group": group, "label": label, "then": old, "now": new, "differs": old != new})

    def keys(self, pick: Any) -> list[Any]:
        """What either answer lists (competencies, entries, students...), in the order first seen."""
        return list(dict.fromkeys(k for a in (self.then, self.today) if a for k in pick(a)))


def statuses() -> list[tuple[str, str]]:
    """Hours by the status of their entries: the answers' keys and their words."""
    return [("signed_hours", gettext("signed")), ("pending_hours", gettext("awaiting a signature")),
            ("awaiting_countersignature_hours", gettext("awaiting a countersignature")),
            ("rejected_hours", gettext("sent back"))]


def comparison(then: dict[str, Any] | None, today: dict[str, Any]) -> list[dict[str, Any]]:
    """A student's progress then and now: totals, hours by competency, hours of the day and up to it by status, the
    day's entries."""
    c = Comparison(then, today)
    progress_figures = (("signed_hours", gettext("Signed hours")), ("pending_hours", gettext("Awaiting a signature")),
                        ("awaiting_countersignature_hours", gettext("Awaiting a countersignature")),
                        ("target_hours", gettext("Target hours")),
                        ("expected_to_date_hours", gettext("Expected by the day")))
    for key, label in progress_figures:
        c.add(gettext("Progress"), label, lambda a, k=key: a["progress"].get(k))
    for code in c.keys(lambda a: [x["code"] for x in a["progress"]["competencies"]]):
        def competency(a: dict[str, Any], code: str = code) -> Any:
            found = next((x for x in a["progress"]["competencies"] if x["code"] == code), None)
            return None if found is None else gettext(
                "%(signed)s h signed, %(waiting)s h awaiting", signed=format_decimal(found["signed_hours"]),
                waiting=format_decimal(round(found["pending_hours"] + found["awaiting_countersignature_hours"], 2)))
        c.add(gettext("Hours by competency"), code, competency)
    for key, label in statuses():
        c.add(gettext("Hours logged for the day"), label, lambda a, k=key: a["hours_on_day"].get(k))
    for key, label in statuses():
        c.add(gettext("Hours logged up to the day"), label, lambda a, k=key: a["hours_to_day"].get(k))
    words = {k.removesuffix("_hours"): w for k, w in statuses()}
    words["awaiting-countersignature"] = words["awaiting_countersignature"]
    for n, entry in enumerate(c.keys(lambda a: [e["entry_id"] for e in a["hours_on_day"]["entries"]]), start=1):
        def described(a: dict[str, Any], e: str = entry) -> Any:
            found = next((x for x in a["hours_on_day"]["entries"] if x["entry_id"] == e), None)
            return None if found is None else gettext(
                "%(start)s–%(end)s, %(hours)s h, %(codes)s, %(status)s (revision %(revision)s)", start=found["start"],
                end=found["end"], hours=format_decimal(found["hours"]), codes=", ".join(found["competencies"]),
                status=words.get(found["status"], found["status"]), revision=found["revision"])
        c.add(gettext("Entries for the day"), gettext("Entry %(n)s", n=n), described)
    return c.rows


def as_of_query() -> tuple[date, datetime | None, dict[str, str], dict[str, str]]:
    """?on= (default: today) and ?known_at= checked; what is wrong by field; the values to show in the form."""
    errors: dict[str, str] = {}
    on = parse_day(errors, "on", request.args.get("on")) or deployment().today()
    moment = parse_moment(errors, request.args.get("known_at"))
    if on.year < 1900 or on.year > 2999:
        errors["on"] = gettext("Give a date between the years 1900 and 2999.")
    shown = {"on": request.args.get("on", "")[:40] if errors.get("on") else on.isoformat(),
             "known_at": request.args.get("known_at", "")[:40] if errors.get("known_at") else (
                 moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else "")}
    return on, moment, errors, shown


def as_of_view(rows: list[dict[str, Any]], on: date, moment: datetime | None, shown: dict[str, str],
               errors: dict[str, str], **more: Any) -> Any:
    """The as-of page (a student's or a centre's), 422 when a field is wrong."""
    return render_template(
        "audit/auditor_as_of.html", on=on, moment_words=moment_text(moment) if moment else "",
        now_words=moment_text(datetime.now(UTC)), known_at=shown["known_at"], on_text=shown["on"], errors=errors,
        rows=rows, differing=sum(1 for r in rows if r["differs"]), **more), 422 if errors else 200


@pages.get("/auditor/students/<uuid:student_id>/as-of")
def as_of_page(student_id: UUID) -> Any:
    auditor()
    student = student_or_404(student_id)
    on, moment, errors, shown = as_of_query()
    then = today = None
    unknown = False
    if moment is not None and not errors:
        replayed = progress_as_of(event_log(), student_id)
        try:
            with replayed.known_at(moment) as known:
                then = known.on(on)
        except NotFound:
            unknown = True
        with replayed.known_at(now()) as known:
            today = known.on(on)
        record_read(student_id, "progress as of")
    rows = comparison(then, today) if today is not None else []
    return as_of_view(rows, on, moment, shown, errors, student_id=str(student_id), name=student.name,
                      action=f"/auditor/students/{student_id}/as-of", unknown=unknown,
                      replayed=then["events_applied"] if then else None)

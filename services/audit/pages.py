"""The auditor's pages (`/auditor/...`), server-rendered; see dualtrack/web/shell.py for the shell they live in.

- `/auditor`: find a student or a training centre by a part of the name (with school or enterprise to tell
  namesakes apart).
- `/auditor/students/<id>`: the student's timeline across the contexts, filtered (context, recorded dates, actor,
  event type) and paged; each event links to its detail (pages_history.py).
- `/auditor/students/<id>/reads`: who read the student's data, from the read log.
- pages_centres.py: a training centre (its enterprise, who it hosted) and its record as of a moment;
  pages_history.py: an event's detail (the state before and after it, as a difference) and "as of" views;
  pages_exports.py: taking and verifying exports, the public key, the chains' status.

Auditors read everything and write nothing: every page is a GET (taking an export is, as in the API), and every
other role is refused. Everything is replayed from the event stores, as the audit's API does; an auditor's read of
a student's data is recorded as the API records it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, render_template, request
from flask_babel import format_datetime, gettext

from services.audit.history import EventLog
from services.audit.reads_pages import Readers, role_in_words, window_minutes
from services.audit.timeline import TIMELINE_CONTEXTS, student_timeline
from services.common.errors import NotFound
from services.common.identity import Actor, Role
from toolkit.http.context import command_context, deployment
from toolkit.http.pages import Names, page_number, signed_in_as
from toolkit.http.paging import page_of
from toolkit.http.read_recording import record_read

pages = Blueprint("audit_pages", __name__, template_folder="templates")

FOUND_AT_MOST = 20
"""Students (and centres) listed for one search: more is a sign to type more of the name."""
TIMELINE_PAGE = 25
READS_PAGE = 50


# -- shared ---------------------------------------------------------------------------------------------
def auditor() -> Actor:
    """The caller, an auditor; anyone else is refused in words (403)."""
    return signed_in_as(Role.AUDITOR)


def event_log() -> EventLog:
    return EventLog(deployment().apps())


def student_or_404(student_id: UUID) -> Any:
    """The enrolled student (NotFound, a 404 page, for any other id)."""
    found = Names().student(str(student_id))
    if found is None:
        raise NotFound(gettext("No student has this id."), id=str(student_id))
    return found


def moment_text(value: datetime | str | None) -> str:
    """A recorded moment as a person reads it, in the page's language."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_datetime(moment, "medium"))


def parse_day(errors: dict[str, str], field: str, value: str | None) -> date | None:
    """A YYYY-MM-DD field, or None when empty; a bad one is said next to its field."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = gettext("Give a date as YYYY-MM-DD (for example 2026-11-30).")
        return None


# -- /auditor: find ---------------------------------------------------------------------------------------
def students_named(part: str) -> tuple[list[dict[str, Any]], int]:
    """Students whose name holds the words of `part` (ignoring case): the placements roster."""
    roster = deployment().app("placements").roster()
    found = [{"id": s.id, "name": s.name, "major": s.major, "cohort": s.cohort,
              "school": roster.school_name(s.school_id)} for s in roster.students_named(part)]
    return found[:FOUND_AT_MOST], len(found)


def centres_named(part: str) -> tuple[list[dict[str, Any]], int]:
    """Training centres whose name holds `part` (ignoring case), from the centres read model."""
    wanted, view, found, page = part.casefold(), deployment().view("centres"), [], 1
    while True:
        batch = view.centres_matching(page=page, page_size=500)
        found += [{"id": c["id"], "name": c["name"], "enterprise": (c.get("enterprise") or {}).get("name") or "",
                   "status": c.get("status", "")} for c in batch.items if wanted in str(c["name"]).casefold()]
        if page * 500 >= batch.total or not batch.items:
            break
        page += 1
    found.sort(key=lambda c: (c["name"].casefold(), c["enterprise"], c["id"]))
    return found[:FOUND_AT_MOST], len(found)


@pages.get("/auditor")
def find() -> Any:
    auditor()
    part = " ".join((request.args.get("q") or "").split())[:100]
    kind = request.args.get("kind") or "both"
    errors: dict[str, str] = {}
    if kind not in ("both", "students", "centres"):
        errors["kind"] = gettext("Look for students, centres or both.")
    if "q" in request.args and len(part) < 2:
        errors["q"] = gettext("Type at least two letters of the name.")
    students: list[dict[str, Any]] = []
    centres: list[dict[str, Any]] = []
    counts = {"students": 0, "centres": 0}
    if part and not errors:
        if kind in ("both", "students"):
            students, counts["students"] = students_named(part)
        if kind in ("both", "centres"):
            centres, counts["centres"] = centres_named(part)
    return render_template("audit/auditor_find.html", q=part, kind=kind, errors=errors, students=students,
                           centres=centres, counts=counts, searched=bool(part) and not errors,
                           at_most=FOUND_AT_MOST), 422 if errors else 200


# -- /auditor/students/<id>: the timeline -----------------------------------------------------------------
def timeline_filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The filters asked for (?context, from, to, actor, type), each checked; what is wrong, by field."""
    args, errors = request.args, {}
    context = args.get("context") or ""
    if context and context not in TIMELINE_CONTEXTS:
        errors["context"] = gettext("There is no context of that name: choose one from the list.")
        context = ""
    start, end = parse_day(errors, "from", args.get("from")), parse_day(errors, "to", args.get("to"))
    if start and end and start > end:
        errors["to"] = gettext("The last day comes before the first.")
    kind = (args.get("type") or "")[:100]
    actor = (args.get("actor") or "")[:200]
    return {"context": context, "from": start, "to": end, "type": kind, "actor": actor}, errors


def kept(item: dict[str, Any], f: dict[str, Any]) -> bool:
    day = item["recorded_at"][:10]
    return ((not f["context"] or item["context"] == f["context"]) and (not f["type"] or item["type"] == f["type"])
            and (not f["actor"] or item["actor"] == f["actor"])
            and (f["from"] is None or day >= f["from"].isoformat()) and (f["to"] is None or day <= f["to"].isoformat()))


@pages.get("/auditor/students/<uuid:student_id>")
def student_timeline_page(student_id: UUID) -> Any:
    auditor()
    student = student_or_404(student_id)
    items = student_timeline(event_log(), student_id)["items"]
    record_read(student_id, "timeline")
    f, errors = timeline_filters()
    shown = [i for i in items if kept(i, f)]
    p = page_of(page_number(request.args.get("page")), len(shown), TIMELINE_PAGE)
    readers = Readers()
    rows = [{**i, "when": moment_text(i["recorded_at"]), "who": readers(i["actor"]) if i["actor"] else "",
             "role_words": role_in_words(i["role"] or ""),
             "business_day": date.fromisoformat(i["business_date"]) if i["business_date"] else None}
            for i in shown[(p["page"] - 1) * TIMELINE_PAGE: p["page"] * TIMELINE_PAGE]]
    actors = sorted({i["actor"] for i in items if i["actor"]}, key=lambda a: readers(a).casefold())
    kept_args = {k: request.args[k] for k in ("context", "from", "to", "actor", "type")
                 if request.args.get(k) and k not in errors}
    extra = "&" + urlencode(kept_args) if kept_args else ""
    return render_template(
        "audit/auditor_student.html", student=student, student_id=str(student_id), rows=rows, p=p, f=f,
        errors=errors, contexts=TIMELINE_CONTEXTS, types=sorted({i["type"] for i in items}),
        actors=[(a, readers(a)) for a in actors], total=len(items), extra=extra,
        school=Names().name_of("school", student.school_id)), 422 if errors else 200


# -- /auditor/students/<id>/reads ---------------------------------------------------------------------------
@pages.get("/auditor/students/<uuid:student_id>/reads")
def student_reads(student_id: UUID) -> Any:
    auditor()
    student = student_or_404(student_id)
    audit = deployment().app("audit")
    total = audit.count_reads(str(student_id))
    p = page_of(page_number(request.args.get("page")), total, READS_PAGE)
    _, reads = audit.reads_of(command_context(), str(student_id), page=p["page"], page_size=READS_PAGE)
    readers = Readers()
    rows = [{"who": readers(r["read_by"]), "role": role_in_words(r["role"]), "what": r["what"], "path": r["path"],
             "when": moment_text(r["read_at"]), "at": r["read_at"].isoformat(), "number": r["number"],
             "times": r["times"], "last": moment_text(r["last_read_at"]), "last_at": r["last_read_at"].isoformat(),
             "correlation_id": r["correlation_id"]} for r in reads]
    return render_template("audit/auditor_reads.html", student=student, student_id=str(student_id), rows=rows, p=p,
                           window_minutes=window_minutes())


from services.audit import pages_centres, pages_exports, pages_history  # noqa: E402,F401  (routes join the blueprint)

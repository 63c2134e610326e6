"""A coordinator's cohort: the dashboard (`/coordinator`), one student (`/coordinator/students/<id>`) and the
exports (`/coordinator/exports`, the files in services/progress/cohort_exports.py).

- `/coordinator`: every student of my school with a traffic light and its reasons in words
  (services/progress/cohort_queries.py says which reasons are red and which amber), filtered by cohort, class,
  centre and light, 50 a page, the counts per light on top. Computed in a few queries over the whole school on the
  progress read model; names are looked up for the page's students only.
- `/coordinator/students/<id>`: the student's progress, logbook and placements for the school's coordinators and
  teachers (another school's student is not found); the read is recorded, as the API records it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext

from services.common.errors import NotAllowed, NotFound
from services.common.identity import Actor, Role
from services.common.scope import Scope
from services.progress.cohort_exports import csv_stream, workbook_stream
from services.progress.cohort_queries import ENDING_WITHIN, LIGHTS, QUIET_DAYS, WAITING_DAYS, Filters
from services.progress.free_texts import FreeTexts, free_texts
from services.progress.pages import Names as ProgressNames
from services.progress.pages import _progress_page
from toolkit.http.context import deployment
from toolkit.http.pages import Names, page_number, signed_in_as, written
from toolkit.http.paging import page_of
from toolkit.http.read_recording import record_read

pages = Blueprint("progress_cohort_pages", __name__, template_folder="templates")

PAGE_SIZE = 50
RULES = {"quiet_days": QUIET_DAYS, "waiting_days": WAITING_DAYS, "ending_within": ENDING_WITHIN}


def school_staff(*roles: Role) -> Actor:
    """The caller, a coordinator (or one of `roles`) of a school; anyone else is refused."""
    actor = signed_in_as(Role.COORDINATOR, *roles)
    if not actor.school_id:
        raise NotAllowed(gettext("This page is for a school's staff."), role=actor.role.value)
    return actor


def read_filters(args: Any, choices: dict[str, list[Any]] | None = None) -> tuple[Filters, dict[str, str],
                                                                                  dict[str, str]]:
    """The dashboard's filters from the query string: the filters, the values as given (for the form) and, per
    field, what is wrong with it (that filter is then left out)."""
    given = {k: (args.get(k) or "").strip() for k in ("cohort", "class", "centre", "light")}
    filters, errors = Filters(), {}
    if given["cohort"]:
        try:
            filters.cohort = int(given["cohort"])
            if not 1900 <= filters.cohort <= 2200:
                raise ValueError
        except ValueError:
            filters.cohort = None
            errors["cohort"] = gettext("Choose a cohort from the list (a year such as 2024).")
    if given["class"]:
        if len(given["class"]) > 200:
            errors["class"] = gettext("Choose a class from the list.")
        else:
            filters.major = given["class"]
    if given["centre"]:
        try:
            filters.centre = str(UUID(given["centre"]))
        except ValueError:
            errors["centre"] = gettext("Choose a training centre from the list.")
    if given["light"]:
        if given["light"] in LIGHTS:
            filters.light = given["light"]
        else:
            errors["light"] = gettext("Choose red, amber or green.")
    return filters, given, errors


class StudentNames(Names):
    """Students' names from the placements application's roster of who is registered (one lookup each, the roster
    brought up to date once per request), else as `Names` looks them up."""

    def __init__(self) -> None:
        super().__init__()
        roster = getattr(deployment().app("placements"), "roster", None)
        self._listed: dict[str, Any] = roster().students if roster is not None else {}

    def student_name(self, student_id: str) -> str:
        listed = self._listed.get(student_id)
        return str(listed.name) if listed is not None else super().student_name(student_id)

    def cohort_and_class(self, student_id: str) -> list[Any]:
        listed = self._listed.get(student_id) or self.student(student_id)
        return [listed.cohort, listed.major] if listed is not None else ["", ""]


def _dated(item: dict[str, Any] | None, *keys: str) -> dict[str, Any] | None:
    if item is None:
        return None
    return {**item, **{k: date.fromisoformat(item[k][:10]) for k in keys if isinstance(item.get(k), str)}}


@pages.get("/coordinator")
def dashboard() -> Any:
    actor = school_staff()
    progress = deployment().view("progress")
    up_to_date = written(progress)
    today, names, places = deployment().today(), StudentNames(), ProgressNames()
    filters, given, errors = read_filters(request.args)
    standing = progress.cohort_standings(str(actor.school_id), today, filters)
    wanted = page_number(request.args.get("page"))
    pager = page_of(wanted, len(standing["students"]), PAGE_SIZE)
    first = (pager["page"] - 1) * PAGE_SIZE
    rows = []
    for s in standing["students"][first:first + PAGE_SIZE]:
        placement = _dated(s.placement, "start_date", "planned_end", "activated_on", "ended_on")
        rows.append({"id": s.student_id, "name": names.student_name(s.student_id), "cohort": s.cohort,
                     "major": s.major, "light": s.light, "reasons": s.reasons, "placement": placement,
                     "centre": places.centre(placement["centre_id"])["name"] if placement else ""})
    centres = sorted(((c, places.centre(c)["name"]) for c in standing["choices"]["centres"]), key=lambda c: c[1])
    kept = {k: v for k, v in given.items() if v and k not in errors}
    extra = ("&" + urlencode({k: v for k, v in kept.items()})) if kept else ""
    light_links = {light: "/coordinator?" + urlencode({**{k: v for k, v in kept.items() if k != "light"},
                                                       "light": light}) for light in LIGHTS}
    status = 400 if errors else 200
    return render_template("progress/cohort.html", rows=rows, counts=standing["counts"],
                           choices=standing["choices"], centres=centres, given=given, errors=errors, pager=pager,
                           extra=extra, light_links=light_links, today=today, up_to_date=up_to_date,
                           rules=RULES), status


@pages.get("/coordinator/students/<uuid:student_id>")
def student(student_id: UUID) -> Any:
    actor = school_staff(Role.TEACHER)
    progress = deployment().view("progress")
    up_to_date = written(progress)
    try:
        page = _progress_page(Scope.of(actor), str(student_id), ProgressNames())
    except NotFound:  # not a student, or another school's
        raise NotFound(gettext("Your school has no student with this id."), student_id=str(student_id)) from None
    record_read(student_id, "progress")
    record_read(student_id, "logbook")
    places = ProgressNames()  # centres from the centres read model
    held = progress.student_file(str(student_id))
    placements = [{**_dated(p, "start", "planned_end", "activated_on", "ended_on"),  # type: ignore[dict-item]
                   "centre": places.centre(p["centre_id"])["name"],
                   "enterprise": places.centre(p["centre_id"])["enterprise"]["name"]} for p in held["placements"]]
    texts = free_texts(str(student_id))  # free text is not in the read model: the training application has it
    entries = [{**texts.fill_entry(e), "day": date.fromisoformat(e["day"]), "hours": round(e["minutes"] / 60, 2),
                "competencies": _codes(e["competencies"])} for e in held["entries"]]
    return render_template("progress/coordinator_student.html", **page, placements=placements, entries=entries,
                           up_to_date=up_to_date)


def _codes(stored: str) -> list[str]:
    try:
        return [str(c) for c in json.loads(stored)]
    except ValueError:
        return []


# -- /coordinator/exports -----------------------------------------------------------------------------------------
EXPORTS = ("progress", "hours", "placements")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _cohort(value: str | None, cohorts: list[int]) -> tuple[int | None, str | None]:
    """?cohort= as one of the school's cohorts (None: all); or what is wrong with it."""
    if not value:
        return None, None
    try:
        cohort = int(value)
    except ValueError:
        return None, gettext("Choose a cohort from the list (a year such as 2024).")
    if cohort not in cohorts:
        return None, gettext("Your school has no cohort %(cohort)s.", cohort=cohort)
    return cohort, None


def _cohorts(actor: Actor) -> list[int]:
    return list(deployment().view("progress").school_cohorts(str(actor.school_id)))


@pages.get("/coordinator/exports")
def exports() -> Any:
    actor = school_staff()
    cohorts = _cohorts(actor)
    cohort, error = _cohort(request.args.get("cohort"), cohorts)
    return render_template("progress/exports.html", cohorts=cohorts, cohort=cohort, error=error,
                           given=request.args.get("cohort", ""), exports=EXPORTS, formats=tuple(FORMATS),
                           query=f"?cohort={cohort}" if cohort is not None else ""), 400 if error else 200


@pages.get("/coordinator/exports/<what>.<fmt>")
def export_file(what: str, fmt: str) -> Any:
    actor = school_staff()
    if what not in EXPORTS or fmt not in FORMATS:
        raise NotFound(gettext("There is no such export."), export=f"{what}.{fmt}")
    cohorts = _cohorts(actor)
    cohort, error = _cohort(request.args.get("cohort"), cohorts)
    if error:
        return render_template("progress/exports.html", cohorts=cohorts, cohort=None, error=error,
                               given=request.args.get("cohort", ""), exports=EXPORTS, formats=tuple(FORMATS),
                               query=""), 400
    view, school = deployment().view("progress"), str(actor.school_id)
    for student_id in view.cohort_students(school, cohort):  # no personal data leaves unrecorded
        record_read(student_id, f"cohort-export-{what}")
    header, rows = _table(what, view, school, cohort)
    title = {"progress": gettext("Progress"), "hours": gettext("Hours"), "placements": gettext("Placements")}[what]
    body = csv_stream(header, rows) if fmt == "csv" else workbook_stream(title, header, rows)
    name = f"{what}-{cohort if cohort is not None else 'all-cohorts'}-{deployment().today().isoformat()}.{fmt}"
    return Response(stream_with_context(body), mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def _table(what: str, view: Any, school: str, cohort: int | None) -> tuple[list[str], Iterator[list[Any]]]:
    names, places = StudentNames(), ProgressNames()
    held: dict[str, FreeTexts] = {}

    def described(student_id: str) -> FreeTexts:
        """The descriptions of a student's entries, from the training application (the rows come by student: one
        student's are held at a time)."""
        if student_id not in held:
            held.clear()
            held[student_id] = free_texts(student_id)
        return held[student_id]

    found = view.cohort_export(what, school, cohort)
    if what == "progress":
        return ([gettext("Student"), gettext("Cohort"), gettext("Class"), gettext("Competency"), gettext("Title"),
                 gettext("Target hours"), gettext("Signed hours"), gettext("Hours awaiting countersignature"),
                 gettext("Hours awaiting signature")],
                ([names.student_name(sid), *names.cohort_and_class(sid), code, title, target, signed, counter, pending]
                 for sid, _, code, title, target, signed, counter, pending in found))
    if what == "hours":
        return ([gettext("Student"), gettext("Day"), gettext("Start"), gettext("End"), gettext("Hours"),
                 gettext("Competencies"), gettext("Status"), gettext("Description")],
                ([names.student_name(sid), date.fromisoformat(day), start, end, round(minutes / 60, 2),
                  ", ".join(_codes(codes)), _status(status), described(sid).descriptions.get(entry_id, "")]
                 for sid, day, start, end, minutes, codes, status, entry_id in found))
    return ([gettext("Student"), gettext("Training centre"), gettext("Enterprise"), gettext("Status"),
             gettext("Start"), gettext("Planned end"), gettext("Started on"), gettext("Ended on"), gettext("Post")],
            ([names.student_name(sid), places.centre(centre)["name"],
              places.centre(centre)["enterprise"]["name"] or names.name_of("enterprise", enterprise),
              _status(status), *(date.fromisoformat(d) if d else None for d in (start, end, activated, ended)), post]
             for sid, centre, enterprise, status, start, end, activated, ended, post in found))


def _status(status: str) -> str:
    return {"pending": gettext("awaiting signature"), "signed": gettext("signed"),
            "awaiting-countersignature": gettext("awaiting the school's countersignature"),
            "rejected": gettext("sent back"), "proposed": gettext("proposed"), "agreed": gettext("agreed"),
            "active": gettext("active"), "paused": gettext("paused"), "stopped": gettext("stopped"),
            "completed": gettext("completed"), "transferred": gettext("transferred"),
            "withdrawn": gettext("withdrawn")}.get(status, status)

"""Web pages of the progress part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

- `/mentor/today`: the students placed now at the centres I mentor, and those the published rotation plans put
  there this week, each with the hours logged today and this week against the rule set's caps; what awaits me.
- `/mentor/students/<id>`: a student's progress by competency (chart and table), the logbook with its revisions,
  the assessments of both sides, and a form to assess a competency for the enterprise.
- `/student`: the student's own progress (a guardian sees their student's).

Figures come from the read models (progress, centres, calendars); names, the logbook and the rule sets are looked
up through the applications at query time, never from a private shortcut. A mentor sees a student's name only while
their enterprise hosts the student (`toolkit/http/sight.py`: from its approval of the placement until the edit window
after its end); a student a published plan puts at their centre before that shows without a name.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from services.common.errors import DomainError, InvalidInput, NotAllowed, NotFound, ReadModelBehind, RuleViolated
from services.common.identity import STUDENT_SIDE, Actor, Role
from services.common.scope import Scope
from services.progress.api import own_entries
from services.progress.free_texts import free_texts
from toolkit.http.context import command_context, current_actor, deployment
from toolkit.http.freshness import await_read_model, signed_token
from toolkit.http.paging import page_of
from toolkit.http.read_recording import record_read
from toolkit.http.sight import StudentSight

pages = Blueprint("progress_pages", __name__, template_folder="templates")


# -- shared -------------------------------------------------------------------------------------------
def mentor() -> Actor:
    """The caller, a mentor; anyone else is refused (the shell shows the refusal as a page)."""
    actor = current_actor()
    if actor.role is not Role.MENTOR:
        raise NotAllowed(gettext("These pages are for mentors."), role=actor.role.value)
    return actor


def fresh(view: Any) -> bool:
    """Wait (bounded) for the write named by ?wait_for=; False when the read model is still behind it."""
    try:
        await_read_model(view, {"wait_for": request.args.get("wait_for"), "wait_timeout": 5.0})
    except ReadModelBehind:
        return False
    return True


class Names:
    """Names looked up through the applications and read models, once per request."""

    def __init__(self) -> None:
        self._students: dict[str, Any] = {}
        self._centres: dict[str, dict[str, Any]] = {}

    def student(self, student_id: str) -> Any:
        if student_id not in self._students:
            self._students[student_id] = deployment().app("placements").find_student(student_id)
        return self._students[student_id]

    def centre(self, centre_id: str | None) -> dict[str, Any]:
        if not centre_id:
            return {"name": "", "enterprise": {"name": ""}}
        if centre_id not in self._centres:
            try:
                self._centres[centre_id] = deployment().view("centres").centre_by_id(centre_id)
            except NotFound:
                self._centres[centre_id] = {"id": centre_id, "name": centre_id, "enterprise": {"name": ""}}
        return self._centres[centre_id]


def my_centres(actor: Actor) -> list[dict[str, Any]]:
    """The centres of my enterprise I am a mentor of (the centres read model)."""
    found = deployment().view("centres").centres_matching(enterprise_id=actor.enterprise_id, page_size=500).items
    return [c for c in found if any(m["mentor_id"] == actor.subject for m in c["mentors"])]


def chart_rows(progress: dict[str, Any]) -> list[dict[str, Any]]:
    """Per competency: signed and not yet signed hours against the target, and the hours expected by today (the
    plan's expected-to-date share of each target)."""
    expected, target_total = progress.get("expected_to_date_hours"), progress.get("target_hours") or 0
    share = (expected / target_total) if expected is not None and target_total else None
    return [{
        "label": f"{c['code']} {c['title'] or ''}".strip(), "code": c["code"], "title": c["title"],
        "segments": [{"class": "signed", "value": c["signed_hours"]},
                     {"class": "pending", "value": c["pending_hours"] + c["awaiting_countersignature_hours"]}],
        "target": c["target_hours"], "marker": round(c["target_hours"] * share, 2) if share is not None else None,
        "figures": {**c, "assessment": _dated(c["assessment"])},
    } for c in progress["competencies"]]


def withheld() -> str:
    """What a page shows instead of a name that is not the caller's to see."""
    return gettext("(name withheld)")


def _dated(assessment: dict[str, Any] | None) -> dict[str, Any] | None:
    """The assessment of each side with its day as a date (the read model keeps ISO text)."""
    if not assessment:
        return None
    return {side: {**a, "assessed_on": date.fromisoformat(a["assessed_on"][:10]) if a.get("assessed_on") else None}
            for side, a in assessment.items()}


def _dates(item: dict[str, Any] | None, *keys: str) -> Any:
    """The item with the named ISO days as dates (for format_date)."""
    if item is None:
        return None
    return {**item, **{k: date.fromisoformat(item[k][:10]) for k in keys if isinstance(item.get(k), str)}}


def _progress_page(scope: Scope, student_id: str, names: Names) -> dict[str, Any]:
    today = deployment().today()
    progress = free_texts(student_id).fill_progress(
        deployment().view("progress").student_progress(scope, student_id, today))
    for key in ("current_placement", "next_placement", "current_block", "next_block"):
        progress[key] = _dates(progress[key], "start", "end", "planned_end")
    for key in ("pending_sign_offs", "awaiting_countersignature", "rejected_entries"):
        progress[key] = [_dates(e, "day") for e in progress[key]]
    placement = progress["current_placement"] or progress["next_placement"]
    return {"progress": progress, "rows": chart_rows(progress), "student": names.student(student_id),
            "centre": names.centre(placement["centre_id"] if placement else None), "today": today}


# -- /mentor/today ----------------------------------------------------------------------------------
PAGE_SIZE = 50
"""Students (or expected places) shown on one page of /mentor/today."""


def page_number() -> int:
    """The page asked for with ?page= (1-based; anything else is the first)."""
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


@pages.get("/mentor/today")
def mentor_today() -> Any:
    actor = mentor()
    progress, calendars = deployment().view("progress"), deployment().view("calendars")
    up_to_date = fresh(progress)
    today, scope = deployment().today(), Scope.of(actor)
    sight = StudentSight(actor, today)
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    wanted = page_number()
    roster = progress.mentor_roster(actor.subject, actor.enterprise_id, today, wanted, PAGE_SIZE)
    pager = page_of(wanted, roster["total"], PAGE_SIZE)
    if pager["page"] != wanted:  # past the last page: show the last
        roster = progress.mentor_roster(actor.subject, actor.enterprise_id, today, pager["page"], PAGE_SIZE)
    on_page: dict[str, list[dict[str, Any]]] = {}
    for row in roster["students"]:
        student_id = row["student_id"]
        on_page.setdefault(row["centre_id"], []).append({
            "id": student_id, "name": sight.name(student_id) or withheld(),
            "block": _dates(row["block"], "start", "end"),
            "status": row["status"], "today_hours": row["today_hours"], "week_hours": row["week_hours"],
            "pending": row["pending"], "rules": sight.rules(sight.student(student_id))})
    centres = []
    for centre in my_centres(actor):
        placed = sorted(on_page.get(centre["id"], []), key=lambda p: (p["name"], p["id"]))
        plan = calendars.centre_calendar(scope, centre["id"], monday, sunday)
        places = [(block, student["student_id"]) for block in plan["blocks"] for student in block["students"]]
        expected = []
        for block, student_id in places[:PAGE_SIZE]:
            named = sight.name(student_id)
            expected.append({"id": student_id, "name": named or withheld(),
                             "placed": named is not None and student_id in {p["id"] for p in placed},
                             "start": date.fromisoformat(block["start"]), "end": date.fromisoformat(block["end"]),
                             "plan": block["title"], "hours_per_week": block["hours_per_week"]})
        expected.sort(key=lambda e: (e["name"], e["start"]))
        centres.append({"centre": centre, "placed": placed, "placed_total": roster["by_centre"].get(centre["id"], 0),
                        "expected": expected, "expected_total": len(places)})
    waiting, _ = progress.sign_off_queue_page(actor.subject, actor.enterprise_id, 1, 0)
    return render_template("progress/today.html", centres=centres, waiting=waiting, today=today, monday=monday,
                           sunday=sunday, up_to_date=up_to_date, pager=pager)


# -- /mentor/students/<id> --------------------------------------------------------------------------
def _student_page(student_id: UUID, status: int = 200, **form: Any) -> Any:
    actor = mentor()
    up_to_date = fresh(deployment().view("progress"))
    names = Names()
    page = _progress_page(Scope.of(actor), str(student_id), names)
    sight = StudentSight(actor)
    page["student"] = {"id": str(student_id), "name": sight.name(str(student_id)) or withheld()}
    page["progress"] = own_entries(sight, str(student_id), page["progress"])
    record = deployment().app("training").get_training_record(command_context(), student_id)
    own = {e["placement_id"] for e in sight.kept(str(student_id), [
        {"placement_id": e.placement_id} for e in (record.entries.values() if record else [])])}
    entries = sorted((e for e in record.entries.values() if e.placement_id in own),
                     key=lambda e: (e.current.day, e.current.start, e.id), reverse=True) if record else []
    assess = {"competency": "", "result": "", "evidence": "", "assessed_on": page["today"].isoformat(),
              "errors": {}, **form}
    record_read(student_id, "progress")  # a mentor's read is on the student's record too
    record_read(student_id, "logbook")
    return render_template("progress/mentor_student.html", **page, entries=entries, assess=assess,
                           up_to_date=up_to_date, done=request.args.get("assessed")), status


@pages.get("/mentor/students/<uuid:student_id>")
def mentor_student(student_id: UUID) -> Any:
    return _student_page(student_id)


@pages.post("/mentor/students/<uuid:student_id>/assessments")
def assess(student_id: UUID) -> Any:
    actor = mentor()
    values = {k: request.form.get(k, "").strip() for k in ("competency", "result", "evidence", "assessed_on")}
    errors: dict[str, list[dict[str, Any]]] = {}
    result, assessed_on = None, None
    if not values["competency"]:
        errors.setdefault("competency", []).append({"text": gettext("Choose the competency you assess.")})
    try:
        result = float(values["result"].replace(",", "."))
    except ValueError:
        errors.setdefault("result", []).append({"text": gettext("Give the result as a number on the scale.")})
    if not values["evidence"] or len(values["evidence"]) > 4000:
        errors.setdefault("evidence", []).append(
            {"text": gettext("Say what the judgement rests on (at most 4000 characters).")})
    try:
        assessed_on = date.fromisoformat(values["assessed_on"]) if values["assessed_on"] else None
    except ValueError:
        errors.setdefault("assessed_on", []).append({"text": gettext("Give the day as YYYY-MM-DD.")})
    if not errors:
        standing = deployment().view("progress").student_progress(Scope.of(actor), str(student_id),
                                                                  deployment().today())
        placement = standing["current_placement"]
        if placement is None:
            errors.setdefault("competency", []).append({"text": gettext("The student has no running placement.")})
        else:
            try:
                done = deployment().app("training").assess_competency(
                    command_context(), student_id, placement["placement_id"], competency=values["competency"],
                    result=result, evidence=values["evidence"], assessed_on=assessed_on)
            except DomainError as error:
                field = _ASSESS_FIELDS.get(getattr(error, "rule", ""), "competency")
                if isinstance(error, InvalidInput):
                    field = str(error.details.get("field", field))
                errors.setdefault(field if field in values else "competency", []).append(problem(error))
            else:
                return redirect(f"/mentor/students/{student_id}?wait_for={signed_token(done.token)}"
                                f"&assessed={values['competency']}#assessments", 303)
    status = 409 if any("rule" in p for ps in errors.values() for p in ps) else 422
    return _student_page(student_id, status, **values, errors=errors)


_ASSESS_FIELDS = {"result-out-of-scale": "result", "assessment-scale": "result", "no-future-date": "assessed_on",
                  "competency-not-in-plan": "competency"}


def problem(error: DomainError) -> dict[str, Any]:
    """A refusal as the templates put it in words: its rule and details (dates as dates), or its kind."""
    details = dict(error.details)
    for key in ("day", "on", "week_of", "window_opens", "last_day"):
        if isinstance(details.get(key), str):
            try:
                details[key] = date.fromisoformat(details[key])
            except ValueError:
                pass
    kind = {NotFound: "not-found", NotAllowed: "not-allowed"}.get(type(error), "refused")
    return {"rule": error.rule, "details": details} if isinstance(error, RuleViolated) else {
        "kind": kind, "details": details}


# -- /student ---------------------------------------------------------------------------------------
@pages.get("/student")
def student_home() -> Any:
    actor = current_actor()
    if actor.role not in STUDENT_SIDE or not actor.student_id:
        raise NotAllowed(gettext("This page is a student's own (or their guardian's)."), role=actor.role.value)
    up_to_date = fresh(deployment().view("progress"))
    names = Names()
    try:
        page = _progress_page(Scope.of(actor), actor.student_id, names)
    except NotFound:
        return render_template("progress/student.html", progress=None, student=names.student(actor.student_id),
                               guardian=actor.role is Role.GUARDIAN, up_to_date=up_to_date)
    return render_template("progress/student.html", **page, guardian=actor.role is Role.GUARDIAN,
                           up_to_date=up_to_date)

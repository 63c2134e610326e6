"""`/teacher/assessments`: a teacher (or coordinator) of the school chooses one of the school's students placed now or
lately, and assesses a competency of the student's training plan for the school, on the competency's scale, with
the enterprise's assessment beside it (and the two combined, once both are in, by the school's rule set).

The command is the API's (`TrainingApplication.assess_competency`, the same checks and rules); what is shown comes
from the placement register (who was placed) and the progress read model (the plan and the assessments), waited for
with `?wait_for=` after one's own assessment. The routes are registered on the school's blueprint (school_pages.py).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import redirect, render_template, request
from flask_babel import gettext

from services.common.errors import DomainError, NotAllowed, NotFound
from services.common.identity import Actor, Role
from services.common.scope import Scope
from services.training.api import application
from services.training.pages import _problem
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import signed_token
from toolkit.http.pages import Names, signed_in_as, written

RECENT_DAYS = 90
"""A student whose placement ended at most this many days ago is still listed (assessed after the placement)."""
PLACED = ("active", "paused", "completed", "stopped", "transferred")
FIELD_OF_RULE = {"result-out-of-scale": "result", "competency-not-in-plan": "competency",
                 "no-future-date": "assessed_on"}
"""Next to which field a refusal by each rule is shown (the rest: next to the student)."""


def school_students(actor: Actor, today: date) -> list[dict[str, Any]]:
    """The school's students placed now or within RECENT_DAYS, by name, each with the centre of their latest
    placement."""
    found = deployment().view("placement_register").placements_matching(
        Scope.of(actor), period_from=today - timedelta(days=RECENT_DAYS), period_to=today, page_size=2000).items
    names = Names()
    latest: dict[str, dict[str, Any]] = {}
    for placement in found:
        if placement["status"] in PLACED:
            latest[placement["student_id"]] = placement
    students = [{"id": sid, "name": names.student_name(sid), "centre": names.name_of("centre", p["centre_id"])}
                for sid, p in latest.items()]
    return sorted(students, key=lambda s: (s["name"], s["id"]))


def _progress(actor: Actor, student_id: str) -> dict[str, Any] | None:
    try:
        UUID(student_id)
        progress = dict(deployment().view("progress").student_progress(Scope.of(actor), student_id,
                                                                       deployment().today()))
    except (NotFound, ValueError):
        return None
    return _with_evidence(progress, student_id)


def _with_evidence(progress: dict[str, Any], student_id: str) -> dict[str, Any]:
    """What each assessment rests on is free text, not on the topics nor in the progress read model
    (docs/published-fields.md): read from the student's training record's events, by assessment id."""
    app = deployment().app("training")
    try:
        record = app.get_training_record(command_context(), UUID(student_id))
    except (NotFound, NotAllowed):
        return progress
    if record is None:
        return progress
    evidence = {e.assessment_id: e.evidence for e in app.repository.event_store.get(record.id)
                if type(e).__name__ == "CompetencyAssessed"}
    for competency in progress.get("competencies") or []:
        for side, assessment in (competency.get("assessment") or {}).items():
            if side != "combined" and assessment.get("assessment_id"):
                assessment["evidence"] = evidence.get(assessment["assessment_id"])
    return progress


def _page(actor: Actor, form: dict[str, Any], status: int = 200, errors: dict[str, list[Any]] | None = None,
          assessed: str | None = None, up_to_date: bool = True) -> Any:
    today = deployment().today()
    students = school_students(actor, today)
    chosen = next((s for s in students if s["id"] == form["student"]), None)
    progress = _progress(actor, form["student"]) if form["student"] else None
    if form["student"] and progress is None and status == 200:
        status = 404
        errors = {"student": [{"text": gettext("No such student of your school, or nothing known of them yet.")}]}
    if chosen is None and progress is not None:
        chosen = {"id": form["student"], "name": Names().student_name(form["student"]), "centre": ""}
    competencies = [dict(c, assessment=_dated(c["assessment"])) for c in (progress or {}).get("competencies", [])
                    if c["in_plan"]]
    return render_template("training/teacher_assessments.html", students=students, chosen=chosen, form=form,
                           progress=progress, competencies=competencies, errors=errors or {}, assessed=assessed,
                           up_to_date=up_to_date, today=today), status


def _dated(assessment: dict[str, Any] | None) -> dict[str, Any]:
    """The sides of an assessment with their days as dates (the read model keeps them as text)."""
    sides = {}
    for side, found in (assessment or {}).items():
        sides[side] = dict(found)
        try:
            sides[side]["assessed_on"] = date.fromisoformat(found.get("assessed_on") or "")
        except ValueError:
            pass
    return sides


def _blank(student: str = "") -> dict[str, Any]:
    return {"student": student, "competency": "", "result": "", "evidence": "",
            "assessed_on": deployment().today().isoformat()}


def assessments() -> Any:
    """GET /teacher/assessments[?student=<id>]."""
    actor = signed_in_as(Role.TEACHER, Role.COORDINATOR)
    up_to_date = written(deployment().view("progress"))
    form = _blank(request.args.get("student", "").strip())
    form["competency"] = request.args.get("competency", "")
    return _page(actor, form, assessed=request.args.get("assessed"), up_to_date=up_to_date)


def _parse(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    errors: dict[str, list[Any]] = {}
    parsed: dict[str, Any] = {}

    def refuse(field: str, text: str) -> None:
        errors.setdefault(field, []).append({"text": text})

    try:
        parsed["student"] = UUID(form["student"])
    except ValueError:
        refuse("student", gettext("Student: choose a student of your school."))
    if not form["competency"] or len(form["competency"]) > 64:
        refuse("competency", gettext("Competency: choose the competency assessed."))
    try:
        parsed["result"] = float(form["result"].replace(",", "."))
        if not math.isfinite(parsed["result"]) or not 0 <= parsed["result"] <= 1000:
            raise ValueError(form["result"])
    except ValueError:
        refuse("result", gettext("Result: give a number on the competency's scale, for example 3.5."))
    if not form["evidence"] or len(form["evidence"]) > 4000:
        refuse("evidence", gettext("Evidence: say what the judgement rests on (at most 4000 characters)."))
    try:
        parsed["assessed_on"] = date.fromisoformat(form["assessed_on"])
    except ValueError:
        refuse("assessed_on", gettext("Assessed on: give the day as YYYY-MM-DD."))
    return parsed, errors


def assess() -> Any:
    """POST /teacher/assessments: one assessment for the school."""
    actor = signed_in_as(Role.TEACHER, Role.COORDINATOR)
    form = {key: request.form.get(key, "").strip() for key in _blank()}
    parsed, errors = _parse(form)
    if errors:
        return _page(actor, form, 422, errors=errors)
    progress = _progress(actor, form["student"])
    placement = (progress or {}).get("plan_placement_id") or (
        ((progress or {}).get("current_placement") or {}).get("placement_id"))
    try:
        if not placement:
            raise NotFound(f"no placement of student {form['student']} to assess")
        done = application().assess_competency(command_context(), parsed["student"], placement,
                                               competency=form["competency"], result=parsed["result"],
                                               evidence=form["evidence"], assessed_on=parsed["assessed_on"])
    except DomainError as error:
        problem = _problem(error)
        on = problem["details"].get("on")
        if isinstance(on, str):
            try:
                problem["details"]["on"] = date.fromisoformat(on)
            except ValueError:
                pass
        field = FIELD_OF_RULE.get(problem.get("rule", ""), "student")
        status = 404 if isinstance(error, NotFound) else 403 if problem.get("kind") == "not-allowed" else 409
        return _page(actor, form, status, errors={field: [problem]})
    return redirect("/teacher/assessments?" + urlencode({
        "student": form["student"], "competency": form["competency"], "assessed": form["competency"],
        "wait_for": signed_token(done.token)}), 303)

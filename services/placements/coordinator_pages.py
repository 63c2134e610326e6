"""A coordinator's placements: the pipeline, proposing and approving (`/coordinator/placements`).

- `/coordinator/placements`: the school's placements grouped by stage (waiting for approvals, for confirmation,
  agreed, running, ended), each with the next action and who must take it; the school's approval, starting an
  agreed placement and withdrawing one (with a reason) are buttons. Filters by stage, centre and cohort; 50 a page.
- `/coordinator/placements/new`: propose a placement; "check free places" shows the centre's places per week over
  the period (held by agreed placements, expected by published rotation plans) before proposing.

They call the placements application's commands as the API does; refusals are shown next to the field, in words.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from contracts.http.common import ReasonRequest
from contracts.http.placements import ProposePlacementRequest
from services.common.errors import DomainError, NotAllowed, NotFound
from services.common.identity import Actor, Role
from services.common.rules import age_on, rule_set_in_force
from services.common.scope import Scope
from services.placements.form_pages import PAGE_SIZE, blank_to_none, checked, form_values, numbers, refusal, roster
from services.placements.pages import status_in_words
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import signed_token
from toolkit.http.pages import page_number, signed_in_as, written
from toolkit.http.paging import page_of

pages = Blueprint("placements_coordinator_pages", __name__, template_folder="templates")

STAGES = ("approvals", "confirmation", "agreed", "running", "ended")
"""The pipeline's stages, in order."""
PROPOSAL_FIELDS = ("student_id", "centre_id", "kind", "start", "planned_end", "post", "weekly_hours",
                   "speciality_override_reason", "capacity_override_justification")
MAX_WEEKS = 160
"""The longest period whose free places are shown (about three years)."""


def stage_names() -> dict[str, str]:
    return {"approvals": gettext("Waiting for approvals"), "confirmation": gettext("Waiting for confirmation"),
            "agreed": gettext("Agreed, not started"), "running": gettext("Running"), "ended": gettext("Ended")}


def stage_of(p: dict[str, Any]) -> str:
    status, approvals = p["status"], p["approvals"]
    if status == "proposed":
        return "confirmation" if approvals["school"] and approvals["enterprise"] else "approvals"
    if status == "agreed":
        return "agreed"
    return "running" if status in ("active", "paused") else "ended"


def _coordinator() -> Actor:
    return signed_in_as(Role.COORDINATOR)


def _placements() -> Any:
    return deployment().app("placements")


def _centres(status: str | None = None) -> list[dict[str, Any]]:
    return list(deployment().view("centres").centres_matching(status=status, page_size=500).items)


def _next_action(p: dict[str, Any], student: Any, school_rule_set: str, today: date,
                 enterprises: dict[str, str]) -> dict[str, Any]:
    """What the placement waits for, and who must act: lines in words, and which buttons the coordinator has."""
    approvals, terms = p["approvals"], p["pending_terms"] or p["terms"]
    enterprise = enterprises.get(p["enterprise_id"]) or gettext("the enterprise")
    waiting: list[str] = []
    action: dict[str, Any] = {"approve": False, "activate": False,
                              "withdraw": p["status"] in ("proposed", "agreed")}
    awaiting_approval = p["status"] == "proposed" or p["pending_terms"] is not None
    if awaiting_approval and p["status"] not in ("transferred", "stopped", "completed", "withdrawn"):
        if not approvals["school"]:
            action["approve"] = True
            waiting.append(gettext("waiting for the school's approval (yours)"))
        if not approvals["enterprise"]:
            waiting.append(gettext("waiting for the approval of %(enterprise)s", enterprise=enterprise))
    if p["status"] == "proposed" and not approvals["student"]:
        start = date.fromisoformat(terms["start"])
        rules = rule_set_in_force(school_rule_set, start)
        minor = student is not None and student.date_of_birth is not None and (
            age_on(student.date_of_birth, start) < rules.adult_age)
        if minor and rules.guardian_confirms_for_minors:
            action["guardian_code"] = True
            waiting.append(gettext("waiting for the guardian's confirmation"))
        else:
            waiting.append(gettext("waiting for the student's confirmation"))
    if p["status"] == "agreed" and not waiting:
        start = date.fromisoformat(p["terms"]["start"])
        if start <= today:
            action["activate"] = True
            waiting.append(gettext("due to start: start it once the student is there"))
        else:
            waiting.append(gettext("starts on %(day)s", day=_medium(start)))
    if not waiting:
        waiting.append(status_in_words(p["status"]))
    action["waiting"] = waiting
    return action


def _medium(day: date) -> str:
    from flask_babel import format_date

    return format_date(day, "medium")


def _all_of_school(actor: Actor, centre_id: str | None) -> list[dict[str, Any]]:
    """Every placement of the coordinator's school (at the centre asked for), from the placement register."""
    register, page = deployment().view("placement_register"), 1
    found: list[dict[str, Any]] = []
    while True:
        batch = register.placements_matching(Scope.of(actor), centre_id=centre_id, page=page, page_size=1000)
        found.extend(batch.items)
        if len(found) >= batch.total or not batch.items:
            return found
        page += 1


def _filters(centres: dict[str, str], cohorts: list[int]) -> dict[str, str]:
    wanted = {k: request.args.get(k, "")[:100] for k in ("stage", "centre", "cohort")}
    if wanted["stage"] not in STAGES:
        wanted["stage"] = ""
    if wanted["centre"] not in centres:
        wanted["centre"] = ""
    if wanted["cohort"] not in {str(c) for c in cohorts}:
        wanted["cohort"] = ""
    return wanted


def _pipeline(actor: Actor, status: int = 200, row_errors: dict[str, str] | None = None,
              reasons: dict[str, str] | None = None) -> Any:
    up_to_date = written(deployment().view("placement_register"))
    listed = roster()
    school = listed.schools.get(actor.school_id or "")
    students = {s.id: s for s in listed.students_of(actor.school_id or "")}
    cohorts = sorted({s.cohort for s in students.values()})
    centre_rows = _centres()
    centres = {c["id"]: c["name"] for c in centre_rows}
    enterprises = {c["enterprise"]["id"]: c["enterprise"]["name"] for c in centre_rows}
    wanted = _filters(centres, cohorts)
    rows = _all_of_school(actor, wanted["centre"] or None)
    counts = {s: 0 for s in STAGES}
    shown = []
    for p in rows:
        student = students.get(p["student_id"])
        if wanted["cohort"] and (student is None or str(student.cohort) != wanted["cohort"]):
            continue
        stage = stage_of(p)
        counts[stage] += 1
        if not wanted["stage"] or stage == wanted["stage"]:
            shown.append((STAGES.index(stage), p["terms"]["start"], p["id"], stage, p, student))
    shown.sort(key=lambda r: r[:3])
    pager = page_of(page_number(request.args.get("page")), len(shown), PAGE_SIZE)
    today, rule_set = deployment().today(), school.rule_set if school else "default"
    groups: dict[str, list[dict[str, Any]]] = {}
    for _, _, _, stage, p, student in shown[(pager["page"] - 1) * PAGE_SIZE:pager["page"] * PAGE_SIZE]:
        terms = p["pending_terms"] or p["terms"]
        groups.setdefault(stage, []).append({
            "id": p["id"], "student_id": p["student_id"], "student": student.name if student else p["student_id"],
            "cohort": student.cohort if student else None, "centre": centres.get(p["centre_id"], p["centre_id"]),
            "enterprise": enterprises.get(p["enterprise_id"], ""), "post": terms["post"],
            "start": date.fromisoformat(terms["start"]), "end": date.fromisoformat(p["ended_on"] or
                                                                                    terms["planned_end"]),
            "weekly_hours": terms["weekly_hours"], "status": status_in_words(p["status"]),
            "amended": p["pending_terms"] is not None,
            **_next_action(p, student, rule_set, today, enterprises)})
    extra = "".join(f"&{k}={v}" for k, v in wanted.items() if v)
    listed_ids = {row["id"] for rows_of_stage in groups.values() for row in rows_of_stage}
    return render_template(
        "placements/coordinator_pipeline.html", groups=[(s, stage_names()[s], groups[s]) for s in STAGES
                                                        if s in groups],
        counts=[(s, stage_names()[s], counts[s]) for s in STAGES], wanted=wanted, stages=stage_names(),
        centres=sorted(centres.items(), key=lambda c: c[1]), cohorts=cohorts, pager=pager, extra=extra,
        up_to_date=up_to_date, row_errors=row_errors or {}, reasons=reasons or {}, school=school,
        stray=[m for pid, m in (row_errors or {}).items() if pid not in listed_ids],
        done=request.args.get("done", "")[:40], sent_to=request.args.get("sent_to", "")[:200],
        total=len(rows)), status


@pages.get("/coordinator/placements")
def pipeline() -> Any:
    return _pipeline(_coordinator())


def _back(result: Any, done: str) -> Any:
    """After a command: the pipeline with the filters the coordinator had, showing the write."""
    kept = {k: request.form.get(k, "")[:100] for k in ("stage", "centre", "cohort", "page")}
    query = {k: v for k, v in kept.items() if v}
    return redirect("/coordinator/placements?" + urlencode(
        {**query, "done": done, "wait_for": signed_token(result.token)}), 303)


def _row_command(student_id: str, placement_id: UUID, command: str, **kwargs: Any) -> Any:
    actor = _coordinator()
    try:
        result = getattr(_placements(), command)(command_context(), UUID(student_id), str(placement_id), **kwargs)
    except (DomainError, ValueError) as error:
        if isinstance(error, ValueError):
            error = NotFound(f"no student {student_id}")
        status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, NotAllowed) else 409
        return _pipeline(actor, status, {str(placement_id): refusal(error)[1]})
    return _back(result, command)


@pages.post("/coordinator/placements/<uuid:placement_id>/school-approval")
def approve(placement_id: UUID) -> Any:
    """The school approves the terms awaiting approval, as the API's school-approval does."""
    return _row_command(request.form.get("student_id", ""), placement_id, "approve_placement_as_school")


@pages.post("/coordinator/placements/<uuid:placement_id>/activation")
def activate(placement_id: UUID) -> Any:
    """Start an agreed placement today (the student is there)."""
    return _row_command(request.form.get("student_id", ""), placement_id, "activate_placement")


@pages.post("/coordinator/placements/<uuid:placement_id>/withdrawal")
def withdraw(placement_id: UUID) -> Any:
    """Withdraw a placement that has not started, with a reason."""
    actor = _coordinator()
    reason = request.form.get("reason", "")[:4000]
    values, errors = checked(ReasonRequest(), {"reason": reason}, {
        "reason": gettext("Give the reason for withdrawing (at most 2000 characters).")})
    if errors:
        return _pipeline(actor, 422, {str(placement_id): next(iter(errors.values()))}, {str(placement_id): reason})
    return _row_command(request.form.get("student_id", ""), placement_id, "withdraw_placement",
                        reason=values["reason"])


@pages.post("/coordinator/placements/<uuid:placement_id>/guardian-code")
def guardian_code(placement_id: UUID) -> Any:
    """Mail the enrolled guardian a one-time code to confirm this placement with, as the API's guardian-code does."""
    actor, ctx = _coordinator(), command_context()
    try:
        guardian = _placements().guardian_to_ask(ctx, UUID(request.form.get("student_id", "")), str(placement_id))
        sent_to, _ = deployment().sessions().send_guardian_code(
            ctx, student_id=guardian.student_id, placement_id=guardian.placement_id, guardian_email=guardian.email,
            guardian_name=guardian.guardian_name, student_name=guardian.student_name)
    except (DomainError, ValueError) as error:
        if isinstance(error, ValueError):
            error = NotFound("no such student")
        status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, NotAllowed) else 409
        return _pipeline(actor, status, {str(placement_id): refusal(error)[1]})
    kept = {k: request.form.get(k, "")[:100] for k in ("stage", "centre", "cohort", "page")}
    return redirect("/coordinator/placements?" + urlencode(
        {**{k: v for k, v in kept.items() if v}, "done": "guardian_code", "sent_to": sent_to[:200]}), 303)


# -- proposing ------------------------------------------------------------------------------------------
def _field_messages() -> dict[str, str]:
    return {
        "centre_id": gettext("Choose a training centre."),
        "kind": gettext("Choose a kind of placement from the list."),
        "start": gettext("Give the start as a date (YYYY-MM-DD)."),
        "planned_end": gettext("Give the planned end as a date (YYYY-MM-DD), not before the start."),
        "post": gettext("Name the post (at most 200 characters)."),
        "weekly_hours": gettext("Give the hours a week as a whole number from 1 to 80."),
        "speciality_override_reason": gettext("Check the reason: plain text only."),
        "capacity_override_justification": gettext("Check the justification: plain text only."),
    }


def _free_places(centre_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """Per week of the period: places held by agreed placements, students expected by published plans, free."""
    centres = deployment().view("centres")
    held = {w["week_start"]: w for w in centres.occupancy_by_week(centre_id, start, end)["weeks"]}
    weeks = []
    for w in centres.expected_occupancy(centre_id, start, end):
        taken = held.get(w["week_start"], {}).get("held", 0)
        weeks.append({"week": w["week"], "start": date.fromisoformat(w["week_start"]), "held": taken,
                      "expected": w["expected"], "capacity": w["capacity"],
                      "free": max(w["capacity"] - max(taken, w["expected"]), 0)})
    return weeks


def _proposal_page(actor: Actor, form: dict[str, str], status: int = 200, errors: dict[str, str] | None = None,
                   check: bool = False) -> Any:
    students = roster().students_of(actor.school_id or "")
    centres = sorted(_centres("open"), key=lambda c: (c["enterprise"]["name"] or "", c["name"]))
    weeks, chosen, errors = None, None, dict(errors or {})
    if check or (form["centre_id"] and form["start"] and form["planned_end"]):
        chosen = next((c for c in centres if c["id"] == form["centre_id"]), None)
        start: date | None = None
        end: date | None = None
        try:
            start, end = date.fromisoformat(form["start"]), date.fromisoformat(form["planned_end"])
        except ValueError:
            if check:
                errors.setdefault("start", _field_messages()["start"])
        if chosen is None and check:
            errors.setdefault("centre_id", _field_messages()["centre_id"])
        elif chosen is not None and start and end:
            if end < start or end - start > timedelta(weeks=MAX_WEEKS):
                errors.setdefault("planned_end", gettext(
                    "Give a planned end after the start, at most three years later."))
            else:
                weeks = _free_places(chosen["id"], start, end)
    student = next((s for s in students if s.id == form["student_id"]), None)
    return render_template(
        "placements/coordinator_propose.html", form=form, students=students, centres=centres, weeks=weeks,
        chosen=chosen, student=student, errors=errors,
        full=[w for w in weeks or [] if w["free"] == 0], status=status), status


@pages.get("/coordinator/placements/new")
def proposal_form() -> Any:
    actor = _coordinator()
    form = form_values(PROPOSAL_FIELDS)
    form["kind"] = form["kind"] or "post"
    return _proposal_page(actor, form)


@pages.post("/coordinator/placements/new")
def propose() -> Any:
    actor = _coordinator()
    form = form_values(PROPOSAL_FIELDS)
    if request.form.get("action") == "check":
        return _proposal_page(actor, form, check=True)
    students = {s.id: s for s in roster().students_of(actor.school_id or "")}
    errors: dict[str, str] = {}
    if form["student_id"] not in students:
        errors["student_id"] = gettext("Choose a student of your school.")
    data = {k: v for k, v in form.items() if k != "student_id"}
    values, found = checked(ProposePlacementRequest(), numbers(blank_to_none(
        data, "speciality_override_reason", "capacity_override_justification"), "weekly_hours"), _field_messages())
    errors.update(found)
    if errors:
        return _proposal_page(actor, form, 422, errors)
    try:
        result = _placements().propose_placement(command_context(), UUID(form["student_id"]), **values)
    except DomainError as error:
        field, words = refusal(error, not_found="centre_id")
        if field not in PROPOSAL_FIELDS:
            field = "form"
        status = 404 if isinstance(error, NotFound) else 409
        return _proposal_page(actor, form, status, {field: _with_rule_figures(error, words, students, form)},
                              check=True)
    return redirect("/coordinator/placements?" + urlencode(
        {"done": "propose_placement", "wait_for": signed_token(result.token)}), 303)


def _with_rule_figures(error: DomainError, words: str, students: dict[str, Any], form: dict[str, str]) -> str:
    """The rule set's figures a refusal names (its caps and minimum age are not in the refusal's details)."""
    rule = getattr(error, "rule", "")
    if rule not in ("weekly-hours-cap", "minimum-age"):
        return words
    school = roster().schools.get(students[form["student_id"]].school_id)
    rules = rule_set_in_force(school.rule_set if school else "default", date.fromisoformat(form["start"]))
    if rule == "weekly-hours-cap":
        return gettext("The school's rule set allows at most %(cap)s hours a week.", cap=rules.max_hours_per_week)
    return gettext("The student is %(age)s on the start date; the school's rule set asks for at least %(min)s.",
                   age=error.details.get("age", "?"), min=rules.min_age)

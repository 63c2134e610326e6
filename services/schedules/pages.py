"""The rotation planner (`/coordinator/plans`), for the coordinators of a school (server-rendered; see
dualtrack/web/shell.py for the shell they live in).

- `/coordinator/plans`: the school's plans; `/coordinator/plans/new`: generate one from a pattern (students chosen
  by cohort, major or centre, the weeks at school and at enterprises, cycles, groups, holidays and exam weeks).
- `/coordinator/plans/<id>`: the plan as a grid of weeks x groups, its conflicts next to the cells they concern and
  grouped per student (per centre, per block for the others), each group overridden with one justification, and
  publication; `/coordinator/plans/<id>/blocks/<block>`: one block changed (the draft, or a revision with a reason);
  `/coordinator/plans/<id>/revisions`: the revisions, two of them side by side.

They call the schedules application as its API does (generate_plan, change_draft, publish_plan, revise_plan,
check_plan, changes_between); plans are read from its event store, so a page shows one's own write at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from services.common.errors import NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import Actor, Role
from services.common.scope import Scope
from services.schedules.api import application
from services.schedules.domain import ConflictsRemain, InvalidPlan, RotationPlan
from services.schedules.domain.plan import DRAFT
from services.schedules.pages_forms import EXAM_ROWS, HOLIDAY_ROWS, chosen_students, field_of, generate_form
from services.schedules.pages_grid import grid, grouped, mark_cells
from toolkit.http.context import command_context, deployment
from toolkit.http.pages import Names, signed_in_as

pages = Blueprint("schedules_pages", __name__, template_folder="templates")

CSS = "css/schedules.css"


def coordinator() -> Actor:
    return signed_in_as(Role.COORDINATOR)


def plan_of(actor: Actor, plan_id: str) -> RotationPlan:
    """The plan, if it is one of the coordinator's school; any other id is not found (another school's too)."""
    try:
        plan = application().get_plan(actor, UUID(plan_id))
    except (ValueError, NotFound, NotAllowed):
        plan = None
    if plan is None or plan.school_id != actor.school_id:
        raise NotFound(gettext("There is no such rotation plan in your school."), plan_id=plan_id)
    return plan


def version_sent() -> int | None:
    """The plan's version the form was rendered with (a change meanwhile is refused, not overwritten)."""
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def weeks_in(plan: RotationPlan) -> int:
    term = plan.content.term
    return ((term.end - term.start).days + term.start.weekday()) // 7 + 1


# -- /coordinator/plans ------------------------------------------------------------------------------
@pages.get("/coordinator/plans")
def plan_list() -> Any:
    actor = coordinator()
    plans = []
    for summary in application().plans(actor, actor.school_id):
        plan = application().get_plan(actor, UUID(summary.plan_id))
        plans.append({"id": summary.plan_id, "title": plan.title, "cohort": plan.cohort, "status": plan.status,
                      "revision": plan.revision, "groups": [g.name for g in plan.content.groups],
                      "students": len(plan.content.students), "weeks": weeks_in(plan),
                      "start": plan.content.term.start, "end": plan.content.term.end})
    return render_template("schedules/plans.html", plans=plans, css=CSS)


# -- /coordinator/plans/new --------------------------------------------------------------------------
LISTED_AT_MOST = 200
"""Students listed to choose from at once: more than that asks for a narrower filter (a class is a few dozen)."""


def school_students(actor: Actor) -> list[dict[str, Any]]:
    """The school's students (the placements roster) with their cohort, major and the centres of their placements
    (from the placement register)."""
    register = deployment().view("placement_register")
    centres: dict[str, set[str]] = {}
    page = 1
    while True:
        found = register.placements_matching(Scope.of(actor), school_id=actor.school_id, page=page, page_size=500)
        for row in found.items:
            if row["status"] != "withdrawn":
                centres.setdefault(row["student_id"], set()).add(row["centre_id"])
        if not found.items or page * 500 >= found.total:
            break
        page += 1
    return [{"id": s.id, "name": s.name, "cohort": str(s.cohort), "major": s.major, "centres": centres.get(s.id, set())}
            for s in deployment().app("placements").roster().students_of(str(actor.school_id))]


def _next_monday() -> str:
    today = deployment().today()
    return (today + timedelta(days=7 - today.weekday())).isoformat()


def _new_page(actor: Actor, values: Any, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    names = Names()
    students = school_students(actor)
    filters = {k: (values.get(k) or "").strip() for k in ("year", "major", "centre")}
    shown = [s for s in students if (not filters["year"] or s["cohort"] == filters["year"])
             and (not filters["major"] or s["major"] == filters["major"])
             and (not filters["centre"] or filters["centre"] in s["centres"])]
    centre_ids = sorted({c for s in students for c in s["centres"]})
    options = {"years": sorted({s["cohort"] for s in students}), "majors": sorted({s["major"] for s in students}),
               "centres": sorted(((c, names.name_of("centre", c)) for c in centre_ids), key=lambda c: c[1])}
    defaults = {"start": _next_monday(), "school_weeks": "4", "enterprise_weeks": "4", "cycles": "2", "groups": "2",
                "hours_per_week": "40", "title": "",
                "cohort": "-".join(x for x in (filters["major"], filters["year"]) if x)}
    form = {**defaults, **{k: v for k, v in values.items() if k in defaults and request.method == "POST"}}
    chosen = set(chosen_students(values)) if request.method == "POST" else set()
    periods = {"holiday": range(HOLIDAY_ROWS), "exam": range(EXAM_ROWS)}
    too_many = len(shown) if len(shown) > LISTED_AT_MOST else 0
    return render_template("schedules/new.html", students=[] if too_many else shown, too_many=too_many,
                           listed_at_most=LISTED_AT_MOST,
                           total=len(students), filters=filters,
                           options=options, form=form, values=values, chosen=chosen, errors=errors or {},
                           periods=periods, css=CSS), status


@pages.get("/coordinator/plans/new")
def new_plan() -> Any:
    return _new_page(coordinator(), request.args)


@pages.post("/coordinator/plans/new")
def generate_plan() -> Any:
    actor = coordinator()
    known = {s["id"] for s in school_students(actor)}
    parsed, errors = generate_form(request.form, known)
    if errors:
        return _new_page(actor, request.form, errors, 422)
    try:
        done = application().generate_plan(command_context(), school_id=str(actor.school_id),
                                           cohort=parsed["cohort"], title=parsed["title"], pattern=parsed["pattern"])
    except InvalidPlan as error:
        place = field_of(str(error.details.get("field", "")))
        return _new_page(actor, request.form, {place: [gettext("This does not hold together: %(why)s",
                                                               why=str(error))]}, 422)
    except (RuleViolated, NotFound):
        return _new_page(actor, request.form, {"students": [gettext(
            "One of the students chosen is not your school's (any more): choose again.")]}, 409)
    return redirect(f"/coordinator/plans/{done.id}?generated=1", 303)


# -- /coordinator/plans/<id> -------------------------------------------------------------------------
def conflict_groups(actor: Actor, plan: RotationPlan, names: Names) -> list[Any]:
    titles = {s.plan_id: s.title for s in application().plans(actor)}
    return grouped(application().check_plan(actor, plan.id), plan.content, str(plan.id), plan.justification_of,
                   names.student_name, lambda c: names.name_of("centre", c),
                   lambda p: titles.get(p, gettext("another school's plan")))


def plan_page(actor: Actor, plan: RotationPlan, status: int = 200, **shown: Any) -> Any:
    names = Names()
    groups = conflict_groups(actor, plan, names)
    rows = grid(plan.content, lambda c: names.name_of("centre", c))
    mark_cells(rows, groups)
    members = [(g.name, sorted(names.student_name(s) for s in g.students)) for g in plan.content.groups]
    pending = sum(len(g.keys) for g in groups)
    return render_template("schedules/plan.html", plan=plan, rows=rows, groups=groups, members=members,
                           pending=pending, weeks=weeks_in(plan), justifications=shown.get("justifications", {}),
                           errors=shown.get("errors", {}), accepted=shown.get("accepted"),
                           refusal=shown.get("refusal"), generated=request.args.get("generated"),
                           published=request.args.get("published"), edited=request.args.get("edited"),
                           css=CSS), status


@pages.get("/coordinator/plans/<plan_id>")
def plan_view(plan_id: str) -> Any:
    actor = coordinator()
    return plan_page(actor, plan_of(actor, plan_id))


@pages.post("/coordinator/plans/<plan_id>/publication")
def publish(plan_id: str) -> Any:
    """Override a group of conflicts (checked, kept in the form until published) or publish with the overrides."""
    actor = coordinator()
    plan = plan_of(actor, plan_id)
    justifications = {k[4:]: v.strip() for k, v in request.form.items() if k.startswith("why-")}
    action = request.form.get("action", "publish")
    groups = conflict_groups(actor, plan, Names())
    if action.startswith("override:"):
        gid = action.split(":", 1)[1]
        why = justifications.get(gid, "")
        if not why or len(why) > 2000:
            return plan_page(actor, plan, 422, justifications=justifications, errors={gid: [gettext(
                "Give a justification to override these conflicts (at most 2000 characters).")]})
        return plan_page(actor, plan, justifications=justifications, accepted=gid)
    if plan.status != DRAFT:
        return plan_page(actor, plan, 409, refusal=gettext(
            "This plan is published already: change it block by block, each change a revision with a reason."))
    overrides: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for group in groups:
        why = justifications.get(group.id, "")
        seen = set(request.form.getlist(f"seen-{group.id}"))
        if why and len(why) <= 2000:
            overrides.update({k: why for k in group.keys if k in seen})
        if any(k not in overrides for k in group.keys):
            errors[group.id] = [gettext("Not overridden: give a justification, or change the plan.")]
    if errors:
        return plan_page(actor, plan, 409, justifications=justifications, errors=errors, refusal=gettext(
            "Not published: %(n)s conflict(s) remain without a justification.",
            n=sum(len(g.keys) for g in groups if g.id in errors)))
    try:
        application().publish_plan(command_context(), plan.id, overrides, expected_version=version_sent())
    except (ConflictsRemain, VersionConflict, RuleViolated):
        return plan_page(actor, plan_of(actor, plan_id), 409, justifications=justifications, refusal=gettext(
            "Not published: the plan or its conflicts changed meanwhile. Check them again and publish."))
    return redirect(f"/coordinator/plans/{plan.id}?published=1", 303)


from services.schedules import pages_blocks  # noqa: E402,F401  (its routes join this blueprint)

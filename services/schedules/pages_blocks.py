"""The rotation planner's pages for one block and for revisions (routes of the `schedules_pages` blueprint):

- `/coordinator/plans/<id>/blocks/<block>`: one block changed alone, its form posted to
  `/coordinator/plans/<id>/blocks` (kind, dates, hours a week, each student's centre); the rest of the plan is sent
  as it is. A draft is changed (`change_draft`); a published plan is revised with a reason (`revise_plan`), a
  conflict the change brings overridden with a justification.
- `/coordinator/plans/<id>/revisions`: the published revisions, and two of them side by side with what differs.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request
from flask_babel import gettext

from services.common.errors import NotFound, RuleViolated, VersionConflict
from services.common.identity import Actor
from services.schedules.api import application
from services.schedules.domain import ConflictsRemain, InvalidPlan, RotationPlan
from services.schedules.domain.conflicts import Conflict
from services.schedules.domain.content import Block
from services.schedules.domain.plan import PUBLISHED
from services.schedules.pages import CSS, coordinator, pages, plan_of, version_sent
from services.schedules.pages_forms import block_form
from services.schedules.pages_grid import cell_id, grouped, side_by_side
from toolkit.http.context import command_context
from toolkit.http.pages import Names

BLOCK_FIELDS = {"start": "start", "end": "end", "kind": "kind", "hours_per_week": "hours_per_week",
                "assignments": "centres", "group": "kind", "id": "kind"}
"""Which field of the block's form a refusal about a part of the block is shown next to."""


def _block(plan: RotationPlan, block_id: str) -> Block:
    block = plan.content.block(block_id)
    if block is None:
        raise NotFound(gettext("This plan has no such block."), block_id=block_id)
    return block


def _centre_choices(block: Block, plan: RotationPlan, names: Names) -> list[dict[str, Any]]:
    """Each student of the block's group, their centre in it and the centres of their approved placements."""
    found = []
    for student_id in plan.content.members(block.group):
        try:
            approved = [p.centre_id for p in application().placements.student(student_id).placements if p.approved]
        except NotFound:
            approved = []
        current = block.centre_of(student_id)
        ids = list(dict.fromkeys([*([current] if current else []), *approved]))
        found.append({"id": student_id, "name": names.student_name(student_id), "current": current or "",
                      "centres": [(c, names.name_of("centre", c)) for c in ids]})
    return sorted(found, key=lambda s: (s["name"], s["id"]))


def _block_page(actor: Actor, plan: RotationPlan, block: Block, values: Any = None, status: int = 200,
                errors: dict[str, list[str]] | None = None, conflicts: list[dict[str, Any]] | None = None) -> Any:
    names = Names()
    titles = {s.plan_id: s.title for s in application().plans(actor)}
    brought = grouped([Conflict(**c) for c in conflicts or []], plan.content, str(plan.id), lambda c: None,
                      names.student_name, lambda c: names.name_of("centre", c),
                      lambda p: titles.get(p, gettext("another school's plan")))
    form = values or {"kind": block.kind, "start": block.start.isoformat(), "end": block.end.isoformat(),
                      "hours_per_week": str(block.hours_per_week or 40), "reason": "", "justification": ""}
    choices = _centre_choices(block, plan, names)
    chosen = {s["id"]: (values.get(f"centre-{s['id']}", "") if values is not None else s["current"]) for s in choices}
    return render_template("schedules/block.html", plan=plan, block=block, form=form, students=choices,
                           chosen=chosen, errors=errors or {}, conflicts=brought,
                           keys=[c["key"] for c in conflicts or []],
                           published=plan.status == PUBLISHED, css=CSS,
                           back=f"/coordinator/plans/{plan.id}#{cell_id(block.start, block.group)}"), status


@pages.get("/coordinator/plans/<plan_id>/blocks/<block_id>")
def block_view(plan_id: str, block_id: str) -> Any:
    actor = coordinator()
    plan = plan_of(actor, plan_id)
    return _block_page(actor, plan, _block(plan, block_id))


@pages.post("/coordinator/plans/<plan_id>/blocks")
def change_block(plan_id: str) -> Any:
    """The block named by the form's `block` changed as the form says."""
    actor = coordinator()
    plan = plan_of(actor, plan_id)
    block_id = request.form.get("block", "")
    block = _block(plan, block_id)
    published = plan.status == PUBLISHED
    parsed, errors = block_form(request.form, plan.content, block_id, published)
    if errors:
        return _block_page(actor, plan, block, request.form, 422, errors)
    try:
        if published:
            why = (request.form.get("justification") or "").strip()
            overrides = {k: why for k in request.form.getlist("seen")} if why else {}
            application().revise_plan(command_context(), plan.id, content=parsed["content"],
                                      reason=parsed["reason"], overrides=overrides, expected_version=version_sent())
        else:
            application().change_draft(command_context(), plan.id, content=parsed["content"],
                                       expected_version=version_sent())
    except InvalidPlan as error:
        place = str(error.details.get("field", "")).rsplit(".", 1)[-1].split("[", 1)[0]
        return _block_page(actor, plan, block, request.form, 422, {BLOCK_FIELDS.get(place, "start"): [
            gettext("This does not hold together: %(why)s", why=str(error))]})
    except NotFound:
        return _block_page(actor, plan, block, request.form, 422, {"centres": [gettext(
            "Choose each student's centre from the list.")]})
    except ConflictsRemain as error:
        return _block_page(actor, plan, block, request.form, 409, {"justification": [gettext(
            "This change brings conflicts: give a justification to override them, or change the block again.")]},
            conflicts=error.details.get("conflicts", []))
    except VersionConflict:
        return _block_page(actor, plan_of(actor, plan_id), block, request.form, 409, {"form": [gettext(
            "The plan changed since you opened this block: check it and send the change again.")]})
    except RuleViolated as error:
        text = {"revision-changes-nothing": gettext("This changes nothing in the block."),
                "override-matches-no-conflict": gettext("The conflicts changed meanwhile: check them again."),
                }.get(error.rule, gettext("Refused: the plan changed meanwhile, or the rules do not allow it."))
        return _block_page(actor, plan, block, request.form, 409, {"form": [text]})
    return redirect(f"/coordinator/plans/{plan.id}?edited={block_id}#{cell_id(block.start, block.group)}", 303)


# -- revisions --------------------------------------------------------------------------------------
def _number(name: str, default: int, numbers: list[int], errors: dict[str, list[str]]) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number not in numbers:
        errors.setdefault(name, []).append(gettext("Choose one of the revisions listed."))
        return default
    return number


@pages.get("/coordinator/plans/<plan_id>/revisions")
def revisions(plan_id: str) -> Any:
    actor = coordinator()
    plan = plan_of(actor, plan_id)
    numbers = [r.number for r in plan.revisions]
    errors: dict[str, list[str]] = {}
    first = _number("first", numbers[-2] if len(numbers) > 1 else (numbers[0] if numbers else 0), numbers, errors)
    second = _number("second", numbers[-1] if numbers else 0, numbers, errors)
    compared = None
    if numbers:
        changes = application().changes_between(actor, plan.id, first, second)
        before, after = plan.revision_numbered(first), plan.revision_numbered(second)
        assert before is not None and after is not None
        names = Names()
        compared = {"first": before, "second": after, "changes": changes,
                    "rows": side_by_side(before.content, after.content, changes),
                    "centre": lambda c: names.name_of("centre", c), "student": names.student_name}
    return render_template("schedules/revisions.html", plan=plan, compared=compared, errors=errors, css=CSS,
                           first=first, second=second), 422 if errors else 200

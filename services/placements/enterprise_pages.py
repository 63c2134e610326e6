"""An enterprise's page (`/admin/enterprises/<id>`: admins, and that enterprise's own enterprise admins): the
placements it is asked to host, approved with the mentor chosen; its centres, each with its capacity (changed with a
reason), its mentors (assigned, withdrawn with a reason) and its closing (with a reason); opening a centre.

The routes go on the admin pages' blueprint (`admin_pages.py` installs them); each command is the API's, with its
scope checks (the application refuses anyone who does not run the enterprise).

An enterprise admin sees the name of a student asked to be hosted only once the enterprise approved a placement of
theirs (least data per role, `toolkit/http/sight.py`): a new proposal shows the student's major and cohort.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from contracts.http.common import ReasonRequest
from contracts.http.placements import (
    AssignMentorRequest,
    ChangeCapacityRequest,
    EnterpriseApprovalRequest,
    OpenCentreRequest,
    WithdrawMentorRequest,
)
from services.common.errors import DomainError, NotAllowed, NotFound
from services.common.identity import Actor, Role, is_enterprise_manager
from services.common.scope import Scope
from services.placements.form_pages import blank_to_none, checked, numbers, refusal, roster
from services.placements.pages import status_in_words
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import signed_token
from toolkit.http.pages import signed_in_as, written
from toolkit.http.sight import StudentSight

FORMS: dict[str, tuple[tuple[str, ...], Any]] = {
    "open": (("name", "address", "capacity", "specialities"), OpenCentreRequest),
    "capacity": (("capacity", "reason"), ChangeCapacityRequest),
    "assign": (("mentor_id", "name"), AssignMentorRequest),
    "withdraw": (("mentor_id", "reason"), WithdrawMentorRequest),
    "close": (("reason",), ReasonRequest),
    "approve": (("mentor_id",), EnterpriseApprovalRequest),
}
"""Each form of the page: its fields and the API's request schema that checks them."""


def _messages() -> dict[str, str]:
    return {
        "name": gettext("Give a name (at most 200 characters)."),
        "address": gettext("Give the address (at most 500 characters)."),
        "capacity": gettext("Give the number of places as a whole number from 1 to 100000."),
        "specialities": gettext("Name at least one major the centre trains, separated by commas."),
        "reason": gettext("Give the reason (at most 2000 characters)."),
        "mentor_id": gettext("Give the mentor's person id (at most 200 characters)."),
    }


def _manager(enterprise_id: UUID) -> Actor:
    """Admins, and the enterprise's own enterprise admins; anyone else is refused (403)."""
    actor = signed_in_as(Role.ADMIN, Role.ENTERPRISE_ADMIN)
    if not is_enterprise_manager(actor, str(enterprise_id)):
        raise NotAllowed(gettext("This enterprise is not yours to run."), role=actor.role.value)
    return actor


def _waiting_for_enterprise(enterprise_id: str) -> list[dict[str, Any]]:
    """The placements at the enterprise's centres whose terms wait for its approval, oldest start first."""
    register, page = deployment().view("placement_register"), 1
    found: list[dict[str, Any]] = []
    while True:
        batch = register.placements_matching(Scope(enterprise_id=enterprise_id), page=page, page_size=1000)
        found.extend(p for p in batch.items if not p["approvals"]["enterprise"] and (
            p["status"] == "proposed" or (p["pending_terms"] is not None and p["status"] in ("agreed", "active",
                                                                                              "paused"))))
        if page * 1000 >= batch.total or not batch.items:
            return found
        page += 1


def _mentors_named(centre: dict[str, Any]) -> dict[str, Any]:
    """A mentor's name is not on the topics, so not in the centres read model (docs/published-fields.md): the
    placements application, which keeps it, names the centre's mentors."""
    if not centre["mentors"]:
        return centre
    names = deployment().app("placements").get_centre(UUID(centre["id"])).mentors
    return {**centre, "mentors": [{**m, "name": names.get(m["mentor_id"]) or m["mentor_id"]}
                                  for m in centre["mentors"]]}


def enterprise_page(enterprise_id: UUID, status: int = 200, errors: dict[str, dict[str, str]] | None = None,
                    typed: dict[str, dict[str, str]] | None = None) -> Any:
    sight = StudentSight(_manager(enterprise_id))
    enterprise = roster().enterprises.get(str(enterprise_id))
    if enterprise is None:
        raise NotFound(gettext("There is no such enterprise."), id=str(enterprise_id))
    up_to_date = written(deployment().view("centres")) and written(deployment().view("placement_register"))
    centres = [_mentors_named(c) for c in deployment().view("centres").centres_matching(
        enterprise_id=str(enterprise_id), page_size=500).items]
    by_id = {c["id"]: c for c in centres}
    students = roster().students
    waiting = []
    for p in _waiting_for_enterprise(str(enterprise_id)):
        terms = p["pending_terms"] or p["terms"]
        centre = by_id.get(p["centre_id"], {"name": p["centre_id"], "mentors": []})
        student = students.get(p["student_id"])
        waiting.append({"id": p["id"], "student_id": p["student_id"],
                        "student": _student_in_words(sight, p["student_id"], student), "centre": centre["name"],
                        "mentors": centre["mentors"], "post": terms["post"], "weekly_hours": terms["weekly_hours"],
                        "start": date.fromisoformat(terms["start"]),
                        "end": date.fromisoformat(terms["planned_end"]), "status": status_in_words(p["status"]),
                        "amended": p["pending_terms"] is not None})
    return render_template(
        "placements/admin_enterprise.html", enterprise=enterprise, centres=centres, waiting=waiting,
        errors=errors or {}, typed=typed or {}, up_to_date=up_to_date, done=request.args.get("done", "")[:40],
        admin=signed_in_as(Role.ADMIN, Role.ENTERPRISE_ADMIN).role is Role.ADMIN), status


def _student_in_words(sight: StudentSight, student_id: str, listed: Any) -> str:
    """The student's name if the caller may see it, else their major and cohort (an enterprise that has not approved
    a placement of theirs yet)."""
    name = sight.name(student_id)
    if name is not None:
        return name
    if listed is None:
        return gettext("(name withheld)")
    return gettext("A student of %(major)s, cohort %(cohort)s (name withheld)", major=listed.major,
                   cohort=listed.cohort)


def _typed(form: str) -> dict[str, str]:
    return {f: request.form.get(f, "")[:4000] for f in FORMS[form][0]}


def _command(enterprise_id: UUID, key: str, form: str, act: Any, data: dict[str, Any] | None = None) -> Any:
    """Check the form with the API's schema, run the command, and show the page again: the write, or the refusal
    next to the form's field with what was typed."""
    typed = _typed(form)
    fields, schema = FORMS[form]
    given = numbers(data if data is not None else blank_to_none(typed, "reason"), "capacity")
    values, errors = checked(schema(), given,
                             {f: m for f, m in _messages().items() if f in fields})
    if errors:
        return enterprise_page(enterprise_id, 422, {key: errors}, {key: typed})
    try:
        result = act(values)
    except (DomainError, ValueError) as error:
        if isinstance(error, ValueError):
            error = NotFound("no such record")
        field, words = refusal(error)
        status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, NotAllowed) else 409
        return enterprise_page(enterprise_id, status, {key: {field if field in fields else "form": words}},
                               {key: typed})
    return redirect(f"/admin/enterprises/{enterprise_id}?" + urlencode(
        {"done": form, "wait_for": signed_token(result.token)}) + f"#{key}", 303)


def _centre_of(centre_id: UUID) -> UUID:
    """The enterprise running the centre (404 for a centre that does not exist), its runner checked."""
    try:
        enterprise_id = UUID(deployment().app("placements").get_centre(centre_id).enterprise_id)
    except ValueError:
        raise NotFound(gettext("There is no such centre."), id=str(centre_id)) from None
    _manager(enterprise_id)
    return enterprise_id


def open_centre(enterprise_id: UUID) -> Any:
    _manager(enterprise_id)
    typed = _typed("open")
    data = {**typed, "specialities": [s.strip() for s in typed["specialities"].split(",") if s.strip()]}
    return _command(enterprise_id, "open-centre", "open", lambda v: deployment().app("placements").open_centre(
        command_context(), enterprise_id=enterprise_id, **v), data)


def change_capacity(centre_id: UUID) -> Any:
    enterprise_id = _centre_of(centre_id)
    return _command(enterprise_id, f"capacity-{centre_id}", "capacity",
                    lambda v: deployment().app("placements").change_centre_capacity(command_context(), centre_id,
                                                                                    **v))


def assign_mentor(centre_id: UUID) -> Any:
    enterprise_id = _centre_of(centre_id)
    return _command(enterprise_id, f"assign-{centre_id}", "assign", lambda v: deployment().app(
        "placements").assign_mentor(command_context(), centre_id, mentor_id=v["mentor_id"].strip(), name=v["name"]))


def withdraw_mentor(centre_id: UUID) -> Any:
    enterprise_id = _centre_of(centre_id)
    mentor_id = request.form.get("mentor_id", "")[:200]  # in the API's path: the centre refuses one it lacks
    return _command(enterprise_id, f"withdraw-{centre_id}", "withdraw", lambda v: deployment().app(
        "placements").withdraw_mentor(command_context(), centre_id, mentor_id=mentor_id, **v),
                    blank_to_none({"reason": request.form.get("reason", "")[:4000]}, "reason"))


def close_centre(centre_id: UUID) -> Any:
    enterprise_id = _centre_of(centre_id)
    return _command(enterprise_id, f"close-{centre_id}", "close", lambda v: deployment().app(
        "placements").close_centre(command_context(), centre_id, **v))


def approve(enterprise_id: UUID, placement_id: UUID) -> Any:
    """The enterprise approves the terms and names the mentor, as the API's enterprise-approval does."""
    _manager(enterprise_id)
    student_id = request.form.get("student_id", "")
    return _command(enterprise_id, f"approve-{placement_id}", "approve", lambda v: deployment().app(
        "placements").approve_placement_as_enterprise(command_context(), UUID(student_id), str(placement_id), **v))


def install(pages: Blueprint) -> None:
    """Put the enterprise page's routes on the admin pages' blueprint."""
    pages.add_url_rule("/admin/enterprises/<uuid:enterprise_id>", view_func=enterprise_page, methods=["GET"])
    pages.add_url_rule("/admin/enterprises/<uuid:enterprise_id>/centres", view_func=open_centre, methods=["POST"])
    pages.add_url_rule("/admin/enterprises/<uuid:enterprise_id>/placements/<uuid:placement_id>/approval",
                       view_func=approve, methods=["POST"])
    pages.add_url_rule("/admin/centres/<uuid:centre_id>/capacity", view_func=change_capacity, methods=["POST"])
    pages.add_url_rule("/admin/centres/<uuid:centre_id>/mentors", view_func=assign_mentor, methods=["POST"])
    pages.add_url_rule("/admin/centres/<uuid:centre_id>/mentors/withdrawal", view_func=withdraw_mentor,
                       methods=["POST"])
    pages.add_url_rule("/admin/centres/<uuid:centre_id>/closure", view_func=close_centre, methods=["POST"])

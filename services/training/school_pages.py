"""The school's side of training: the teacher's countersignature queue and assessments (`/teacher/...`) and the
coordinator's practice upload (`/coordinator/practice-upload`).

- `/teacher/queue`: the entries of my school that a mentor signed and that await the school's countersignature,
  oldest first, 50 a page (the progress read model); tick several and countersign them at once, or send them back
  with a reason (one command per entry, a result per entry in words).
- `/teacher/assessments` (assessment_pages.py): assess a competency for the school, the enterprise's beside it.
- `/coordinator/practice-upload` (upload_pages.py): a CSV of practice entries, checked whole, stored whole or not.

Teachers and coordinators of the school use them, as the API lets both countersign, send back and assess.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from services.common.errors import DomainError, NotFound, ReadModelBehind
from services.common.identity import Actor, Role
from services.training import assessment_pages, upload_pages
from services.training.api import application
from services.training.pages import _entry_facts, _problem, described
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import await_read_model, signed_token
from toolkit.http.pages import Names, page_number, signed_in_as, written
from toolkit.http.paging import page_of

pages = Blueprint("training_school_pages", __name__, template_folder="templates")

SCHOOL_STAFF = (Role.TEACHER, Role.COORDINATOR)
PAGE_SIZE = 50
"""Entries shown on one page of the queue."""
MAX_REASON = 2000


def people_names() -> Any:
    """A person's name by id, looked up in the identity context once per request (their id if unknown)."""
    seen: dict[str, str] = {}

    def name(person_id: str | None) -> str:
        if not person_id:
            return ""
        if person_id not in seen:
            try:
                seen[person_id] = str(deployment().app("identity").get_person(person_id).name)
            except (DomainError, ValueError):
                seen[person_id] = person_id
        return seen[person_id]

    return name


def shows(token: str) -> bool:
    """Wait (bounded) until the progress read model shows the writes of `token` (a signed wait token)."""
    try:
        await_read_model(deployment().view("progress"), {"wait_for": token, "wait_timeout": 5.0})
    except ReadModelBehind:
        return False
    return True


# -- /teacher/queue ---------------------------------------------------------------------------------
def _queue_page(actor: Actor, status: int = 200, results: list[Any] | None = None,
                errors: dict[str, Any] | None = None, form: dict[str, Any] | None = None,
                up_to_date: bool = True) -> Any:
    everything = deployment().view("progress").countersignature_queue(actor.school_id or "-")
    pager = page_of(page_number(request.values.get("page")), len(everything), PAGE_SIZE)
    queue = described(everything[(pager["page"] - 1) * PAGE_SIZE:pager["page"] * PAGE_SIZE])
    names, person = Names(), people_names()
    for entry in queue:
        entry.update(name=names.student_name(entry["student_id"]), centre=names.name_of("centre", entry["centre_id"]),
                     day=date.fromisoformat(entry["day"]),
                     signed_by=person(entry["last_actor"]) if entry["last_event"] == "signed" else "",
                     signed_on=_day_of(entry["updated_at"]))
    return render_template("training/teacher_queue.html", queue=queue, pager=pager, results=results or [],
                           errors=errors or {}, form=form or {"entries": [], "reason": ""},
                           up_to_date=up_to_date), status


def _day_of(moment: str | None) -> date | None:
    try:
        return date.fromisoformat((moment or "")[:10])
    except ValueError:
        return None


def _results_of(items: list[str], done: str, names: Names) -> list[dict[str, Any]]:
    found = []
    for item in items:
        student_id, _, entry_id = item.partition(":")
        facts = _entry_facts(student_id, entry_id)
        found.append({"name": names.student_name(student_id) if facts else item, "entry": facts, done: True})
    return found


@pages.get("/teacher/queue")
def teacher_queue() -> Any:
    actor = signed_in_as(*SCHOOL_STAFF)
    up_to_date = written(deployment().view("progress"))
    names = Names()
    results = (_results_of(request.args.getlist("countersigned")[:PAGE_SIZE], "countersigned", names)
               + _results_of(request.args.getlist("rejected")[:PAGE_SIZE], "rejected", names))
    return _queue_page(actor, results=results, up_to_date=up_to_date)


@pages.post("/teacher/queue")
def act_on_queue() -> Any:
    actor = signed_in_as(*SCHOOL_STAFF)
    chosen = list(dict.fromkeys(request.form.getlist("entries")))[:PAGE_SIZE]
    action, reason = request.form.get("action", "countersign"), request.form.get("reason", "").strip()
    form = {"entries": chosen, "reason": reason}
    errors: dict[str, Any] = {}
    if not chosen:
        errors["entries"] = gettext("Choose the entries to countersign or send back.")
    if action == "reject" and (not reason or len(reason) > MAX_REASON):
        errors["reason"] = gettext("Reason: say why the entries go back to the mentor (at most %(n)s characters).",
                                   n=MAX_REASON)
    if action not in ("countersign", "reject"):
        errors["entries"] = gettext("Choose what to do with the entries.")
    if errors:
        return _queue_page(actor, 422, errors=errors, form=form)
    names = Names()
    results, tokens, refused = [], [], []
    for item in chosen:
        student_id, _, entry_id = item.partition(":")
        facts = _entry_facts(student_id, entry_id)
        name = names.student_name(student_id) if facts else item
        try:
            student = UUID(student_id)
            if action == "countersign":
                done = application().countersign_practice(command_context(), student, entry_id)
            else:
                done = application().reject_practice(command_context(), student, entry_id, reason=reason)
        except (DomainError, ValueError) as error:
            if isinstance(error, ValueError):
                error = NotFound(f"no entry {item}")
            refused.append(item)
            results.append({"name": name, "entry": facts, "action": action, "problem": _problem(error)})
            continue
        tokens.append(done.token)
        results.append({"name": name, "entry": facts, "countersigned" if action == "countersign" else "rejected": True})
    token = signed_token(",".join(tokens)) if tokens else ""
    if not refused:
        done_items = "".join(f"&{'countersigned' if action == 'countersign' else 'rejected'}={i}" for i in chosen)
        return redirect(f"/teacher/queue?wait_for={token}{done_items}&page={page_number(request.form.get('page'))}",
                        303)
    up_to_date = shows(token) if token else True  # the queue without the entries just done
    form["entries"] = [i for i in chosen if i in refused]
    return _queue_page(actor, 409, results=results, form=form, up_to_date=up_to_date)


# -- the other pages of the school's side (their own modules) ---------------------------------------
pages.add_url_rule("/teacher/assessments", view_func=assessment_pages.assessments, methods=["GET"])
pages.add_url_rule("/teacher/assessments", view_func=assessment_pages.assess, methods=["POST"])
pages.add_url_rule("/coordinator/practice-upload", view_func=upload_pages.upload_form, methods=["GET"])
pages.add_url_rule("/coordinator/practice-upload", view_func=upload_pages.upload, methods=["POST"])
pages.add_url_rule("/coordinator/practice-upload/template.csv", view_func=upload_pages.template, methods=["GET"])

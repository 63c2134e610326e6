"""Competency catalogues (`/admin/catalogues`): per major, the competencies trained, their target hours and scales,
each change with its effective date, its reason and who made it.

- `/admin/catalogues`: the majors' catalogues; open one for a new major with its first competency.
- `/admin/catalogues/<major>`: the competencies in force on a day (`?on=`, default today) and every change; add a
  competency, revise a target (reason and effective date), retire a competency (reason and effective date); the
  change requests, pending and decided.

Access mirrors the API's: anyone signed in may read a catalogue (`GET /api/v1/competency-catalogues/<major>`). A
catalogue is its administrators' (every school of the major trains by it): they change it directly and approve or
reject the change requests (`access.require_catalogue_owner`); a coordinator's same forms file change requests, with
a reason (`request_catalogue_change`), through the same commands as the API. The reasons are kept with the
catalogue's events (not on the aggregate), so the history is read from its event stream.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from eventsourcing.utils import get_topic
from flask import Blueprint, redirect, render_template, request
from flask_babel import format_date, gettext

from events.training import (
    CatalogueChangeApproved,
    CompetencyCatalogueOpened,
    CompetencyDefined,
    CompetencyRetired,
    CompetencyTargetRevised,
)
from services.common.errors import DomainError, NotAllowed, NotFound, RuleViolated
from services.common.identity import Role
from services.common.scales import SCALES
from services.training.api import application
from services.training.domain import catalogue_id
from services.training.school_pages import people_names
from toolkit.http.context import command_context, deployment
from toolkit.http.pages import signed_in_as

pages = Blueprint("training_catalogue_pages", __name__, template_folder="templates")

EDITORS = (Role.ADMIN, Role.COORDINATOR)
"""Administrators change a catalogue; coordinators request changes."""
FIELD_OF_RULE = {"assessment-scale": "scale", "target-hours": "target_hours", "competency-exists": "code",
                 "competency-retired": "effective_from", "effective-date-order": "effective_from"}


def _majors() -> list[dict[str, Any]]:
    """Every major with a catalogue (from the catalogues' opening events) and how many competencies it trains today."""
    training, topic, start = application(), get_topic(CompetencyCatalogueOpened), 1
    majors: set[str] = set()
    size = training.notification_log.section_size
    while True:
        found = training.notification_log.select(start, size, topics=[topic])
        majors.update(training.mapper.to_domain_event(n).major for n in found)  # type: ignore[attr-defined]
        if len(found) < size:
            break
        start = found[-1].id + 1
    today = deployment().today()
    return [{"major": m, "in_force": len(training.get_catalogue(m).in_force(today))} for m in sorted(majors)]


def _history(major: str, catalogue: Any) -> list[dict[str, Any]]:
    """Every change of the major's catalogue with its effective date, reason and who made it (and who requested it,
    for an approved request), by effective date."""
    person, changes, requested_by = people_names(), [], None
    for event in application().events.get(catalogue_id(major)):
        if isinstance(event, CatalogueChangeApproved):  # the change it approved follows it
            requested_by = person(catalogue.requests[event.request_id].requested_by)
        if not isinstance(event, (CompetencyDefined, CompetencyTargetRevised, CompetencyRetired)):
            continue
        kind = {CompetencyDefined: "defined", CompetencyTargetRevised: "revised"}.get(type(event), "retired")
        changes.append({"kind": kind, "code": event.code, "effective_from": event.effective_from,
                        "title": getattr(event, "title", None), "target_hours": getattr(event, "target_hours", None),
                        "scale": getattr(event, "scale", None), "reason": event.meta.reason,
                        "by": person(event.meta.subject), "requested_by": requested_by,
                        "recorded_on": event.timestamp.date()})
        requested_by = None
    return sorted(changes, key=lambda c: (c["effective_from"], c["code"]))


def _requests(catalogue: Any) -> list[dict[str, Any]]:
    """The catalogue's change requests, pending first, then the latest decided first."""
    person = people_names()
    rows = [{**vars(r), "by": person(r.requested_by), "decider": person(r.decided_by) if r.decided_by else None}
            for r in catalogue.requests.values()]
    pending = [r for r in rows if r["status"] == "pending"]
    return pending + [r for r in reversed(rows) if r["status"] != "pending"]


def _competencies(catalogue: Any, on: date) -> list[dict[str, Any]]:
    """Every competency the catalogue ever had: as on `on` (None before it begins or once retired) and latest."""
    rows = []
    for code, changes in catalogue.changes.items():
        current = [c for c in changes if c.effective_from <= on]
        in_force = current[-1].competency if current else None
        later = [c for c in changes if c.effective_from > on]
        rows.append({"code": code, "latest": catalogue.latest(code), "in_force": in_force,
                     "retired": changes[-1].competency is None, "last_change": changes[-1].effective_from,
                     "next_change": later[0] if later else None})
    return rows


def _detail(major: str, status: int = 200, form: dict[str, Any] | None = None,
            errors: dict[str, list[str]] | None = None) -> Any:
    actor = signed_in_as(*Role)
    try:
        on = date.fromisoformat(request.args.get("on", "")) if request.args.get("on") else deployment().today()
    except ValueError:
        on = deployment().today()
    try:
        catalogue = application().get_catalogue(major)
    except NotFound:
        return render_template("training/catalogue.html", major=major, missing=True, may_edit=False,
                               scales=SCALES, form={}, errors={}), 404
    requesting = actor.role is Role.COORDINATOR
    return render_template("training/catalogue.html", major=major, missing=False, on=on,
                           competencies=_competencies(catalogue, on), history=_history(major, catalogue),
                           requests=_requests(catalogue) if actor.role in (*EDITORS, Role.AUDITOR) else [],
                           may_edit=actor.role in EDITORS, requesting=requesting, may_decide=actor.role is Role.ADMIN,
                           scales=SCALES, form=form or {}, errors=errors or {},
                           done=request.args.get("done"), code=request.args.get("code"),
                           today=deployment().today()), status


@pages.get("/admin/catalogues")
def catalogues(status: int = 200, form: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None
               ) -> Any:
    actor = signed_in_as(*Role)
    return render_template("training/catalogues.html", majors=_majors(), may_edit=actor.role in EDITORS,
                           requesting=actor.role is Role.COORDINATOR, scales=SCALES, form=form or {},
                           errors=errors or {}, today=deployment().today()), status


@pages.get("/admin/catalogues/<string:major>")
def catalogue(major: str) -> Any:
    return _detail(major)


# -- changes ----------------------------------------------------------------------------------------
def _parse(form: dict[str, str], fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's fields as the API's request schemas take them, or a refusal per field in words."""
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    checks = {
        "major": (lambda v: v if v and len(v) <= 100 and "/" not in v else None,
                  gettext("Major: name the major (at most 100 characters, no '/').")),
        "code": (lambda v: v if v and len(v) <= 64 else None, gettext("Code: a short code such as MEC-04.")),
        "title": (lambda v: v if v and len(v) <= 300 else None, gettext("Title: 1 to 300 characters.")),
        "target_hours": (lambda v: int(v) if v.isdigit() and 1 <= int(v) <= 10000 else None,
                         gettext("Target hours: a whole number from 1 to 10000.")),
        "scale": (lambda v: v if v in SCALES else None, gettext("Scale: choose one of the scales.")),
        "effective_from": (lambda v: _day(v), gettext("Effective from: a day as YYYY-MM-DD.")),
        "reason": (lambda v: v if v and len(v) <= 2000 else None,
                   gettext("Reason: say why (at most 2000 characters).")),
    }
    for field in fields:
        check, refusal = checks[field]
        value = check(form.get(field, ""))
        if value is None:
            errors[field] = [refusal]
        else:
            parsed[field] = value
    return parsed, errors


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if date(1900, 1, 1) <= day <= date(2199, 12, 31) else None


def _shown(day: Any) -> str:
    """A day from a refusal's details in the page's language (as given, if it is not a day)."""
    try:
        return str(format_date(date.fromisoformat(str(day))))
    except ValueError:
        return str(day or "")


def _refusal(error: DomainError) -> tuple[str, str]:
    """The field a refusal concerns, and the refusal in words."""
    rule = error.rule if isinstance(error, RuleViolated) else ""
    words = {
        "assessment-scale": gettext("Scale: choose one of the scales."),
        "target-hours": gettext("Target hours: a whole number from 1 to 10000."),
        "competency-exists": gettext("Code: the catalogue already has this competency; revise its target instead."),
        "competency-retired": gettext("This competency is retired: it changes no more."),
        "effective-date-order": gettext(
            "Effective from: this competency last changed with effect from %(day)s; a new change takes effect after "
            "that.", day=_shown(error.details.get("last_effective_from"))),
    }
    if isinstance(error, NotAllowed):
        return "form", gettext("Not yours to do: the administrators keep the catalogues; coordinators request "
                               "changes.")
    if rule == "request-decided":
        return "form", gettext("This request was decided already.")
    if isinstance(error, NotFound):
        return "code", gettext("Not found: the catalogue has no such competency.")
    return FIELD_OF_RULE.get(rule, "form"), words.get(rule, gettext(
        "Refused: someone changed this catalogue meanwhile, or the rules do not allow it. Reload and try again."))


def _command(major: str, which: str, fields: tuple[str, ...], run: Any, done: str | None = None) -> Any:
    """Parse the form, run the command, and go back to the catalogue (or the list, for a new major) with the outcome
    (`done`, else the form's kind), or show the form again with each refusal next to its field."""
    signed_in_as(*EDITORS)
    form = {key: request.form.get(key, "").strip() for key in fields}
    form["which"] = which
    parsed, errors = _parse(form, fields)
    if not errors:
        try:
            run(parsed)
        except DomainError as error:
            field, words = _refusal(error)
            errors = {field: [words]}
            status = 403 if isinstance(error, NotAllowed) else 404 if isinstance(error, NotFound) else 409
            return _back(major, which, form, errors, status)
        target, code = parsed.get("major", major), parsed.get("code") or which.partition(":")[2]
        return redirect(f"/admin/catalogues/{quote(target, safe='')}?"
                        + urlencode({"done": done or which.split(":")[0], "code": code}), 303)
    return _back(major, which, form, errors, 422)


def _back(major: str, which: str, form: dict[str, Any], errors: dict[str, list[str]], status: int) -> Any:
    if which == "open":
        return catalogues(status, form, errors)
    return _detail(major, status, form, errors)


ADD = ("code", "title", "target_hours", "scale", "effective_from")


def _requesting() -> bool:
    """A coordinator's forms file change requests (with a reason); an administrator's change the catalogue."""
    return signed_in_as(*EDITORS).role is Role.COORDINATOR


def _request(major: str, which: str, change: str, fields: tuple[str, ...], code: str | None = None) -> Any:
    """A coordinator's form: the same fields, filed as a change request."""
    def run(parsed: dict[str, Any]) -> Any:
        given = {"code": code, **parsed}
        return application().request_catalogue_change(command_context(), given.pop("major", major), change=change,
                                                      **given)

    return _command(major, which, fields, run, done="requested")


@pages.post("/admin/catalogues")
def open_catalogue() -> Any:
    if _requesting():
        return _request("", "open", "define", ("major", *ADD, "reason"))
    return _command("", "open", ("major", *ADD), lambda p: application().define_competency(
        command_context(), p["major"], **{k: p[k] for k in ADD}))


@pages.post("/admin/catalogues/<string:major>/competencies")
def add_competency(major: str) -> Any:
    if _requesting():
        return _request(major, "added", "define", (*ADD, "reason"))
    return _command(major, "added", ADD, lambda p: application().define_competency(command_context(), major, **p))


@pages.post("/admin/catalogues/<string:major>/competencies/<string:code>/target")
def revise_target(major: str, code: str) -> Any:
    fields = ("target_hours", "effective_from", "reason")
    if _requesting():
        return _request(major, f"revised:{code}", "revise-target", fields, code)
    return _command(major, f"revised:{code}", fields,
                    lambda p: application().revise_competency_target(command_context(), major, code, **p))


@pages.post("/admin/catalogues/<string:major>/competencies/<string:code>/retirement")
def retire(major: str, code: str) -> Any:
    if _requesting():
        return _request(major, f"retired:{code}", "retire", ("effective_from", "reason"), code)
    return _command(major, f"retired:{code}", ("effective_from", "reason"),
                    lambda p: application().retire_competency(command_context(), major, code, **p))


# -- deciding on change requests (administrators) -----------------------------------------------------
@pages.post("/admin/catalogues/<string:major>/requests/<uuid:request_id>/approval")
def approve_request(major: str, request_id: Any) -> Any:
    signed_in_as(Role.ADMIN)
    return _command(major, f"approved:{request_id}", (), lambda p: application().approve_catalogue_change(
        command_context(), major, str(request_id)))


@pages.post("/admin/catalogues/<string:major>/requests/<uuid:request_id>/rejection")
def reject_request(major: str, request_id: Any) -> Any:
    signed_in_as(Role.ADMIN)
    return _command(major, f"rejected:{request_id}", ("reason",), lambda p: application().reject_catalogue_change(
        command_context(), major, str(request_id), **p))

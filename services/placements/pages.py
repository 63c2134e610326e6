"""Web pages of the placements part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

`/student/placements`: a student's placements (the placement register read model, names looked up in the
placements application at query time) and what waits for their confirmation, confirmed with a button (the same
`confirm_placement` command as the API). For a minor whose rule set asks for it, the guardian confirms: the student
is told so and may have a one-time code mailed to the enrolled guardian (as the API's guardian-code route does); a
guardian signed in with their own account sees the same page for their student and confirms as guardian.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import format_datetime, gettext

from services.common.errors import (
    DomainError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    ReadModelBehind,
    RuleViolated,
    TooManyAttempts,
    VersionConflict,
)
from services.common.identity import STUDENT_SIDE, Actor, Role
from services.common.rules import age_on, rule_set_in_force
from services.common.scope import Scope
from toolkit.http.context import act_as, command_context, correlation_id, current_actor, deployment
from toolkit.http.freshness import await_read_model, signed_token
from toolkit.http.read_recording import record_read

pages = Blueprint("placements_pages", __name__, template_folder="templates")


def status_in_words(status: str) -> str:
    """A placement's status in words."""
    return {
        "proposed": gettext("waiting for approvals"), "agreed": gettext("agreed, not started yet"),
        "active": gettext("running"), "paused": gettext("paused"),
        "transferred": gettext("moved to another centre"), "stopped": gettext("ended early"),
        "completed": gettext("completed"), "withdrawn": gettext("withdrawn"),
    }.get(status, status)


def _refusals(age: int) -> dict[str, str]:
    """What a rule that refuses a confirmation, or a guardian's code, means, in the page's language."""
    return {
        "guardian-consent-required": gettext(
            "You are under %(age)s on the start date: your guardian confirms this placement.", age=age),
        "not-awaiting-confirmation": gettext("This placement waits for no confirmation (any more)."),
        "already-confirmed": gettext("This placement is already confirmed."),
        "guardian-mismatch": gettext("Only the guardian the school enrolled for the student confirms."),
        "guardian-contact-not-mailable": gettext(
            "The guardian contact the school enrolled is not an email address, so no code can be mailed: ask the "
            "school to invite your guardian to an account."),
        "too-many-guardian-codes": gettext(
            "Enough codes were sent for this placement already: ask the school to invite your guardian to an "
            "account."),
        "guardian-code-used": gettext("Your guardian already confirmed this placement with a code."),
    }


def _student_side() -> Actor:
    """The student, or a guardian of theirs; anyone else is refused (the shell shows it in words)."""
    actor = current_actor()
    if actor.role not in STUDENT_SIDE or not actor.student_id:
        raise NotAllowed(gettext("These pages are for students and their guardians."), role=actor.role.value)
    return actor


def _placements() -> Any:
    return deployment().app("placements")


def _register() -> Any:
    return deployment().view("placement_register")


def refusal_in_words(error: DomainError, adult_age: int = 18) -> str:
    """A refusal as a sentence for the person in front of the page, never a code."""
    if isinstance(error, RuleViolated) and error.rule in _refusals(adult_age):
        return _refusals(adult_age)[error.rule]
    if isinstance(error, VersionConflict):
        return gettext("Someone changed this placement meanwhile: look at it again, then confirm once more.")
    if isinstance(error, NotFound):
        return gettext("This placement does not exist (any more).")
    if isinstance(error, NotAllowed):
        return gettext("This is not yours to confirm.")
    return gettext("The placement rules refuse this now; ask your school's coordinator.")


def _masked(email: str) -> str:
    """Where a guardian's code went, as identity shows it: the first letter and the domain."""
    name, _, domain = email.strip().partition("@")
    return f"{name[:1]}***@{domain}"


class Names:
    """Names of centres, enterprises and mentors, looked up in the placements application once per page."""

    def __init__(self) -> None:
        self._centres: dict[str, Any] = {}
        self._enterprises: dict[str, str] = {}

    def centre(self, centre_id: str) -> Any:
        if centre_id not in self._centres:
            try:
                self._centres[centre_id] = _placements().get_centre(UUID(centre_id))
            except (NotFound, ValueError):
                self._centres[centre_id] = None
        return self._centres[centre_id]

    def enterprise(self, enterprise_id: str) -> str:
        if enterprise_id not in self._enterprises:
            try:
                self._enterprises[enterprise_id] = _placements().get_enterprise(UUID(enterprise_id)).name
            except (NotFound, ValueError):
                self._enterprises[enterprise_id] = gettext("an enterprise")
        return self._enterprises[enterprise_id]


def _card(p: dict[str, Any], names: Names, student: Any, actor: Actor) -> dict[str, Any]:
    """One placement as the page shows it: names, period, status in words, who confirms."""
    centre = names.centre(p["centre_id"])
    terms = p["pending_terms"] or p["terms"]
    start = date.fromisoformat(terms["start"])
    rules = rule_set_in_force(_placements().get_school(UUID(student.school_id)).rule_set, start)
    by_guardian = rules.guardian_confirms_for_minors and age_on(student.date_of_birth, start) < rules.adult_age
    awaits = p["status"] == "proposed" and not p["approvals"]["student"]
    mentor = centre.mentors.get(p["approvals"]["mentor_id"]) if centre and p["approvals"]["mentor_id"] else None
    return {
        "id": p["id"], "centre": centre.name if centre else gettext("a training centre"),
        "address": centre.address if centre else None, "enterprise": names.enterprise(p["enterprise_id"]),
        "post": terms["post"], "weekly_hours": terms["weekly_hours"], "start": start,
        "end": date.fromisoformat(p["ended_on"] or terms["planned_end"]), "status": p["status"],
        "status_text": status_in_words(p["status"]), "mentor": mentor,
        "school_approved": p["approvals"]["school"], "enterprise_approved": p["approvals"]["enterprise"],
        "confirmed_by": p["approvals"]["confirmed_by"], "awaits": awaits, "by_guardian": by_guardian,
        "adult_age": rules.adult_age,
        "may_confirm": awaits and (actor.role is Role.GUARDIAN or not by_guardian),
        "may_ask_code": awaits and by_guardian and actor.role is Role.STUDENT,
    }


def _page(actor: Actor, status: int = 200, refusals: dict[str, str] | None = None) -> Any:
    behind = False
    try:
        await_read_model(_register(), {"wait_for": request.args.get("wait_for"), "wait_timeout": 5.0})
    except ReadModelBehind:
        behind = True
    student = _placements().get_student(command_context(), UUID(actor.student_id))
    rows = _register().placements_of_student(Scope.of(actor), str(actor.student_id))
    if rows:
        record_read(str(actor.student_id), "placements")
    names = Names()
    cards = [_card(p, names, student, actor) for p in reversed(rows)]
    sent = request.args.get("sent")
    code_sent = None
    if sent and student.guardian_contact and any(c["id"] == sent for c in cards):
        until = _parsed(request.args.get("until"))
        code_sent = {"placement_id": sent, "to": _masked(student.guardian_contact),
                     "until": format_datetime(until, "short") if until else None}
    return render_template(
        "placements/student_placements.html", actor=actor, student=student, guardian=actor.role is Role.GUARDIAN,
        waiting=[c for c in cards if c["awaits"]], others=[c for c in cards if not c["awaits"]],
        refusals=refusals or {}, behind=behind,
        stray_refusals=[m for k, m in (refusals or {}).items() if all(c["id"] != k for c in cards)],
        confirmed=request.args.get("confirmed"), code_sent=code_sent,
    ), status


def _parsed(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@pages.get("/student/placements")
def student_placements() -> Any:
    """My placements and what waits for my confirmation (a guardian: their student's)."""
    return _page(_student_side())


@pages.post("/student/placements/<uuid:placement_id>/confirmation")
def confirm(placement_id: UUID) -> Any:
    """Confirm a placement: the student as themself, a guardian as the guardian (the command decides which)."""
    actor = _student_side()
    try:
        result = _placements().confirm_placement(command_context(), UUID(actor.student_id), str(placement_id))
    except DomainError as error:
        age = error.details.get("adult_age", 18)
        if isinstance(error, RuleViolated) and error.rule == "guardian-consent-required":
            age = _adult_age(actor, str(placement_id))
        return _page(actor, 409, {str(placement_id): refusal_in_words(error, age)})
    return redirect(f"/student/placements?confirmed={placement_id}&wait_for={signed_token(result.token)}", 303)


@pages.post("/student/placements/<uuid:placement_id>/guardian-code")
def guardian_code(placement_id: UUID) -> Any:
    """Mail the enrolled guardian a one-time code for this placement (the student asks), as the API route does."""
    actor = _student_side()
    ctx = command_context()
    try:
        guardian = _placements().guardian_to_ask(ctx, UUID(actor.student_id), str(placement_id))
        _, expires_at = deployment().sessions().send_guardian_code(
            ctx, student_id=guardian.student_id, placement_id=guardian.placement_id, guardian_email=guardian.email,
            guardian_name=guardian.guardian_name, student_name=guardian.student_name)
    except DomainError as error:
        return _page(actor, 409, {str(placement_id): refusal_in_words(error)})
    return redirect("/student/placements?" + urlencode({"sent": str(placement_id), "until": expires_at.isoformat()}),
                    303)


def _adult_age(actor: Actor, placement_id: str) -> int:
    student = _placements().get_student(command_context(), UUID(actor.student_id))
    school = _placements().get_school(UUID(student.school_id))
    return rule_set_in_force(school.rule_set, student.placement(placement_id).terms.start).adult_age


# -- a guardian without an account: the mailed code --------------------------------------------------------
@pages.get("/students/<uuid:student_id>/placements/<uuid:placement_id>/guardian-confirmation")
def guardian_confirmation_form(student_id: UUID, placement_id: UUID) -> Any:
    """The page the guardian's mail links to: type the code to confirm (no account, no sign-in: the code is the
    credential)."""
    return render_template("placements/guardian_confirmation.html", student_id=student_id,
                           placement_id=placement_id)


@pages.post("/students/<uuid:student_id>/placements/<uuid:placement_id>/guardian-confirmation")
def guardian_confirmation(student_id: UUID, placement_id: UUID) -> Any:
    """Confirm with the code, as the API route does (five wrong codes void it)."""
    code = "".join(request.form.get("code", "").split())
    page = "placements/guardian_confirmation.html"
    if not (code.isascii() and code.isdigit() and len(code) == 8):
        return render_template(page, student_id=student_id, placement_id=placement_id, code=code[:20],
                               problem=gettext("The code is the 8 digits in the mail.")), 422
    credentials = deployment().sessions()
    try:
        actor = credentials.actor_of_guardian_code(str(student_id), str(placement_id), code, correlation_id())
        act_as(actor)
        _placements().confirm_placement(command_context(), student_id, str(placement_id))
        credentials.use_guardian_code(str(student_id), str(placement_id), correlation_id())
    except (NotSignedIn, TooManyAttempts) as error:
        return render_template(page, student_id=student_id, placement_id=placement_id, problem=error.message), 401
    except DomainError as error:
        return render_template(page, student_id=student_id, placement_id=placement_id,
                               problem=refusal_in_words(error)), 409
    return render_template(page, student_id=student_id, placement_id=placement_id, done=True)

"""People, their grants and invitations, kept by administrators (`/admin/people`).

- `/admin/people`: everyone with an account and the roles they hold, in words (found by name or email, a page at
  a time), and the invitations to join still waiting, with their expiry (a new link mailed in one click);
- `/admin/people/invite`: invite someone, or give someone who has an account another role: the role's school,
  enterprise or student chosen from lists (a student found by name);
- `/admin/people/<id>`: a person's roles, each withdrawn with a reason, and their account's history.

For administrators only (the menu shows them to admins): they may give and withdraw any role. The commands are the
API's (`IdentityApplication.invite`, `withdraw_grant`) with the same checks; identity reads its own store, so the
next page shows the write without waiting. The invitation's mail leaves through the outbox, as from the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext, lazy_gettext

from services.common.errors import DomainError, InvalidInput, NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import SCOPE_OF_ROLE, Role
from services.identity.api import application, describe
from toolkit.http.context import command_context
from toolkit.http.pages import page_number, signed_in_as
from toolkit.http.paging import page_of

pages = Blueprint("identity_admin_pages", __name__, template_folder="templates")

PAGE_SIZE = 20
HISTORY_PAGE_SIZE = 50
STUDENTS_LISTED = 50
MAX_REASON = 2000
INVITE_FIELDS = ("name", "email", "phone", "role", "school", "enterprise", "student", "student_q")


def _admin() -> None:
    signed_in_as(Role.ADMIN)


def _described(person_id: str, grants: Any) -> list[dict[str, Any]]:
    return [describe(g, person_id) for g in grants]


# -- /admin/people --------------------------------------------------------------------------------
@pages.get("/admin/people")
def people() -> Any:
    _admin()
    words = request.args.get("q", "")[:200].strip()
    app = application()
    found = app.people(words, page_number(request.args.get("page")), PAGE_SIZE)
    pager = page_of(page_number(request.args.get("page")), found.total, PAGE_SIZE)
    if found.people == [] and found.total:
        found = app.people(words, pager["page"], PAGE_SIZE)
    rows = [{"person": p, "grants": _described(p.person_id, p.grants)} for p in found.people]
    waiting = [{"invitation": i, "person": p, "grants": _described(p.person_id, p.grants),
                "expired": i.expires_at <= app.now()} for i, p in app.pending_invitations()]
    return render_template("identity/admin_people.html", rows=rows, pager=pager, words=words, waiting=waiting,
                           extra="&" + urlencode({"q": words}) if words else "",
                           renewed=request.args.get("renewed", ""))


@pages.post("/admin/people/<string:person_id>/invitation")
def renew_invitation(person_id: str) -> Any:
    """Mail a new link to join to someone who has not set a password yet (the old link may have expired)."""
    _admin()
    app = application()
    person = _person_or_404(person_id)
    grant = next(iter(person.grants.values()), None)
    if person.password_hash is not None or grant is None or not person.email:
        abort(409, gettext("%(name)s has already joined, or holds no role to invite them to.", name=person.name))
    app.invite(command_context(), name=person.name, email=person.email, role=grant.role, school_id=grant.school_id,
               enterprise_id=grant.enterprise_id, student_id=grant.student_id)
    return redirect("/admin/people?" + urlencode({"renewed": person.name}), 303)


# -- /admin/people/invite -------------------------------------------------------------------------
def _invite_page(form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200) -> Any:
    directory = application().directory
    students = directory.students_named(form.get("student_q", ""), STUDENTS_LISTED)
    if form.get("student") and all(s.id != form["student"] for s in students):
        chosen = directory.student(form["student"])
        students = [chosen, *students] if chosen else students
    roles = [r.value for r in Role]
    return render_template("identity/admin_invite.html", form=form, errors=errors or {}, roles=roles,
                           scopes={r.value: SCOPE_OF_ROLE.get(r, "") for r in Role},
                           schools=directory.schools(), enterprises=directory.enterprises(),
                           students=students), status


@pages.get("/admin/people/invite")
def invite_form() -> Any:
    _admin()
    form = {k: request.args.get(k, "")[:300] for k in INVITE_FIELDS}
    return _invite_page(form)


def _check_invitation(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form["name"] or len(form["name"]) > 200:
        errors["name"] = gettext("Give the person's name (at most 200 characters).")
    if "@" not in form["email"] or len(form["email"]) > 254 or " " in form["email"]:
        errors["email"] = gettext("Give an email address, such as name@school.example: the invitation is mailed.")
    if len(form["phone"]) > 40:
        errors["phone"] = gettext("A phone number has at most 40 characters.")
    if form["role"] not in {r.value for r in Role}:
        errors["role"] = gettext("Choose a role from the list.")
        return errors
    needed = SCOPE_OF_ROLE.get(Role(form["role"]))
    if needed:
        try:
            UUID(form[needed])
        except ValueError:
            errors[needed] = {"school": gettext("Choose the school from the list."),
                              "enterprise": gettext("Choose the enterprise from the list."),
                              "student": gettext("Find the student by name and choose them from the list.")}[needed]
    return errors


def _field_of(error: DomainError) -> str:
    field = str(error.details.get("field", ""))
    if isinstance(error, NotAllowed):
        return "role"
    if isinstance(error, RuleViolated | VersionConflict):
        return "email"
    return {"school_id": "school", "enterprise_id": "enterprise", "student_id": "student"}.get(field, field or "email")


@pages.post("/admin/people/invite")
def invite() -> Any:
    _admin()
    form = {k: request.form.get(k, "").strip()[:300] for k in INVITE_FIELDS}
    if request.form.get("action") == "find":  # narrow the list of students; nothing is sent
        return _invite_page(form)
    errors = _check_invitation(form)
    if errors:
        return _invite_page(form, errors, 422)
    needed = SCOPE_OF_ROLE.get(Role(form["role"]))
    scope = {f"{needed}_id": form[needed]} if needed else {}
    try:
        invited = application().invite(command_context(), name=form["name"], email=form["email"],
                                       phone=form["phone"] or None, role=Role(form["role"]), **scope)
    except (InvalidInput, NotFound, NotAllowed, RuleViolated, VersionConflict) as error:
        field = _field_of(error)
        status = {NotAllowed: 403, NotFound: 404, RuleViolated: 409, VersionConflict: 409}.get(type(error), 422)
        return _invite_page(form, {field if field in INVITE_FIELDS else "email": error.message}, status)
    done = "mailed" if invited.mailed else "given"
    return redirect(f"/admin/people/{invited.person_id}?{urlencode({'done': done})}", 303)


# -- /admin/people/<id> -----------------------------------------------------------------------------
def _person_or_404(person_id: str) -> Any:
    try:
        return application().get_person(str(UUID(person_id)))
    except ValueError:
        raise NotFound(gettext("There is no such person."), id=person_id) from None


EVENT_WORDS = {
    "PersonAdded": lazy_gettext("Account added"), "GrantGiven": lazy_gettext("Role given"),
    "GrantWithdrawn": lazy_gettext("Role withdrawn"), "PasswordSet": lazy_gettext("Password set"),
    "SignedIn": lazy_gettext("Signed in"), "SignInFailed": lazy_gettext("Sign-in refused"),
    "AccountLocked": lazy_gettext("Account locked"), "SessionRefreshed": lazy_gettext("Session renewed"),
    "SignedOut": lazy_gettext("Signed out"), "SignedOutEverywhere": lazy_gettext("Signed out everywhere"),
    "CalendarLinkCreated": lazy_gettext("Calendar link made"),
    "CalendarLinkRevoked": lazy_gettext("Calendar link revoked"),
}


def _history(person_id: str, page: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The account's history, newest first, one page; the roles named in words, who did it by name."""
    app = application()
    events = list(reversed(app.account_history(person_id)))
    pager = page_of(page, len(events), HISTORY_PAGE_SIZE)
    shown = events[(pager["page"] - 1) * HISTORY_PAGE_SIZE:pager["page"] * HISTORY_PAGE_SIZE]
    given = {e["details"]["grant_id"]: e["details"] for e in events if e["type"] == "GrantGiven"}
    for event in shown:
        event["what"] = EVENT_WORDS.get(event["type"], event["type"])
        grant = given.get(event["details"].get("grant_id", ""))
        if grant is not None:
            event["grant"] = _grant_in_words(grant)
        event["by"] = _who(event["actor"], person_id)
    return pager, shown


def _grant_in_words(details: dict[str, Any]) -> dict[str, Any]:
    directory = application().directory
    found = {"role": details["role"]}
    for kind, lookup in (("school", directory.school), ("enterprise", directory.enterprise),
                         ("student", directory.student)):
        value = details.get(f"{kind}_id")
        if value:
            named = lookup(value)
            found["scope"] = named.name if named else value
    return found


def _who(subject: str, person_id: str) -> str:
    if subject == person_id:
        return gettext("themself")
    summary = application().people_index().summary(subject)
    return summary.name if summary else subject


def _person_page(person_id: str, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    person = _person_or_404(person_id)
    pager, history = _history(str(person.id), page_number(request.args.get("page")))
    waiting = [i for i, p in application().pending_invitations() if p.person_id == str(person.id)]
    return render_template("identity/admin_person.html", person=person, errors=errors or {}, waiting=waiting,
                           grants=_described(str(person.id), person.grants.values()), history=history,
                           pager=pager, done=request.args.get("done", ""), now=application().now()), status


@pages.get("/admin/people/<string:person_id>")
def person_page(person_id: str) -> Any:
    _admin()
    return _person_page(person_id)


@pages.post("/admin/people/<string:person_id>/grants/<string:grant_id>/withdrawal")
def withdraw(person_id: str, grant_id: str) -> Any:
    _admin()
    person = _person_or_404(person_id)
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON:
        problem = {"reason": reason[:MAX_REASON],
                   "text": gettext("Give the reason for withdrawing this role (at most 2000 characters).")}
        return _person_page(person_id, {grant_id: problem}, 422)
    person.grant(grant_id)  # a grant the person does not hold (withdrawn already): the page says so, 404
    try:
        application().withdraw_grant(command_context(), person.id, grant_id, reason=reason)
    except (NotAllowed, RuleViolated) as error:
        return _person_page(person_id, {grant_id: {"reason": reason, "text": error.message}},
                            403 if isinstance(error, NotAllowed) else 409)
    return redirect(f"/admin/people/{person.id}?{urlencode({'done': 'withdrawn'})}", 303)

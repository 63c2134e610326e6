"""Schools, enterprises and their centres, kept by administrators (`/admin/schools`, `/admin/enterprises`).

- `/admin/schools` (admins): the schools with their students and rule set; register a school. `/admin/schools/<id>`:
  a school's students per cohort and its rule set's versions (a school keeps the rule set it was registered with:
  the domain has no change of it, so the page shows it and changes nothing).
- `/admin/enterprises` (admins): the enterprises with their centres; register an enterprise. An enterprise admin
  lands on their own enterprise's page instead (`enterprise_pages.py`), the only one they may open.

They call the placements application's commands as the API does (same scope checks); refusals are shown next to
the field, in words.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from contracts.http.placements import RegisterEnterpriseRequest, RegisterSchoolRequest
from services.common.errors import DomainError, NotFound
from services.common.identity import Role
from services.common.rules import RULE_SETS
from services.placements import enterprise_pages
from services.placements.form_pages import PAGE_SIZE, blank_to_none, checked, form_values, refusal, roster
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import signed_token
from toolkit.http.pages import page_number, signed_in_as
from toolkit.http.paging import page_of

pages = Blueprint("placements_admin_pages", __name__, template_folder="templates")
enterprise_pages.install(pages)

SCHOOL_FIELDS = ("name", "code", "rule_set")
ENTERPRISE_FIELDS = ("name", "registration_number")


def _placements() -> Any:
    return deployment().app("placements")


# -- schools --------------------------------------------------------------------------------------------
def _schools_page(form: dict[str, str], status: int = 200, errors: dict[str, str] | None = None) -> Any:
    listed = roster()
    counts = Counter(s.school_id for s in listed.students.values())
    schools = sorted(listed.schools.values(), key=lambda s: (s.name, s.id))
    pager = page_of(page_number(request.args.get("page")), len(schools), PAGE_SIZE)
    shown = schools[(pager["page"] - 1) * PAGE_SIZE:pager["page"] * PAGE_SIZE]
    return render_template(
        "placements/admin_schools.html", schools=[(s, counts[s.id]) for s in shown], pager=pager, form=form,
        errors=errors or {}, rule_sets=sorted(RULE_SETS), registered=request.args.get("registered", "")[:40],
    ), status


@pages.get("/admin/schools")
def schools() -> Any:
    signed_in_as(Role.ADMIN)
    return _schools_page({"name": "", "code": "", "rule_set": "default"})


@pages.post("/admin/schools")
def register_school() -> Any:
    signed_in_as(Role.ADMIN)
    form = form_values(SCHOOL_FIELDS)
    values, errors = checked(RegisterSchoolRequest(), form, {
        "name": gettext("Give the school's name (at most 200 characters)."),
        "code": gettext("Give the school's code (at most 32 characters)."),
        "rule_set": gettext("Choose a rule set from the list."),
    })
    if errors:
        return _schools_page(form, 422, errors)
    try:
        result = _placements().register_school(command_context(), **values)
    except DomainError as error:
        field, words = refusal(error)
        return _schools_page(form, 409, {field if field in SCHOOL_FIELDS else "form": words})
    return redirect("/admin/schools?" + urlencode({"registered": values["name"][:40],
                                                   "wait_for": signed_token(result.token)}), 303)


@pages.get("/admin/schools/<uuid:school_id>")
def school(school_id: UUID) -> Any:
    signed_in_as(Role.ADMIN)
    found = roster().schools.get(str(school_id))
    if found is None:
        raise NotFound(gettext("There is no such school."), id=str(school_id))
    students = roster().students_of(str(school_id))
    cohorts = sorted(Counter(s.cohort for s in students).items())
    versions = sorted(RULE_SETS.get(found.rule_set, ()), key=lambda v: v.effective_from)
    return render_template("placements/admin_school.html", school=found, students=len(students), cohorts=cohorts,
                           versions=versions, today=deployment().today())


# -- enterprises ----------------------------------------------------------------------------------------
def _enterprises_page(form: dict[str, str], status: int = 200, errors: dict[str, str] | None = None) -> Any:
    listed = roster()
    centres = Counter(c["enterprise"]["id"] for c in deployment().view("centres").centres_matching(
        page_size=5000).items)
    enterprises = sorted(listed.enterprises.values(), key=lambda e: (e.name, e.id))
    pager = page_of(page_number(request.args.get("page")), len(enterprises), PAGE_SIZE)
    shown = enterprises[(pager["page"] - 1) * PAGE_SIZE:pager["page"] * PAGE_SIZE]
    return render_template(
        "placements/admin_enterprises.html", enterprises=[(e, centres[e.id]) for e in shown], pager=pager,
        form=form, errors=errors or {}, registered=request.args.get("registered", "")[:40],
    ), status


@pages.get("/admin/enterprises")
def enterprises() -> Any:
    actor = signed_in_as(Role.ADMIN, Role.ENTERPRISE_ADMIN)
    if actor.role is Role.ENTERPRISE_ADMIN:
        return enterprise_pages.enterprise_page(UUID(actor.enterprise_id or "0" * 32))
    return _enterprises_page({"name": "", "registration_number": ""})


@pages.post("/admin/enterprises")
def register_enterprise() -> Any:
    signed_in_as(Role.ADMIN)
    form = form_values(ENTERPRISE_FIELDS)
    values, errors = checked(RegisterEnterpriseRequest(), blank_to_none(form, "registration_number"), {
        "name": gettext("Give the enterprise's name (at most 200 characters)."),
        "registration_number": gettext("Give the registration number (at most 64 characters), or leave it blank."),
    })
    if errors:
        return _enterprises_page(form, 422, errors)
    try:
        result = _placements().register_enterprise(command_context(), **values)
    except DomainError as error:
        return _enterprises_page(form, 409, {"form": refusal(error)[1]})
    return redirect(f"/admin/enterprises/{result.id}?" + urlencode({"done": "registered",
                                                                     "wait_for": signed_token(result.token)}), 303)

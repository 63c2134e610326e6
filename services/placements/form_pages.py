"""What the staff's placements pages share: the lists they choose from (schools, enterprises and a school's students:
the roster), their forms checked with the API's own request schemas, and the placement rules' refusals in words next
to the field they concern."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, cast

from flask import request
from flask_babel import format_date, gettext
from marshmallow import Schema, ValidationError

from services.common.errors import DomainError, NotAllowed, NotFound, RuleViolated, VersionConflict
from services.placements.roster import Roster
from toolkit.http.context import deployment

PAGE_SIZE = 50
"""Rows on one page of a list."""


def roster() -> Roster:
    """The deployment's roster of schools, enterprises and students, brought up to date."""
    return cast(Roster, deployment().app("placements").roster())


# -- forms ----------------------------------------------------------------------------------------------
def form_values(fields: tuple[str, ...]) -> dict[str, str]:
    """What was typed in each field, as typed (shown again after a refusal), at most 4000 characters a field."""
    return {f: request.form.get(f, request.args.get(f, ""))[:4000] for f in fields}


def checked(schema: Schema, data: Mapping[str, Any], messages: Mapping[str, str]
            ) -> tuple[dict[str, Any], dict[str, str]]:
    """`data` loaded by the API's request schema: the values, or a refusal in words per field (from `messages`,
    else a general one) — every field refused is named, not only the first kind of problem found."""
    errors = {(k if k in messages else "form"): gettext("Remove the control characters from this field.")
              for k, v in data.items() if isinstance(v, str) and _unprintable(v)}
    try:
        values = schema.load({k: ("" if isinstance(v, str) and _unprintable(v) else v) for k, v in data.items()})
    except ValidationError as error:
        found = error.messages if isinstance(error.messages, dict) else {"form": error.messages}
        for field, problem in found.items():
            name = field if field in messages else "form"
            errors.setdefault(name, messages.get(name) or gettext("Check what was typed: %(problem)s",
                                                                  problem=_flat(problem)))
        return {}, errors
    return ({}, errors) if errors else (values, {})


def _unprintable(text: str) -> bool:
    """Control characters (other than tab and line breaks) and unpaired surrogates, which the API refuses too."""
    return any((ord(c) < 32 and c not in "\t\n\r") or "\ud800" <= c <= "\udfff" for c in text)


def _flat(problem: Any) -> str:
    if isinstance(problem, dict):
        return "; ".join(_flat(p) for p in problem.values())
    if isinstance(problem, list):
        return "; ".join(_flat(p) for p in problem)
    return str(problem)


def numbers(values: dict[str, Any], *fields: str) -> dict[str, Any]:
    """Whole numbers typed in the given fields as numbers (the API's schemas take no numbers as text); anything
    else is left for the schema to refuse."""
    return {k: (int(v) if k in fields and isinstance(v, str) and v.strip().isascii() and v.strip().isdigit()
                and len(v.strip()) < 10 else v) for k, v in values.items()}


def blank_to_none(values: dict[str, Any], *fields: str) -> dict[str, Any]:
    """Optional text fields left blank are not given."""
    return {k: (None if k in fields and not str(v or "").strip() else v) for k, v in values.items()}


# -- refusals -------------------------------------------------------------------------------------------
def _day(value: Any) -> str:
    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)


RULE_WORDS: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "period-order": ("planned_end", lambda d: gettext("The planned end is before the start.")),
    "weekly-hours-cap": ("weekly_hours", lambda d: gettext(
        "The school's rule set allows at most %(cap)s hours a week.", cap=d.get("cap", 40))),
    "placement-kind": ("kind", lambda d: gettext("Choose a kind of placement from the list.")),
    "centre-closed": ("centre_id", lambda d: gettext("This centre is closed: it takes no new placements.")),
    "minimum-age": ("start", lambda d: gettext(
        "The student is %(age)s on the start date; the school's rule set asks for at least %(min)s.",
        age=d.get("age", "?"), min=d.get("min_age", "?"))),
    "no-first-year-post-internship": ("start", lambda d: gettext(
        "The school's rule set allows no post internship in the student's first year: start later, or choose "
        "another kind.")),
    "placements-overlap": ("start", lambda d: gettext(
        "The student already has a placement in this period.")),
    "centre-capacity": ("capacity_override_justification", lambda d: gettext(
        "The centre is full in this period: %(held)s of %(capacity)s places are held. Choose other dates or "
        "another centre, or give a justification for exceeding its capacity.",
        held=d.get("occupancy", "?"), capacity=d.get("capacity", "?"))),
    "major-not-trained-at-centre": ("speciality_override_reason", lambda d: gettext(
        "The centre does not train the student's major (%(major)s; it trains %(specialities)s): give the reason "
        "to place the student there anyway.", major=d.get("major", ""),
        specialities=", ".join(d.get("specialities", [])))),
    "already-approved": ("form", lambda d: gettext("These terms are already approved.")),
    "nothing-to-approve": ("form", lambda d: gettext("This placement waits for no approval (any more).")),
    "placement-status": ("form", lambda d: gettext("This placement is %(status)s now: that cannot be done.",
                                                   status=d.get("status", ""))),
    "activation-within-period": ("form", lambda d: gettext("A placement starts within its period.")),
    "one-active-placement": ("form", lambda d: gettext("The student already has a running placement.")),
    "no-future-date": ("form", lambda d: gettext("%(day)s has not come yet.", day=_day(d.get("on", "")))),
    "mentor-not-at-centre": ("mentor_id", lambda d: gettext("Choose a mentor assigned to the centre.")),
    "no-self-grant": ("mentor_id", lambda d: gettext(
        "Nobody names themself mentor: another administrator of the enterprise must.")),
    "mentor-already-assigned": ("mentor_id", lambda d: gettext("This person is already a mentor at the centre.")),
    "mentor-not-assigned": ("mentor_id", lambda d: gettext("This person is not a mentor at the centre.")),
    "capacity-positive": ("capacity", lambda d: gettext("A centre has at least one place.")),
    "not-awaiting-confirmation": ("form", lambda d: gettext("This placement waits for no confirmation (any more).")),
    "guardian-contact-not-mailable": ("form", lambda d: gettext(
        "The guardian contact the school enrolled is not an email address, so no code can be mailed: invite the "
        "guardian to an account instead.")),
    "too-many-guardian-codes": ("form", lambda d: gettext(
        "Enough codes were sent for this placement already: invite the guardian to an account instead.")),
    "guardian-code-used": ("form", lambda d: gettext("The guardian already confirmed this placement with a code.")),
}
"""Each rule's refusal: next to which field, in which words (from the refusal's details)."""


def refusal(error: DomainError, *, not_found: str = "form") -> tuple[str, str]:
    """A refusal as (field, words) for the page, never a code."""
    if isinstance(error, RuleViolated) and error.rule in RULE_WORDS:
        field, words = RULE_WORDS[error.rule]
        return field, words(dict(error.details))
    if isinstance(error, RuleViolated) and error.rule == "unknown-rule-set":
        return "rule_set", gettext("Choose a rule set from the list.")
    if isinstance(error, VersionConflict):
        return "form", gettext("Someone changed this meanwhile: look at it again, then send it once more.")
    if isinstance(error, NotFound):
        return not_found, gettext("Not found: it may have been removed, or it never existed.")
    if isinstance(error, NotAllowed):
        return "form", gettext("This is not yours to do.")
    return "form", gettext("The rules refuse this now: %(why)s", why=error.message)

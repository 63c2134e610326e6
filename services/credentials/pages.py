"""Certificates with their levels and conversion rules, kept by administrators (`/admin/certificates`).

- `/admin/certificates`: the catalogue: each certificate with its levels, their credits and the conversion rule
  in force today;
- `/admin/certificates/new`: list a certificate with its levels, their credits and requirements;
- `/admin/certificates/<code>`: a certificate's levels and requirements, every conversion rule by level with the
  date it takes effect, the history of its changes (who, when, why), and the form to adopt a rule from a date,
  with its reason.

A listed certificate's levels do not change (the domain keeps them as listed); what changes is how a level
converts into course credits, by a new rule from a date (earlier conversions stand). Admins only, as in the API;
the commands are the API's, the requests checked by the API's own schemas. The credentials application reads its
own store, so the next page shows the write.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from eventsourcing.utils import get_topic
from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext
from marshmallow import ValidationError

from contracts.http.credentials import AdoptConversionRuleRequest, ListCertificateRequest
from events.credentials import CertificateListed
from services.common.errors import NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import CommandContext, Role
from services.credentials.api import application
from services.credentials.domain import LEVELS, certificate_id
from toolkit.http.context import command_context, deployment
from toolkit.http.pages import signed_in_as

pages = Blueprint("credentials_pages", __name__, template_folder="templates")

RULE_ROWS = 5
"""Course rows on the form of a conversion rule (empty ones are left out)."""
MAX_REASON = 2000


@dataclass(frozen=True)
class _Because(CommandContext):
    """A command's context that records `reason` with its events (the application asks for none of its own)."""

    reason: str = ""

    def meta(self, reason: str | None = None, business_date: date | None = None) -> Any:
        return super().meta(reason or self.reason or None, business_date)


def _because(reason: str) -> _Because:
    ctx = command_context()
    return _Because(ctx.actor, ctx.correlation_id, ctx.client_correlation_id, reason=reason)


class _Codes:
    """The codes of the catalogue's certificates, read incrementally from the credentials store's log (a listing
    is the only event that adds one)."""

    topics = [get_topic(CertificateListed)]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: weakref.WeakKeyDictionary[Any, tuple[int, list[str]]] = weakref.WeakKeyDictionary()

    def of(self, app: Any) -> list[str]:
        with self._lock:
            position, codes = self._seen.get(app, (0, []))
            while True:
                batch = app.recorder.select_notifications(start=position, limit=500, topics=self.topics,
                                                          inclusive_of_start=False)
                for notification in batch:
                    codes.append(app.mapper.to_domain_event(notification).code)
                    position = notification.id
                if len(batch) < 500:
                    break
            self._seen[app] = (position, codes)
            return sorted(codes)


_codes = _Codes()


def _admin() -> None:
    signed_in_as(Role.ADMIN)


def _in_force(certificate: Any, level: str, today: date) -> Any:
    try:
        return certificate.rule_in_force(level, today)
    except RuleViolated:
        return None


# -- /admin/certificates ------------------------------------------------------------------------------
@pages.get("/admin/certificates")
def catalogue() -> Any:
    _admin()
    app, today = application(), deployment().today()
    certificates = [app.get_certificate(code) for code in _codes.of(app)]
    rows = [{"certificate": c, "levels": [{"level": lv, "rule": _in_force(c, lv.level, today)}
                                          for lv in c.levels.values()]} for c in certificates]
    return render_template("credentials/catalogue.html", rows=rows, listed=request.args.get("listed", ""))


# -- /admin/certificates/new ---------------------------------------------------------------------------
def _new_page(form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200) -> Any:
    return render_template("credentials/new.html", form=form, errors=errors or {}, levels=LEVELS), status


def _blank_certificate() -> dict[str, str]:
    form = {"code": "", "title": "", "organisation": "", "reason": ""}
    for level in LEVELS:
        form.update({f"{level}-include": "", f"{level}-credits": "", f"{level}-requirements": ""})
    return form


@pages.get("/admin/certificates/new")
def new_certificate() -> Any:
    _admin()
    return _new_page(_blank_certificate())


def _requirements(text: str, level: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Requirement lines "competency, hours[, lowest assessment]" as the API takes them."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        try:
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValueError(line)
            found.append({"competency": parts[0], "min_signed_hours": float(parts[1]),
                          "min_assessment": float(parts[2]) if len(parts) == 3 and parts[2] else None})
        except ValueError:
            errors[f"{level}-requirements"] = gettext(
                "Line %(n)s: write a competency, its signed hours and, if needed, the lowest assessment, "
                "separated by commas (MEC-01, 120, 4).", n=number)
            return []
    return found


def _certificate_body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    levels = []
    for level in LEVELS:
        if not form[f"{level}-include"]:
            continue
        try:
            credits = int(form[f"{level}-credits"])
        except ValueError:
            errors[f"{level}-credits"] = gettext("Give the credits as a whole number, 0 to 1000.")
            credits = 0
        levels.append({"level": level, "credits": credits,
                       "requirements": _requirements(form[f"{level}-requirements"], level, errors)})
    if not levels:
        errors["levels"] = gettext("Include at least one level.")
    body = {"code": form["code"], "title": form["title"], "awarding_organisation": form["organisation"],
            "levels": levels}
    try:
        ListCertificateRequest().load(body)
    except ValidationError as invalid:
        _schema_errors(invalid.messages, {"awarding_organisation": "organisation"}, levels, errors)
    return body, errors


def _schema_errors(messages: Any, renamed: dict[str, str], levels: list[dict[str, Any]],
                   errors: dict[str, str]) -> None:
    """The API schema's refusals, next to the form's fields."""
    for key, found in (messages.items() if isinstance(messages, dict) else []):
        if key == "levels" and isinstance(found, dict):
            for index, inner in found.items():
                level = levels[int(index)]["level"] if str(index).isdigit() else ""
                for part, said in (inner if isinstance(inner, dict) else {"credits": inner}).items():
                    errors.setdefault(f"{level}-{part}" if level else "levels", _first(said))
        else:
            errors.setdefault(renamed.get(str(key), str(key)), _first(found))


def _first(found: Any) -> str:
    while isinstance(found, dict | list):
        found = next(iter(found.values()), "") if isinstance(found, dict) else (found[0] if found else "")
    return str(found)


@pages.post("/admin/certificates/new")
def list_certificate() -> Any:
    _admin()
    form = {**_blank_certificate(), **{k: request.form.get(k, "").strip()[:4000] for k in _blank_certificate()}}
    body, errors = _certificate_body(form)
    if len(form["reason"]) > MAX_REASON:
        errors["reason"] = gettext("A reason has at most 2000 characters.")
    if errors:
        return _new_page(form, errors, 422)
    try:
        application().list_certificate(_because(form["reason"]), **body)
    except VersionConflict:
        return _new_page(form, {"code": gettext("A certificate with this code is already in the catalogue.")}, 409)
    except RuleViolated as refused:
        field = "levels" if refused.rule in ("certificate-levels", "level-credits") else "code"
        return _new_page(form, {field: _in_words(refused)}, 409)
    return redirect(f"/admin/certificates/{quote(body['code'])}", 303)


def _in_words(refused: Any) -> str:
    details = refused.details
    if getattr(refused, "rule", "") == "conversion-within-credits":
        return gettext("This level is worth %(credits)s credits; the courses use %(used)s.",
                       credits=details.get("credits"), used=details.get("used"))
    if getattr(refused, "rule", "") == "level-credits":
        return gettext("A higher level is worth at least as many credits as a lower one.")
    return str(refused.message)


# -- /admin/certificates/<code> -------------------------------------------------------------------------
def _history(certificate: Any) -> list[dict[str, Any]]:
    stored: list[Any] = list(application().repository.event_store.get(certificate_id(certificate.code)))
    found = []
    for event in reversed(stored):
        entry = {"recorded_at": event.timestamp, "by": _person_name(event.meta.subject), "reason": event.meta.reason,
                 "listed": isinstance(event, CertificateListed)}
        if not entry["listed"]:
            entry.update(level=event.level, effective_from=event.effective_from, conversions=event.conversions)
        found.append(entry)
    return found


def _person_name(subject: str) -> str:
    """Who did it, by name when they are a person."""
    try:
        summary = deployment().app("identity").people_index().summary(subject)
    except (KeyError, AttributeError):
        return subject
    return str(summary.name) if summary else subject


def _certificate_page(code: str, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                      status: int = 200) -> Any:
    certificate = application().get_certificate(code)
    today = deployment().today()
    in_force = {lv: _in_force(certificate, lv, today) for lv in certificate.levels}
    rules = sorted(certificate.rules, key=lambda r: (LEVELS.index(r.level), r.effective_from))
    return render_template("credentials/certificate.html", certificate=certificate, rules=rules, in_force=in_force,
                           history=_history(certificate), form=form or _blank_rule(today), errors=errors or {},
                           rows=range(1, RULE_ROWS + 1), adopted=request.args.get("adopted", "")), status


def _blank_rule(today: date) -> dict[str, str]:
    form = {"level": "", "effective_from": today.isoformat(), "reason": ""}
    for row in range(1, RULE_ROWS + 1):
        form.update({f"course-{row}": "", f"credits-{row}": "", f"exempt-{row}": ""})
    return form


@pages.get("/admin/certificates/<string:code>")
def certificate_page(code: str) -> Any:
    _admin()
    return _certificate_page(code)


def _rule_body(form: dict[str, str], certificate: Any) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if form["level"] not in certificate.levels:
        errors["level"] = gettext("Choose one of the certificate's levels.")
    try:
        effective_from = date.fromisoformat(form["effective_from"])
        if not date(1900, 1, 1) <= effective_from <= date(2199, 12, 31):
            raise ValueError(form["effective_from"])
    except ValueError:
        errors["effective_from"] = gettext("Give the day the rule takes effect as YYYY-MM-DD.")
        effective_from = date.min
    if not form["reason"] or len(form["reason"]) > MAX_REASON:
        errors["reason"] = gettext("Give the reason for this rule (at most 2000 characters).")
    conversions = []
    for row in range(1, RULE_ROWS + 1):
        course, credits = form[f"course-{row}"], form[f"credits-{row}"]
        if not course and not credits:
            continue
        if not course or len(course) > 200:
            errors[f"course-{row}"] = gettext("Name the course (at most 200 characters).")
        try:
            used = int(credits)
            if not 1 <= used <= 1000:
                raise ValueError(credits)
        except ValueError:
            errors[f"credits-{row}"] = gettext("Give the credits the course uses as a whole number, 1 to 1000.")
            used = 1
        conversions.append({"course": course, "credits": used, "exempt": bool(form[f"exempt-{row}"])})
    if not conversions:
        errors["course-1"] = gettext("Give at least one course the level converts into.")
    courses = [c["course"] for c in conversions]
    if len(set(courses)) != len(courses):
        errors.setdefault("course-1", gettext("Name each course once."))
    return {"level": form["level"], "effective_from": effective_from, "conversions": conversions}, errors


@pages.post("/admin/certificates/<string:code>/conversion-rules")
def adopt_rule(code: str) -> Any:
    _admin()
    certificate = application().get_certificate(code)
    fields = _blank_rule(deployment().today())
    form = {k: request.form.get(k, "").strip()[:4000] for k in fields}
    body, errors = _rule_body(form, certificate)
    if not errors:
        try:
            AdoptConversionRuleRequest().load({**body, "effective_from": body["effective_from"].isoformat()})
        except ValidationError as invalid:
            errors["course-1"] = _first(invalid.messages)
    if errors:
        return _certificate_page(code, form, errors, 422)
    try:
        application().adopt_conversion_rule(_because(form["reason"]), code, **body)
    except (RuleViolated, NotFound, NotAllowed) as refused:
        field = "level" if isinstance(refused, NotFound) else "course-1"
        return _certificate_page(code, form, {field: _in_words(refused)}, 409)
    return redirect(f"/admin/certificates/{quote(code)}?adopted={body['level']}", 303)

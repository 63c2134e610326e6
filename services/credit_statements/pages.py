"""Web pages of the credit_statements part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

`/student/credits`: a student's certificates (held and revoked, from the credentials application as the API's
credit-account route reads them, names from its catalogue) and their credit statement (the credit_statements read
model: every award, amendment, revocation and ledger line with the balance after it), and the signed statement to
download. The API's signed-statement route takes a bearer token only, so `/student/credits/statement.json` answers
the same document by handing the request to that very route (the credentials context's code, which this part may
not import); a guardian sees their student's.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, render_template
from flask_babel import gettext

from services.common.errors import NotAllowed, NotFound
from services.common.identity import STUDENT_SIDE, Actor, Role
from services.common.scope import Scope
from toolkit.http.context import command_context, current_actor, deployment
from toolkit.http.read_recording import record_read

pages = Blueprint("credit_statements_pages", __name__, template_folder="templates")

SIGNED_STATEMENT_ROUTE = "credentials.SignedCreditStatement"
"""The credentials API's route that signs a student's credit statement (services/credentials/api.py)."""


def _student_side() -> tuple[Actor, str]:
    """The student, or a guardian of theirs, and the student's id; anyone else is refused in words."""
    actor = current_actor()
    if actor.role not in STUDENT_SIDE or not actor.student_id:
        raise NotAllowed(gettext("These pages are for students and their guardians."), role=actor.role.value)
    return actor, actor.student_id


def _level(level: str | None) -> str:
    return {"junior": gettext("junior"), "intermediate": gettext("intermediate"),
            "senior": gettext("senior")}.get(level or "", level or "")


class Catalogue:
    """Certificates' titles and awarding organisations, from the credentials application, once per page."""

    def __init__(self) -> None:
        self._found: dict[str, Any] = {}

    def __call__(self, code: str | None) -> dict[str, str]:
        if code and code not in self._found:
            try:
                self._found[code] = deployment().app("credentials").get_certificate(code)
            except NotFound:
                self._found[code] = None
        certificate = self._found.get(code or "")
        return {"title": certificate.title if certificate else (code or gettext("a certificate")),
                "by": certificate.awarding_organisation if certificate else ""}


def _certificates(student_id: str, catalogue: Catalogue) -> list[dict[str, Any]]:
    account = deployment().app("credentials").get_account(command_context(), UUID(student_id))
    record_read(student_id, "credit-account")
    if account is None:
        return []
    awards = sorted(account.awards.values(), key=lambda a: (a.revoked, a.awarded_on, a.award_id))
    return [{**catalogue(a.certificate_code), "level": _level(a.level), "credits": a.credits,
             "awarded_on": a.awarded_on, "number": a.certificate_number, "revoked": a.revoked,
             "revocation_reason": a.revocation_reason, "override": not a.eligible, "award_id": a.award_id}
            for a in awards]


def _what(entry: dict[str, Any], catalogue: Catalogue) -> str:
    """One line of the statement in words."""
    title = catalogue(entry["certificate_code"])["title"]
    names = {"certificate": title, "level": _level(entry["level"])}
    if entry["event"] == "CertificateAwarded":
        return gettext("Awarded %(certificate)s, %(level)s", **names)
    if entry["event"] == "CertificateAmended":
        return gettext("Award of %(certificate)s, %(level)s corrected", **names)
    if entry["event"] == "CertificateRevoked":
        return gettext("%(certificate)s, %(level)s revoked", **names)
    if entry["kind"] == "deposit":
        return gettext("Credits for %(certificate)s, %(level)s", **names)
    if entry["kind"] == "conversion":
        course = entry["course"] or ""
        return (gettext("Converted into the course %(course)s (you are exempt from it)", course=course)
                if entry["exempt"] else gettext("Converted into the course %(course)s", course=course))
    if entry["kind"] == "reversal":
        return gettext("Reversed (%(certificate)s revoked)", certificate=title)
    return gettext("Credit account changed")


def _statement(actor: Actor, student_id: str, catalogue: Catalogue,
               revoked_because: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The statement's lines. Why a line was made is free text, not in the read model (docs/published-fields.md):
    a revocation and the reversals it caused say why from the credentials application (`revoked_because`, by
    award)."""
    try:
        statement = deployment().view("credit_statements").credit_statement(Scope.of(actor), student_id)
    except NotFound:
        return None
    record_read(student_id, "credit-statement")
    lines = [{"what": _what(e, catalogue), "when": date.fromisoformat(e["recorded_at"][:10]), "change": e["effect"],
              "balance": e["balance_after"],
              "reason": (revoked_because or {}).get(e["award_id"])
              if e["event"] == "CertificateRevoked" or e["kind"] == "reversal" else None}
             for e in statement["entries"]]
    return {"balance": statement["balance"], "lines": lines}


@pages.get("/student/credits")
def student_credits() -> Any:
    """My certificates and credits, with the credit statement's history and its running balance."""
    actor, student_id = _student_side()
    catalogue = Catalogue()
    certificates = _certificates(student_id, catalogue)
    return render_template("credit_statements/student_credits.html", guardian=actor.role is Role.GUARDIAN,
                           held=[c for c in certificates if not c["revoked"]],
                           revoked=[c for c in certificates if c["revoked"]],
                           statement=_statement(actor, student_id, catalogue, {
                               c["award_id"]: c["revocation_reason"] for c in certificates if c["revoked"]}))


@pages.get("/student/credits/statement.json")
def signed_statement() -> Any:
    """The signed credit statement to download: the API's own route answers it, signed in with this session."""
    _, student_id = _student_side()
    return current_app.view_functions[SIGNED_STATEMENT_ROUTE](student_id=UUID(student_id))

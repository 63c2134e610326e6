"""HTTP commands and queries of the credentials context: the X-certificate catalogue, eligibility, awards, credit
accounts, signed credit statements and order classes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import CommandAccepted
from contracts.http.credentials import (
    AdoptConversionRuleRequest,
    AmendAwardRequest,
    AssignStudentsRequest,
    AwardAccepted,
    AwardRequest,
    CertificateSchema,
    ConvertCreditsRequest,
    CreditAccountSchema,
    EligibilityQuery,
    EligibilitySchema,
    ListCertificateRequest,
    OrderClassRequest,
    OrderReportSchema,
    RevokeAwardRequest,
    SignedStatementSchema,
)
from services.common.signing_keys import key_store
from services.credentials.application import CredentialsApplication
from services.credentials.domain import Certificate, CreditAccount
from services.credentials.statement import PURPOSE, build_statement, serialize, sign_statement
from toolkit.http.context import command_context, current_actor, deployment, expected_version
from toolkit.http.read_recording import record_read
from toolkit.http.receipts import accepted, command_errors

blp = Blueprint(
    "credentials", __name__, url_prefix="/api/v1",
    description="Vocational skill-level (X) certificates: the catalogue with ordered levels and conversion rules, "
    "eligibility from the training record, awards (on eligibility or by justified override), amendments and "
    "revocations, each student's double-entry credit ledger and its signed statement, and enterprises' order "
    "classes.",
)


def application() -> CredentialsApplication:
    """The credentials context's application, from the deployment."""
    return deployment().app("credentials")
_errors = command_errors(blp)


# -- the catalogue ----------------------------------------------------------------------------------
@blp.route("/certificates")
class Certificates(MethodView):
    @blp.arguments(ListCertificateRequest)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any]) -> Any:
        """List a certificate with its ordered levels, their requirements and credit values (admins)."""
        return accepted(application().list_certificate(command_context(), **body), 201)


@blp.route("/certificates/<string:code>")
class CertificateView(MethodView):
    @blp.response(200, CertificateSchema)
    @_errors
    def get(self, code: str) -> Any:
        """A certificate of the catalogue: its levels and every conversion rule with its effective date."""
        current_actor()
        certificate = application().get_certificate(code)
        return _certificate(certificate), 200, {"ETag": f'"{certificate.version}"'}


@blp.route("/certificates/<string:code>/conversion-rules")
class ConversionRules(MethodView):
    @blp.arguments(AdoptConversionRuleRequest)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], code: str) -> Any:
        """From a date, a level converts into course credits and exemptions (admins); a later rule for the same
        level takes over from its date, earlier conversions stand."""
        return accepted(application().adopt_conversion_rule(command_context(), code, **body), 201)


# -- eligibility ------------------------------------------------------------------------------------
@blp.route("/students/<uuid:student_id>/eligibility")
class Eligibility(MethodView):
    @blp.arguments(EligibilityQuery, location="query")
    @blp.response(200, EligibilitySchema)
    @_errors
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """Every requirement of a certificate level beside the student's signed hours and best passed assessment,
        met or not: from the training record as recorded now, or by the end of `as_of`."""
        eligibility = application().eligibility(command_context(), student_id, query["certificate"],
                                                          query["level"], query.get("as_of"))
        record_read(student_id, "eligibility")
        return eligibility


# -- awards -----------------------------------------------------------------------------------------
@blp.route("/students/<uuid:student_id>/awards")
class Awards(MethodView):
    @blp.arguments(AwardRequest)
    @blp.response(201, AwardAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID) -> Any:
        """Award a certificate level (admins): on eligibility, or by override with `override_reason` (without one
        an ineligible student is refused: 409 not-eligible, naming each unmet requirement). The level's credits
        are deposited in the student's account."""
        result = application().award_certificate(command_context(), student_id, **body)
        receipt, status, headers = accepted(result, 201)
        return {**receipt, "award_id": result.award_id}, status, headers


@blp.route("/students/<uuid:student_id>/awards/<uuid:award_id>/amendment")
class AwardAmendment(MethodView):
    @blp.arguments(AmendAwardRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID, award_id: UUID) -> Any:
        """Correct an award's date or certificate number, with a reason (admins)."""
        return accepted(application().amend_award(
            command_context(), student_id, str(award_id), expected_version=expected_version(), **body))


@blp.route("/students/<uuid:student_id>/awards/<uuid:award_id>/revocation")
class AwardRevocation(MethodView):
    @blp.arguments(RevokeAwardRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID, award_id: UUID) -> Any:
        """Revoke an award with a reason (admins): every conversion that used it is reversed, then its deposit."""
        return accepted(application().revoke_award(
            command_context(), student_id, str(award_id), expected_version=expected_version(), **body))


@blp.route("/students/<uuid:student_id>/awards/<uuid:award_id>/conversion")
class AwardConversion(MethodView):
    @blp.arguments(ConvertCreditsRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID, award_id: UUID) -> Any:
        """Convert the award's credits into course credits and exemptions by the rule in force on `on` (default
        today): admins, coordinators of the student's school."""
        return accepted(application().convert_credits(
            command_context(), student_id, str(award_id), expected_version=expected_version(), **body))


# -- the account and its signed statement -----------------------------------------------------------
@blp.route("/students/<uuid:student_id>/credit-account")
class CreditAccountView(MethodView):
    @blp.response(200, CreditAccountSchema)
    @_errors
    def get(self, student_id: UUID) -> Any:
        """The student's awards and every ledger line, with the balance, as the event store knows it now
        (ETag: the account's version; an empty account with balance 0 before any award). The student, their
        school's coordinators and teachers, admins and auditors read it."""
        credentials = application()
        account = credentials.get_account(command_context(), student_id)
        if account is None:
            school_id = credentials.placements.student(str(student_id)).school_id
            record_read(student_id, "credit-account")
            return ({"student_id": str(student_id), "school_id": school_id, "version": 0, "awards": [], "ledger": [],
                     "balance": 0}, 200, {"ETag": '"0"'})
        answer = _account(account)
        record_read(student_id, "credit-account")
        return answer, 200, {"ETag": f'"{account.version}"'}


@blp.route("/students/<uuid:student_id>/credit-statement/signed")
class SignedCreditStatement(MethodView):
    @blp.response(200, SignedStatementSchema)
    @_errors
    def get(self, student_id: UUID) -> Any:
        """The student's credit statement as a JSON file signed with the deployment's current statements key (whoever
        may read the account); `signature.key_id` names it among the published keys (GET /api/v1/keys). Keep the file
        as downloaded: it is its own canonical JSON, and any changed byte makes it fail `dualtrack credentials
        verify`."""
        credentials = application()
        account = credentials.get_account(command_context(), student_id)
        school_id = account.school_id if account else credentials.placements.student(str(student_id)).school_id
        codes = sorted({a.certificate_code for a in account.awards.values()}) if account else []
        catalogue = {}
        for code in codes:
            certificate = credentials.get_certificate(code)
            catalogue[code] = {"title": certificate.title, "awarding_organisation": certificate.awarding_organisation}
        statement = build_statement(account, student_id=str(student_id), school_id=school_id, certificates=catalogue)
        document = sign_statement(statement, key_store(deployment().settings).signer(PURPOSE)[1])
        record_read(student_id, "signed-credit-statement")
        return Response(serialize(document), 200, mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="credit-statement-{student_id}.json"',
            "Cache-Control": "no-store"})


# -- order classes ----------------------------------------------------------------------------------
@blp.route("/order-classes")
class OrderClasses(MethodView):
    @blp.arguments(OrderClassRequest)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any]) -> Any:
        """An enterprise orders a cohort trained for it: how many students of which major, holding which
        certificate levels, by when (the enterprise's mentors, admins)."""
        return accepted(application().order_class(command_context(), **body), 201)


@blp.route("/order-classes/<uuid:order_id>/proposals")
class OrderClassProposals(MethodView):
    @blp.arguments(AssignStudentsRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], order_id: UUID) -> Any:
        """Propose students of the class's major for it (admins, coordinators of the students' school): they join
        the class once the ordering enterprise accepts them."""
        return accepted(application().propose_students_for_order(
            command_context(), order_id, student_ids=[str(s) for s in body["student_ids"]],
            expected_version=expected_version()))


@blp.route("/order-classes/<uuid:order_id>/students")
class OrderClassStudents(MethodView):
    @blp.arguments(AssignStudentsRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], order_id: UUID) -> Any:
        """Accept proposed students into the class, up to the number ordered (the ordering enterprise's mentors
        and enterprise admins, admins; anyone else: 403 `enterprise-accepts`; a student not proposed: 409
        `not-proposed`)."""
        return accepted(application().accept_students_for_order(
            command_context(), order_id, student_ids=[str(s) for s in body["student_ids"]],
            expected_version=expected_version()))


@blp.route("/order-classes/<uuid:order_id>/declined-proposals")
class OrderClassDeclinedProposals(MethodView):
    @blp.arguments(AssignStudentsRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], order_id: UUID) -> Any:
        """Decline proposed students (the ordering enterprise's mentors and enterprise admins, admins); their school
        may propose them again."""
        return accepted(application().decline_students_for_order(
            command_context(), order_id, student_ids=[str(s) for s in body["student_ids"]],
            expected_version=expected_version()))


@blp.route("/order-classes/<uuid:order_id>/report")
class OrderClassReport(MethodView):
    @blp.response(200, OrderReportSchema)
    @_errors
    def get(self, order_id: UUID) -> Any:
        """How the class stands against the order: per certificate, who holds it (or a higher level), who is
        eligible, who is not yet, how many holders are still short, and the proposals waiting for the enterprise.
        The ordering enterprise's mentors and enterprise admins, admins and auditors see every student; a
        coordinator of a school with students in it (or proposed) sees only their own school's, and no shortfall
        (`short_of_order` is null: it would count other schools' holders)."""
        return application().order_report(command_context(), order_id)


# -- shapes -----------------------------------------------------------------------------------------
def _certificate(certificate: Certificate) -> dict[str, Any]:
    return {
        "code": certificate.code, "title": certificate.title,
        "awarding_organisation": certificate.awarding_organisation, "version": certificate.version,
        "levels": [{"level": lv.level, "credits": lv.credits, "requirements": [vars(r) for r in lv.requirements]}
                   for lv in certificate.levels.values()],
        "conversion_rules": [{"rule_id": r.rule_id, "level": r.level, "effective_from": r.effective_from,
                              "conversions": [{"course": c["course"], "credits": c["credits"],
                                               "exempt": bool(c.get("exempt"))} for c in r.conversions]}
                             for r in certificate.rules],
    }


def _account(account: CreditAccount) -> dict[str, Any]:
    awards = sorted(account.awards.values(), key=lambda a: (a.awarded_on, a.award_id))
    return {
        "student_id": account.student_id, "school_id": account.school_id, "version": account.version,
        "awards": [{"award_id": a.award_id, "certificate_code": a.certificate_code, "level": a.level,
                    "credits": a.credits, "unconverted": account.unconverted(a.award_id), "awarded_on": a.awarded_on,
                    "certificate_number": a.certificate_number, "eligible": a.eligible,
                    "override_reason": a.override_reason, "revoked": a.revoked,
                    "revocation_reason": a.revocation_reason} for a in awards],
        "ledger": [{"line_id": line.line_id, "kind": line.kind, "award_id": line.award_id, "debit": line.debit,
                    "credit": line.credit, "amount": line.amount, "course": line.course, "exempt": line.exempt,
                    "rule_id": line.rule_id, "reverses": line.reverses, "caused_by": list(line.caused_by)}
                   for line in account.lines],
        "balance": account.balance,
    }

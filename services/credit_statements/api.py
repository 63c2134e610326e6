"""HTTP queries on the credit statements read model: a student's credit account history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError, FreshnessQuery
from contracts.http.credit_statements import CreditStatementSchema
from services.common.errors import NotAllowed, NotFound
from services.common.identity import ENTERPRISE_SIDE
from services.common.scope import Scope
from services.credit_statements.views import CreditStatementsView
from toolkit.http.context import command_context, current_actor, deployment
from toolkit.http.freshness import await_read_model
from toolkit.http.read_recording import record_read

blp = Blueprint(
    "credit_statements", __name__, url_prefix="/api/v1",
    description="Credit statements (read model): each student's credit account history — awards, amendments, "
    "revocations and ledger lines with running balances. Takes wait_for=<a command's wait_token>.",
)


def view() -> CreditStatementsView:
    """The credit statements read model's queries, from the deployment."""
    return deployment().view("credit_statements")


@blp.route("/students/<uuid:student_id>/credit-statement")
class CreditStatement(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, CreditStatementSchema)
    @blp.alt_response(401, schema=ApiError, description="no or invalid token")
    @blp.alt_response(403, schema=ApiError, description="role does not allow it")
    @blp.alt_response(404, schema=ApiError, description="no credit account yet, or not yours to see")
    @blp.alt_response(422, schema=ApiError, description="invalid wait_for")
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """The student's credit history in recorded order: every award, amendment, revocation and ledger line,
        who did it, when and why, with the balance after each (the student, the school's coordinators and
        teachers, admins, auditors)."""
        actor = current_actor()
        if actor.role in ENTERPRISE_SIDE:
            raise NotAllowed(f"{actor.role.value} {actor.subject} may not read credit statements",
                             role=actor.role.value)
        await_read_model(view(), query)
        statement = view().credit_statement(Scope.of(actor), str(student_id))
        record_read(student_id, "credit-statement")
        return _with_revocation_reasons(statement, student_id)


def _with_revocation_reasons(statement: dict[str, Any], student_id: UUID) -> dict[str, Any]:
    """Why an award was revoked is free text, not on the topics nor in the read model (docs/published-fields.md): the
    credentials application, which keeps it, says it for the revocation and the reversals it caused."""
    try:
        account = deployment().app("credentials").get_account(command_context(), student_id)
    except (NotAllowed, NotFound):
        return statement
    revoked = {a.award_id: a.revocation_reason for a in account.awards.values() if a.revoked} if account else {}
    for entry in statement["entries"]:
        if entry["award_id"] in revoked and (entry["event"] == "CertificateRevoked" or entry["kind"] == "reversal"):
            entry["reason"] = revoked[entry["award_id"]]
            if entry["event"] == "CertificateRevoked":
                entry["revocation_reason"] = revoked[entry["award_id"]]
    return statement

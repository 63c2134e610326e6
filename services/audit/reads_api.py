"""HTTP query on the audit context: who read a student's personal data (auditors, admins, the student)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.audit_reads import RecordedReadSchema
from contracts.http.common import ApiError
from contracts.http.personal_data import PersonalDataSchema
from services.audit.personal_data import WHAT, personal_data
from services.audit.reads import require_may_list_reads
from services.placements.domain import Student
from toolkit.http.context import command_context, deployment
from toolkit.http.read_recording import record_read

reads_blp = Blueprint(
    "audit_reads", __name__, url_prefix="/api/v1",
    description="Recorded reads: every read of a student's personal data by an auditor or a coordinator is an event "
    "of the audit context (who, what, when), listed here straight from the event store; and the data subject's "
    "file: everything held about a student, for them (or their guardian) to download.",
)


@reads_blp.route("/students/<uuid:student_id>/reads")
class StudentReads(MethodView):
    @reads_blp.response(200, RecordedReadSchema(many=True))
    @reads_blp.alt_response(401, schema=ApiError, description="no or invalid token")
    @reads_blp.alt_response(403, schema=ApiError, description="only admins, auditors and the student themself")
    @reads_blp.alt_response(404, schema=ApiError, description="unknown student")
    @reads_blp.paginate()
    def get(self, student_id: UUID, pagination_parameters: Any) -> Any:
        """Who read the student's personal data, what and when, oldest first; paginated (X-Pagination). Reads by
        auditors and coordinators are recorded once access was granted; this list is not itself recorded."""
        ctx, c = command_context(), deployment()
        require_may_list_reads(ctx.actor, str(student_id))
        c.app("placements").load(Student, student_id)  # 404 for a student nobody enrolled
        total, reads = c.app("audit").reads_of(ctx, student_id, page=pagination_parameters.page,
                                        page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return reads


def personal_data_file(student_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
    """The student's file and the headers it is answered with (a download, never kept in a cache)."""
    body = personal_data(command_context(), deployment(), student_id)
    record_read(student_id, WHAT)
    return body, {"Content-Disposition": f'attachment; filename="personal-data-{student_id}.json"',
                  "Cache-Control": "no-store"}


@reads_blp.route("/students/<uuid:student_id>/personal-data")
class StudentPersonalData(MethodView):
    @reads_blp.response(200, PersonalDataSchema, headers={
        "Content-Disposition": {"description": "attachment; filename=personal-data-{id}.json",
                                "schema": {"type": "string"}},
        "Cache-Control": {"description": "no-store", "schema": {"type": "string"}}})
    @reads_blp.alt_response(401, schema=ApiError, description="no or invalid token")
    @reads_blp.alt_response(403, schema=ApiError, description="only the student, their guardians and admins")
    @reads_blp.alt_response(404, schema=ApiError, description="unknown student")
    def get(self, student_id: UUID) -> Any:
        """Everything held about the student, as one JSON document to keep or take elsewhere (`format`
        dualtrack.personal-data, `version` 1): their enrolment, the accounts that speak for them (never a password
        hash or a secret), every placement with its history, training plans, every logbook entry with every
        revision, assessments, awards and the credit ledger, calendar blocks, and who read their data."""
        body, headers = personal_data_file(student_id)
        return body, 200, headers

"""HTTP exports of a student's or a centre's full record with chain proofs (auditors and admins)."""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError
from services.audit.export import MEDIA_TYPE, TamperDetected, export_record
from services.common.errors import NotAllowed, RuleViolated
from services.common.identity import Role
from services.common.signing_keys import key_store
from toolkit.http.context import current_actor, deployment

export_blp = Blueprint(
    "audit_exports", __name__, url_prefix="/api/v1",
    description="Exports for auditors: a student's or a training centre's full record across every context, as "
    "JSON lines with the hash-chain proof of each event up to a checkpoint signed with the deployment's checkpoints "
    "key, the header signed with its exports key; `dualtrack audit verify-export FILE --key-set KEYS` (KEYS: GET "
    "/api/v1/keys saved) checks one offline, and any changed byte makes it fail.",
)

EXPORT_RESPONSE = {"type": "string", "description": "JSON lines (application/x-ndjson): a signed header, then one "
                                                    "event a line with its chain proof (see "
                                                    "services/audit/export/format.py)."}
EXPORTERS = frozenset({Role.AUDITOR, Role.ADMIN})


def _documented(fn: Any) -> Any:
    for status, text in ((401, "no or invalid token"), (403, "only auditors and admins export records"),
                         (404, "unknown student or centre"),
                         (409, "tamper-detected: the event store fails verification, so nothing is exported")):
        fn = export_blp.alt_response(status, schema=ApiError, description=text)(fn)
    return fn


def _export(what: str, ident: UUID) -> Response:
    actor = current_actor()
    if actor.role not in EXPORTERS:
        raise NotAllowed(f"only auditors and admins export a {what}'s record", role=actor.role.value)
    out = io.BytesIO()
    try:
        export_record(deployment(), what, str(ident), key_store(deployment().settings), out)
    except TamperDetected as error:
        raise RuleViolated("tamper-detected", str(error)) from None
    if what == "student":
        from toolkit.http.read_recording import record_read

        record_read(ident, "full record export")
    return Response(out.getvalue(), 200, mimetype=MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{what}-{ident}.jsonl"',
        "Cache-Control": "no-store",
    })


@export_blp.route("/audit/students/<uuid:student_id>/export")
class StudentExport(MethodView):
    @export_blp.response(200, EXPORT_RESPONSE, content_type=MEDIA_TYPE,
                         description="application/x-ndjson: the signed header, then one event a line with its proof")
    @_documented
    def get(self, student_id: UUID) -> Any:
        """A student's full record (placements, training record, credit account and order classes, the rotation
        plans naming them, the reads of their data) with chain proofs; every chain is extended and checkpointed
        first, so it is provable up to now (auditors and admins; an auditor's export is recorded as a read)."""
        return _export("student", student_id)


@export_blp.route("/audit/centres/<uuid:centre_id>/export")
class CentreExport(MethodView):
    @export_blp.response(200, EXPORT_RESPONSE, content_type=MEDIA_TYPE,
                         description="application/x-ndjson: the signed header, then one event a line with its proof")
    @_documented
    def get(self, centre_id: UUID) -> Any:
        """A training centre's full record (the centre, every placement at it, the rotation plans placing students
        there) with chain proofs; every chain is extended and checkpointed first (auditors and admins)."""
        return _export("centre", centre_id)

"""The erasure of a student's personal data (admins): one request across every context (dualtrack/privacy.py)."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError
from contracts.http.privacy import ErasureRequest, ErasureSchema
from dualtrack.privacy import erase_student
from toolkit.http.context import command_context, deployment

blp = Blueprint(
    "privacy", __name__, url_prefix="/api/v1",
    description="Erasure: an admin erases a student's personal data at their or their guardian's request. The key "
    "their names, birth date, contacts and free text were sealed with is destroyed; the history still replays and "
    "verifies, and every answer, page, export and read model shows them as erased.",
)


@blp.route("/students/<uuid:student_id>/erasure")
class StudentErasure(MethodView):
    @blp.arguments(ErasureRequest)
    @blp.response(200, ErasureSchema)
    @blp.alt_response(401, schema=ApiError, description="no or invalid token")
    @blp.alt_response(403, schema=ApiError, description="only admins erase")
    @blp.alt_response(404, schema=ApiError, description="unknown student")
    @blp.alt_response(409, schema=ApiError, description="someone changed the student's record at the same moment: ask "
                      "again (an erasure is safe to repeat)")
    @blp.alt_response(422, schema=ApiError, description="no reason given")
    def post(self, body: dict[str, Any], student_id: UUID) -> dict[str, Any]:
        """Erase the student's personal data, with the reason (admins only). Safe to repeat."""
        ctx = command_context()
        done = erase_student(cast(Any, deployment()), ctx, student_id, reason=body["reason"])
        return {"student_id": done.student_id, "recorded": done.recorded, "accounts_erased": len(done.accounts),
                "keys_destroyed": done.keys_destroyed, "snapshots_deleted": done.snapshots_deleted}

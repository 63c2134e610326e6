"""HTTP queries on the progress read model: a student's progress, and the queues awaiting signatures."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError, FreshnessQuery
from contracts.http.progress import QueuedEntrySchema, StudentProgressSchema
from services.common.errors import NotAllowed
from services.common.identity import ENTERPRISE_SIDE, STUDENT_SIDE, Role
from services.common.scope import Scope
from services.progress.free_texts import free_texts, with_revocation_reasons
from services.progress.views import ProgressView
from toolkit.http.context import current_actor, deployment
from toolkit.http.freshness import await_read_model
from toolkit.http.read_recording import record_read
from toolkit.http.sight import StudentSight

blp = Blueprint(
    "progress", __name__, url_prefix="/api/v1",
    description="Progress (read model): where each student stands, and what awaits whose signature. Every query "
    "takes wait_for=<a command's wait_token> to show the caller's own write.",
)


def view() -> ProgressView:
    """The progress read model's queries, from the deployment."""
    return deployment().view("progress")


def _documented(fn: Any) -> Any:
    for status, text in ((401, "no or invalid token"), (403, "role or scope does not allow it"),
                         (404, "unknown, or not yours to see"), (422, "invalid wait_for"),
                         (503, "the read model did not reach wait_for in time")):
        fn = blp.alt_response(status, schema=ApiError, description=text)(fn)
    return fn


ENTRY_LISTS = ("pending_sign_offs", "awaiting_countersignature", "rejected_entries")
"""The lists of a student's progress that hold practice entries, each of one placement."""


def own_entries(sight: StudentSight, student_id: str, progress: dict[str, Any]) -> dict[str, Any]:
    """The progress with only the entries the caller sees: a mentor or enterprise admin those of their enterprise's
    placements (until the edit window after each one's end), anyone else every one."""
    return {**progress, **{key: sight.kept(student_id, progress[key]) for key in ENTRY_LISTS}}


@blp.route("/students/<uuid:student_id>/progress")
class StudentProgress(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, StudentProgressSchema)
    @_documented
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """The student's placement, hours by competency against the plan (signed, awaiting countersignature,
        pending), expected to date with a behind-schedule flag, entries awaiting action, latest assessments. A mentor
        or enterprise admin sees it while the student is placed at their enterprise, and only the entries of its
        placements."""
        actor = current_actor()
        await_read_model(view(), query)
        progress = view().student_progress(Scope.of(actor), str(student_id), deployment().today())
        record_read(student_id, "progress")
        texts = free_texts(str(student_id))  # descriptions and reasons: the training record keeps them, not the view
        return with_revocation_reasons(str(student_id),
                                       texts.fill_progress(own_entries(StudentSight(actor), str(student_id), progress)))


@blp.route("/mentors/me/sign-off-queue")
class SignOffQueue(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, QueuedEntrySchema(many=True))
    @_documented
    def get(self, query: dict[str, Any]) -> Any:
        """Entries awaiting your signature at the centres you mentor, oldest first (mentors); entries of a placement
        that ended more than its edit window ago are left out (the school's coordinator deals with them)."""
        actor = current_actor()
        if actor.role is not Role.MENTOR:
            raise NotAllowed("the sign-off queue is a mentor's own", role=actor.role.value)
        await_read_model(view(), query)
        sight = StudentSight(actor)
        return [entry for entry in view().sign_off_queue(actor.subject, actor.enterprise_id) if sight.keeps(entry)]


@blp.route("/schools/<uuid:school_id>/countersignature-queue")
class CountersignatureQueue(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, QueuedEntrySchema(many=True))
    @_documented
    def get(self, query: dict[str, Any], school_id: UUID) -> Any:
        """Entries signed by mentors that await a teacher of the school, oldest first (the school's teachers and
        coordinators, admins, auditors)."""
        actor = current_actor()
        scope = Scope.of(actor)
        if actor.role in (*ENTERPRISE_SIDE, *STUDENT_SIDE) or (scope.school_id and scope.school_id != str(school_id)):
            raise NotAllowed(f"{actor.role.value} {actor.subject} may not read school {school_id}'s queue",
                             school_id=str(school_id))
        await_read_model(view(), query)
        return view().countersignature_queue(str(school_id))

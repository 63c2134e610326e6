"""HTTP queries of the audit: any aggregate's history, a student's timeline, and bi-temporal "as of" views of a
student's progress and a centre's record. All of it is replayed from the event stores (a student's progress as of
a moment from the nearest replayed state this process kept: services/audit/as_of_cache.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import UnprocessableEntity

from contracts.http.audit import (
    AggregateHistorySchema,
    AsOfQuery,
    CentreRecordAsOfSchema,
    CentreRecordQuery,
    HistoryQuery,
    ProgressAsOfSchema,
    TimelineSchema,
)
from contracts.http.common import ApiError
from events import CONTEXTS
from services.audit import access
from services.audit.as_of import CentreRecordAsOf, now
from services.audit.as_of_cache import progress_as_of
from services.audit.history import AggregateHistory, EventLog
from services.audit.timeline import student_timeline
from services.common.errors import NotFound
from services.placements.domain import Student
from toolkit.http.context import current_actor, deployment
from toolkit.http.read_recording import record_read

blp = Blueprint(
    "audit_history", __name__, url_prefix="/api/v1",
    description="Audit: every event of any aggregate with the state before and after it, a student's timeline over "
    "every context, and progress or a centre's record on a business date as known at any moment, replayed from the "
    "event stores (auditors and admins; coordinators for their school's students).",
)

_CONTEXT = "<any(" + ", ".join(CONTEXTS) + "):context>"
_MAX_PERIOD = timedelta(days=3 * 366)


def _documented(fn: Any) -> Any:
    for status, text in ((401, "no or invalid token"), (403, "not an auditor, an admin or the school's coordinator"),
                         (404, "unknown (or not known at that moment)"), (422, "invalid query")):
        fn = blp.alt_response(status, schema=ApiError, description=text)(fn)
    return fn


def _log() -> EventLog:
    """The event stores as this request reads them: each aggregate at most once."""
    return EventLog(deployment().apps())


def _school_of_student(log: EventLog, student_id: UUID) -> str:
    try:
        student = AggregateHistory(log, "placements", student_id).latest()
    except NotFound:
        student = None
    if not isinstance(student, Student):
        raise NotFound(f"no student with id {student_id}", id=str(student_id))
    return student.school_id


def _audited_student(student_id: UUID, what: str) -> EventLog:
    """The request's event log, once the caller is known to be allowed to audit the student."""
    actor = current_actor()
    access.require_may_audit(actor, f"read the {what} of students")
    log = _log()
    access.require_may_audit_student(actor, str(student_id), _school_of_student(log, student_id), what)
    return log


@blp.route(f"/audit/aggregates/{_CONTEXT}/<uuid:aggregate_id>/history")
class AggregateHistoryRoute(MethodView):
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, AggregateHistorySchema)
    @_documented
    def get(self, query: dict[str, Any], context: str, aggregate_id: UUID) -> Any:
        """Every event of an aggregate (type, version, who, role, when recorded, business date, reason,
        correlation id, its facts) with the aggregate's public state before and after it, by pages of versions."""
        actor = current_actor()
        access.require_may_audit(actor, "read aggregate histories")
        history = AggregateHistory(_log(), context, aggregate_id)
        latest = history.latest()
        access.require_may_read_history(actor, latest, context, str(aggregate_id))
        answer = history.page(query["from_version"], query["limit"])
        student_id = str(aggregate_id) if isinstance(latest, Student) else getattr(latest, "student_id", None)
        if student_id:  # a student's own aggregates (enrolment, training record, credit account) are personal data
            record_read(student_id, f"{context} history")
        return answer


@blp.route("/audit/students/<uuid:student_id>/timeline")
class StudentTimeline(MethodView):
    @blp.response(200, TimelineSchema)
    @_documented
    def get(self, student_id: UUID) -> Any:
        """Every event about the student in every context (placements, training, credentials, rotation plans),
        in recorded order, each with a one-line summary."""
        answer = student_timeline(_audited_student(student_id, "timeline"), student_id)
        record_read(student_id, "timeline")
        return answer


@blp.route("/audit/students/<uuid:student_id>/progress")
class StudentProgressAsOfRoute(MethodView):
    @blp.arguments(AsOfQuery, location="query")
    @blp.response(200, ProgressAsOfSchema)
    @_documented
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """The student's progress on a business date (`on`) as known at a moment (`known_at`): the progress
        projection fed only the events recorded by then, with the hours logged for that day and up to it (from the
        nearest replayed state kept at or before that moment, services/audit/as_of_cache.py)."""
        log = _audited_student(student_id, "progress")
        on = query.get("on") or deployment().today()
        answer = progress_as_of(log, student_id).answer(on, query.get("known_at") or now())
        record_read(student_id, "progress as of")
        return answer


@blp.route("/audit/centres/<uuid:centre_id>/record")
class CentreRecordAsOfRoute(MethodView):
    @blp.arguments(CentreRecordQuery, location="query")
    @blp.response(200, CentreRecordAsOfSchema)
    @_documented
    def get(self, query: dict[str, Any], centre_id: UUID) -> Any:
        """A training centre's record on a business date as known at a moment: the centre, who held a place that
        day, places held and expected per week and hours delivered around it (auditors and admins)."""
        access.require_auditor(current_actor(), f"read the record of training centre {centre_id}")
        on = query.get("on") or deployment().today()
        start, end = query.get("period_from"), query.get("period_to")
        if start is not None and end is not None and (start > end or end - start > _MAX_PERIOD):
            raise UnprocessableEntity("ask for a period whose start is not after its end, of at most three years")
        start = start or (end or on) - timedelta(days=28)
        end = end or max(start, on) + timedelta(days=28)
        if end - start > _MAX_PERIOD:
            raise UnprocessableEntity("ask for a period of at most three years around the date")
        return CentreRecordAsOf(_log(), centre_id).answer(on, query.get("known_at") or now(), start, end)

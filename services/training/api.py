"""HTTP commands of the training context: competency catalogues, training plans, the logbook, assessments."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError

from contracts.http.common import ApiError, CommandAccepted, NoBody, ReasonRequest
from contracts.http.training import (
    CSV_COLUMNS,
    CSV_OPTIONAL_COLUMNS,
    AdjustTargetRequest,
    AssessRequest,
    BatchAccepted,
    CatalogueChangeRequestRequest,
    CatalogueChangeRequestSchema,
    CatalogueQuery,
    CatalogueSchema,
    ChangeRequestAccepted,
    CorrectPracticeRequest,
    DefineCompetencyRequest,
    EntryAccepted,
    LogbookSchema,
    LogPracticeRequest,
    PracticeRowSchema,
    RetireCompetencyRequest,
    ReviseTargetRequest,
)
from services.training.application import PracticeRow, TrainingApplication
from services.training.domain import CompetencyCatalogue, TrainingRecord
from toolkit.http.context import command_context, current_actor, deployment, expected_version
from toolkit.http.freshness import signed_token
from toolkit.http.read_recording import record_read
from toolkit.http.receipts import accepted, command_errors, student_item_command
from toolkit.http.sight import StudentSight

blp = Blueprint(
    "training", __name__, url_prefix="/api/v1",
    description="Enterprise-led training: competency catalogues per major, each placement's training plan, the "
    "practice logbook (log, sign, countersign, reject, correct — nothing is overwritten) and competency assessments.",
)


def application() -> TrainingApplication:
    """The training context's application, from the deployment."""
    return deployment().app("training")
_errors = command_errors(blp)
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000


# -- catalogues -------------------------------------------------------------------------------------
@blp.route("/competency-catalogues/<string:major>")
class Catalogue(MethodView):
    @blp.arguments(CatalogueQuery, location="query")
    @blp.response(200, CatalogueSchema)
    @_errors
    def get(self, query: dict[str, Any], major: str) -> Any:
        """The major's competencies in force on a day (default today), and every change with its effective date."""
        current_actor()
        training = application()
        catalogue = training.get_catalogue(major)
        return _catalogue(catalogue, query.get("on") or training.today())


@blp.route("/competency-catalogues/<string:major>/competencies")
class CatalogueCompetencies(MethodView):
    @blp.arguments(DefineCompetencyRequest)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], major: str) -> Any:
        """Add a competency to the major's catalogue from a date (admins: the catalogue every school of the major
        trains by is theirs; a coordinator is refused 403 `catalogue-owner` and files a change request)."""
        return accepted(application().define_competency(command_context(), major, **body), 201)


@blp.route("/competency-catalogues/<string:major>/competencies/<string:code>/target-revision")
class CompetencyTargetRevision(MethodView):
    @blp.arguments(ReviseTargetRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], major: str, code: str) -> Any:
        """Change a competency's target hours from a date; plans already drawn up keep theirs (admins; a coordinator:
        403 `catalogue-owner`, file a change request)."""
        return accepted(application().revise_competency_target(command_context(), major, code, **body))


@blp.route("/competency-catalogues/<string:major>/competencies/<string:code>/retirement")
class CompetencyRetirement(MethodView):
    @blp.arguments(RetireCompetencyRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], major: str, code: str) -> Any:
        """Stop training a competency from a date (admins; a coordinator: 403 `catalogue-owner`, file a change
        request)."""
        return accepted(application().retire_competency(command_context(), major, code, **body))


@blp.route("/competency-catalogues/<string:major>/change-requests")
class CatalogueChangeRequests(MethodView):
    @blp.response(200, CatalogueChangeRequestSchema(many=True))
    @_errors
    def get(self, major: str) -> Any:
        """Every change request of the major's catalogue, pending or decided, in the order filed (coordinators,
        admins, auditors)."""
        return [vars(r) for r in application().catalogue_requests(command_context(), major)]

    @blp.arguments(CatalogueChangeRequestRequest)
    @blp.response(201, ChangeRequestAccepted)
    @_errors
    def post(self, body: dict[str, Any], major: str) -> Any:
        """Ask the administrators for a change of the major's catalogue, with a reason (coordinators, admins): it
        applies only once an administrator approves it. Checked as the change would be now (409 naming the rule)."""
        result = application().request_catalogue_change(command_context(), major, **body)
        receipt, status, headers = accepted(result, 201)
        return {**receipt, "request_id": result.request_id}, status, headers


@blp.route("/competency-catalogues/<string:major>/change-requests/<uuid:request_id>/approval")
class CatalogueChangeApproval(MethodView):
    @blp.arguments(NoBody)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, _body: dict[str, Any], major: str, request_id: UUID) -> Any:
        """Approve a pending change request (admins): the change applies from its date, with the request's reason
        (409 `request-decided` if it was decided already)."""
        return accepted(application().approve_catalogue_change(command_context(), major, str(request_id),
                                                               expected_version=expected_version()))


@blp.route("/competency-catalogues/<string:major>/change-requests/<uuid:request_id>/rejection")
class CatalogueChangeRejection(MethodView):
    @blp.arguments(ReasonRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], major: str, request_id: UUID) -> Any:
        """Reject a pending change request with a reason (admins)."""
        return accepted(application().reject_catalogue_change(command_context(), major, str(request_id),
                                                              reason=body["reason"],
                                                              expected_version=expected_version()))


# -- plans ------------------------------------------------------------------------------------------
@blp.route("/students/<uuid:student_id>/placements/<uuid:placement_id>/training-plan")
class TrainingPlan(MethodView):
    @blp.arguments(NoBody)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID, placement_id: UUID) -> Any:
        """Draw up the placement's plan from the catalogue in force at its start (coordinators of the school).
        Logging the first entry draws it up too."""
        return accepted(application().draw_up_training_plan(command_context(), student_id,
                                                                   str(placement_id)), 201)


@blp.route("/students/<uuid:student_id>/placements/<uuid:placement_id>/training-plan/targets/<string:code>")
class TrainingTarget(MethodView):
    @blp.arguments(AdjustTargetRequest)
    @blp.response(200, CommandAccepted)
    @_errors
    def put(self, body: dict[str, Any], student_id: UUID, placement_id: UUID, code: str) -> Any:
        """Change one competency's target hours in this plan, with a reason (coordinators of the school)."""
        return accepted(application().adjust_training_target(
            command_context(), student_id, str(placement_id), code, expected_version=expected_version(), **body))


# -- the logbook ------------------------------------------------------------------------------------
@blp.route("/students/<uuid:student_id>/practice-entries")
class PracticeEntries(MethodView):
    @blp.arguments(LogPracticeRequest)
    @blp.response(201, EntryAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID) -> Any:
        """Log practice for the student (a mentor of their centre; the student drafts; a coordinator back-fills).
        Refusals name the rule and its figures: no-future-date, placement-not-running, school-day,
        max-hours-per-day, max-hours-per-week, overlapping-entries, edit-window, competency-not-in-plan."""
        if body.get("placement_id"):
            body["placement_id"] = str(body["placement_id"])
        return accepted(application().log_practice(command_context(), student_id, **body), 201)


@blp.route("/students/<uuid:student_id>/logbook")
class Logbook(MethodView):
    @blp.response(200, LogbookSchema)
    @_errors
    def get(self, student_id: UUID) -> Any:
        """Every entry with every revision, as the event store knows it now (ETag: the record's version). A mentor
        sees the entries of their enterprise's placements only, until the edit window after each one's end."""
        ctx = command_context()
        record = application().get_training_record(ctx, student_id)
        record_read(student_id, "logbook")
        if record is None:
            return {"student_id": str(student_id), "version": 0, "entries": []}, 200, {"ETag": '"0"'}
        logbook = _logbook(record)
        logbook["entries"] = StudentSight(ctx.actor).kept(record.student_id, logbook["entries"])
        return logbook, 200, {"ETag": f'"{record.version}"'}


def _entry_command(path: str, handler_name: str, request_schema: Any, summary: str) -> None:
    student_item_command(blp, context="training", collection="practice-entries", item="entry_id", path=path,
                         handler_name=handler_name, request_schema=request_schema, response_schema=EntryAccepted,
                         summary=summary)


_entry_command("sign-off", "sign_off_practice", NoBody,
               "The mentor signs the entry's current revision (mentors of the student's centre).")
_entry_command("countersignature", "countersign_practice", NoBody,
               "A teacher or coordinator of the school countersigns what the mentor signed (dual sign-off rule sets).")
_entry_command("rejection", "reject_practice", ReasonRequest,
               "Send the entry back with a reason: the mentor before signing, the school before countersigning.")
_entry_command("correction", "correct_practice", CorrectPracticeRequest,
               "Correct the entry: a new revision pointing at the one it corrects; it awaits signature again. "
               "Beyond the edit window only a coordinator corrects.")


@blp.route("/practice-entries/batch")
class PracticeBatch(MethodView):
    @blp.doc(requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example": (
        "student_id,date,start,end,competencies,description\n"
        "0b6f5a8e-3c1d-4a52-9a53-2f0f3f3e9c11,2026-11-23,08:00,12:00,MEC-01;MEC-02,assembled a gearbox\n")}}},
        description="Columns: " + ", ".join(CSV_COLUMNS) + " and optionally " + ", ".join(CSV_OPTIONAL_COLUMNS)
        + f"; competencies separated by ';'. At most {MAX_CSV_ROWS} rows.")
    @blp.response(201, BatchAccepted)
    @blp.alt_response(422, schema=ApiError, description="malformed rows: nothing stored, every bad row reported")
    @_errors
    def post(self) -> Any:
        """Log many entries from a CSV file: every row is checked first; all are stored, or none with a report of
        each bad row (line, rule, message)."""
        ctx = command_context()
        rows, malformed = _parse_csv(_csv_text())
        result = application().log_practice_batch(ctx, rows, malformed)
        return {"stored": len(result.entries), "entries": result.entries,
                "wait_token": signed_token(result.token)}, 201


def _csv_text() -> str:
    if request.content_length and request.content_length > MAX_CSV_BYTES:
        abort(413, message=f"a batch is at most {MAX_CSV_BYTES // 1024} KiB")
    data = request.get_data(cache=False)
    if len(data) > MAX_CSV_BYTES:
        abort(413, message=f"a batch is at most {MAX_CSV_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        abort(422, messages={"body": {"csv": ["must be UTF-8 text"]}})
    raise AssertionError("unreachable")


def _parse_csv(text: str) -> tuple[list[PracticeRow], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        abort(422, messages={"body": {"csv": [f"the header is not readable as CSV: {error}"]}})
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    twice = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or twice:
        abort(422, messages={"body": {"csv": [f"the header must name {', '.join(CSV_COLUMNS)} (and optionally "
                                              f"{', '.join(CSV_OPTIONAL_COLUMNS)}) once each; missing {missing}, "
                                              f"unknown {unknown}, named twice {twice}"]}})
    reader.fieldnames = header
    schema = PracticeRowSchema()
    rows: list[PracticeRow] = []
    malformed: list[dict[str, Any]] = []
    try:
        for raw in reader:
            line = reader.line_num
            if len(rows) + len(malformed) >= MAX_CSV_ROWS:
                abort(413, message=f"a batch is at most {MAX_CSV_ROWS} rows")
            if None in raw or any(v is None for v in raw.values()):
                malformed.append({"line": line, "code": "invalid-input", "message": "wrong number of columns",
                                  "details": {}})
                continue
            values = {k: v.strip() for k, v in raw.items()}
            for optional in CSV_OPTIONAL_COLUMNS:
                if not values.get(optional):
                    values.pop(optional, None)
            try:
                row = schema.load(values)
            except ValidationError as error:
                malformed.append({"line": line, "code": "invalid-input", "message": "the row has invalid fields",
                                  "details": {"fields": error.messages}})
                continue
            codes = tuple(c.strip() for c in row["competencies"].split(";") if c.strip())
            if not codes:
                malformed.append({"line": line, "code": "invalid-input", "message": "the row has invalid fields",
                                  "details": {"fields": {"competencies": ["name at least one code"]}}})
                continue
            rows.append(PracticeRow(line, str(row["student_id"]), row["date"], row["start"], row["end"], codes,
                                    row["description"], str(row["placement_id"]) if row.get("placement_id") else None,
                                    row.get("reason")))
    except csv.Error as error:
        abort(422, messages={"body": {"csv": [f"not readable as CSV: {error}"]}})
    if not rows and not malformed:
        abort(422, messages={"body": {"csv": ["no rows after the header"]}})
    return rows, malformed


# -- assessments ------------------------------------------------------------------------------------
@blp.route("/students/<uuid:student_id>/placements/<uuid:placement_id>/assessments")
class Assessments(MethodView):
    @blp.arguments(AssessRequest)
    @blp.response(201, CommandAccepted)
    @_errors
    def post(self, body: dict[str, Any], student_id: UUID, placement_id: UUID) -> Any:
        """Assess a competency on its scale, with evidence: a mentor of the centre assesses for the enterprise, a
        teacher or coordinator of the school for the school; when both have, the rule set combines them."""
        return accepted(application().assess_competency(
            command_context(), student_id, str(placement_id), expected_version=expected_version(), **body), 201)


# -- shapes -----------------------------------------------------------------------------------------
def _catalogue(catalogue: CompetencyCatalogue, on: date) -> dict[str, Any]:
    changes = []
    for code, history in catalogue.changes.items():
        previous = None
        for change in history:
            kind = "retired" if change.competency is None else (
                "defined" if previous is None or previous.competency is None else "target-revised")
            changes.append({"code": code, "effective_from": change.effective_from, "change": kind,
                            "target_hours": change.competency.target_hours if change.competency else None})
            previous = change
    return {"major": catalogue.major, "on": on, "version": catalogue.version,
            "competencies": [vars(c) for c in catalogue.in_force(on)],
            "changes": sorted(changes, key=lambda c: (c["effective_from"], c["code"]))}


def _revision(number: int, practice: Any) -> dict[str, Any]:
    return {"revision": number, "day": practice.day, "start": practice.start, "end": practice.end,
            "hours": round(practice.minutes / 60, 2), "competencies": list(practice.competencies),
            "description": practice.description}


def _logbook(record: TrainingRecord) -> dict[str, Any]:
    entries = sorted(record.entries.values(), key=lambda e: (e.current.day, e.current.start, e.id))
    return {
        "student_id": record.student_id, "version": record.version,
        "entries": [{
            "entry_id": e.id, "placement_id": e.placement_id, "status": e.status,
            "drafted_by_student": e.drafted_by_student, "revision": e.revision,
            "current": _revision(e.revision, e.current),
            "earlier_revisions": [_revision(i + 1, p) for i, p in enumerate(e.revisions[:-1])],
        } for e in entries],
    }

"""The data subject's file: everything held about a student, in one machine-readable document (their right of
access and to take their data with them). It nests the shapes the other routes answer, so each part reads the same
as where it comes from."""

from __future__ import annotations

from marshmallow import Schema, fields

from contracts.http.audit_reads import RecordedReadSchema
from contracts.http.calendars import StudentCalendarSchema
from contracts.http.credentials import CreditAccountSchema
from contracts.http.identity import GrantSchema
from contracts.http.placement_register import PlacementWithHistorySchema
from contracts.http.placements import StudentSchema
from contracts.http.training import LogbookSchema

FORMAT = "dualtrack.personal-data"
VERSION = 1


class EnrolmentSchema(StudentSchema):
    """The enrolment as the school holds it, with the school's name."""

    school_name = fields.String(allow_none=True)


class AccountSchema(Schema):
    """An account that speaks for the student (theirs, or a guardian's): who, how to reach them, the roles held.
    Never a password hash, a session or a token secret."""

    person_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    role = fields.String(required=True, metadata={"description": "student or guardian: how it speaks for them"})
    grants = fields.List(fields.Nested(GrantSchema), required=True)


class TrainingPlanSchema(Schema):
    """A placement's training plan: target hours per competency."""

    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    targets = fields.Dict(required=True)


class AssessmentSchema(Schema):
    """A competency assessed on a placement: by one side (enterprise, school), or both sides combined."""

    placement_id = fields.String(required=True)
    competency = fields.String(required=True)
    side = fields.String(required=True, metadata={"description": "enterprise, school or combined"})
    result = fields.Float(required=True)
    passed = fields.Boolean(required=True)
    scale = fields.String(required=True)


class PersonalDataSchema(Schema):
    """Everything held about a student, as of `generated_at`."""

    format = fields.String(required=True, metadata={"description": f"Always {FORMAT}."})
    version = fields.Integer(required=True, metadata={"description": f"The file's layout; {VERSION} now."})
    generated_at = fields.DateTime(required=True)
    student_id = fields.String(required=True)
    enrolment = fields.Nested(EnrolmentSchema, required=True)
    accounts = fields.List(fields.Nested(AccountSchema), required=True)
    placements = fields.List(fields.Nested(PlacementWithHistorySchema), required=True, metadata={
        "description": "Every placement with its history (what, when, who, why), oldest first."})
    training_plans = fields.List(fields.Nested(TrainingPlanSchema), required=True)
    logbook = fields.Nested(LogbookSchema, required=True, metadata={"description": "Every entry, every revision."})
    assessments = fields.List(fields.Nested(AssessmentSchema), required=True)
    credit_account = fields.Nested(CreditAccountSchema, required=True, metadata={
        "description": "Awards, every ledger line and the balance."})
    calendar = fields.Nested(StudentCalendarSchema, allow_none=True, metadata={
        "description": "The blocks of every published plan placing the student; null when none."})
    reads = fields.List(fields.Nested(RecordedReadSchema), required=True, metadata={
        "description": "Who read the student's personal data, what and when, oldest first."})

"""Requests and responses of the placements context: enterprises, centres, schools, students, placements."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.http.common import NOT_BLANK, CommandAccepted, Day, OptionalReasonRequest, ReasonRequest, RequestSchema
from services.common.rules import RULE_SETS
from services.common.vocabulary import PLACEMENT_KINDS, STOP_REASONS

_name = [NOT_BLANK, validate.Length(max=200)]


class RegisterEnterpriseRequest(RequestSchema):
    """Register an enterprise that hosts apprentices."""

    name = fields.String(required=True, validate=_name)
    registration_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class OpenCentreRequest(RequestSchema):
    """Open a practical training centre of the enterprise."""

    name = fields.String(required=True, validate=_name)
    address = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=500)])
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    specialities = fields.List(
        fields.String(validate=[NOT_BLANK, validate.Length(max=100)]),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Majors this centre can train, e.g. mechatronics."},
    )


class ChangeCapacityRequest(OptionalReasonRequest):
    """Change how many students the centre hosts at once."""

    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))


class AssignMentorRequest(RequestSchema):
    """Assign an enterprise mentor (the subject of their token) to the centre."""

    mentor_id = fields.String(required=True, validate=_name)
    name = fields.String(required=True, validate=_name)


class WithdrawMentorRequest(OptionalReasonRequest):
    """Withdraw a mentor from the centre."""


class CloseCentreRequest(ReasonRequest):
    """Close the centre; it takes no new placements."""


class EnterpriseSchema(Schema):
    """An enterprise as its own event store knows it now."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    registration_number = fields.String(allow_none=True)
    version = fields.Integer(required=True)


# -- schools and students -------------------------------------------------------------------------


class RegisterSchoolRequest(RequestSchema):
    """Register a school and the rule set its placements follow."""

    name = fields.String(required=True, validate=_name)
    code = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=32)])
    rule_set = fields.String(load_default="default", validate=validate.OneOf(sorted(RULE_SETS)),
                             metadata={"description": "default, or cn-vocational-internship (stricter)."})


class SchoolSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    rule_set = fields.String(required=True)
    version = fields.Integer(required=True)


class EnrolStudentRequest(RequestSchema):
    """Enrol a student at the school; a minor needs a guardian."""

    name = fields.String(required=True, validate=_name)
    major = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=100)])
    cohort = fields.Integer(required=True, strict=True, validate=validate.Range(min=1990, max=2100))
    enrolment_date = Day(required=True)
    date_of_birth = Day(required=True)
    guardian_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    guardian_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


_WHOLE = "the student's school's coordinators and teachers, admins, the student and their guardians"
_LEFT_OUT = "Left out of the answer (the key is absent, never null) for anyone else"


class StudentSchema(Schema):
    """A student's enrolment, with the fields the caller may see (least data per role). The student's school's
    coordinators and teachers, admins, the student and their guardians see every field; auditors, and the mentors
    and enterprise admins of an enterprise hosting the student (from its approval of a placement until the rule
    set's edit window after the placement's end), see it without date_of_birth, guardian_name and
    guardian_contact; an enterprise only asked to host (a proposal it has not approved) sees id, school_id, major,
    cohort and version. A field not shown is absent from the answer: absent means "not yours to see", null means
    "none recorded"."""

    id = fields.UUID(required=True)
    school_id = fields.String(required=True)
    name = fields.String(metadata={"description": "The student's name. Left out for an enterprise only asked to "
                                                  "host the student, before it approved the placement."})
    major = fields.String(required=True)
    cohort = fields.Integer(required=True)
    enrolment_date = Day(metadata={"description": "Left out for an enterprise only asked to host the student."})
    date_of_birth = Day(allow_none=True, metadata={
        "description": f"Shown to {_WHOLE} (null once the student's data was erased). {_LEFT_OUT}."})
    guardian_name = fields.String(allow_none=True, metadata={
        "description": f"The enrolled guardian (null: none, e.g. an adult). Shown to {_WHOLE}. {_LEFT_OUT}."})
    guardian_contact = fields.String(allow_none=True, metadata={
        "description": f"The guardian's email or phone (null: none). Shown to {_WHOLE}. {_LEFT_OUT}."})
    version = fields.Integer(required=True)


# -- placements -----------------------------------------------------------------------------------


class PlacementAccepted(CommandAccepted):
    """A placement command's receipt: the student's record (id, version, position) and the placement."""

    placement_id = fields.String(required=True)


class _Terms(RequestSchema):
    start = Day(required=True)
    planned_end = Day(required=True)
    post = fields.String(required=True, validate=_name)
    weekly_hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=80))

    @validates_schema
    def planned_end_not_before_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A field problem, so a 422 on the field."""
        if "start" in data and "planned_end" in data and data["planned_end"] < data["start"]:
            raise ValidationError(f"the planned end {data['planned_end']} is before the start {data['start']}",
                                  field_name="planned_end")


class ProposePlacementRequest(_Terms):
    """Propose placing the student at a training centre for a period."""

    centre_id = fields.UUID(required=True)
    kind = fields.String(load_default="post", validate=validate.OneOf(PLACEMENT_KINDS))
    speciality_override_reason = fields.String(
        load_default=None, allow_none=True,
        metadata={"description": "Needed when the student's major is not among the centre's specialities."})
    capacity_override_justification = fields.String(
        load_default=None, allow_none=True,
        metadata={"description": "Needed to exceed the centre's capacity; recorded as its own event."})


class EnterpriseApprovalRequest(RequestSchema):
    """The enterprise approves and names the mentor (assigned to the centre)."""

    mentor_id = fields.String(required=True, validate=_name)


class ConfirmationRequest(RequestSchema):
    """The student confirms; for a minor, their guardian (named as enrolled)."""

    confirmed_by = fields.String(load_default="student", validate=validate.OneOf(["student", "guardian"]))
    guardian_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class GuardianCodeRequest(RequestSchema):
    """The code mailed to the guardian."""

    code = fields.String(required=True, validate=[validate.Regexp(r"^\s*[0-9]{8}\s*$", error="8 digits")])


class GuardianCodeSent(Schema):
    sent_to = fields.String(required=True, metadata={"description": "The guardian's address, masked."})
    expires_at = fields.DateTime(required=True)


class DateRequest(RequestSchema):
    on = Day(load_default=None, allow_none=True, metadata={"description": "Default: today."})


class DatedRequest(DateRequest, OptionalReasonRequest):
    """A day (default today) and an optional reason."""


class PauseRequest(ReasonRequest):
    on = Day(load_default=None, allow_none=True, metadata={"description": "Default: today."})


class StopRequest(RequestSchema):
    """End the placement early: a date within it and a reason from the list (text when "other")."""

    on = Day(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(STOP_REASONS))
    reason_text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TransferRequest(ReasonRequest):
    """Move the student to another centre from a date; a new linked placement is proposed."""

    to_centre_id = fields.UUID(required=True, data_key="centre_id", metadata={"description": "The new centre."})
    on = Day(required=True)
    post = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    weekly_hours = fields.Integer(load_default=None, allow_none=True, strict=True,
                                  validate=validate.Range(min=1, max=80))
    speciality_override_reason = fields.String(load_default=None, allow_none=True)
    capacity_override_justification = fields.String(load_default=None, allow_none=True)


class AmendRequest(_Terms, ReasonRequest):
    """New terms for an agreed placement; school and enterprise approve them again. A pending amendment is
    replaced by a new one."""

    capacity_override_justification = fields.String(
        load_default=None, allow_none=True,
        metadata={"description": "Needed if the new period would exceed the centre's capacity."})

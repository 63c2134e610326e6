"""Requests of the placements context's commands."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.http.common import NOT_BLANK, OptionalReasonRequest, ReasonRequest

_name = [NOT_BLANK, validate.Length(max=200)]


class RegisterEnterpriseRequest(Schema):
    """Register an enterprise that hosts apprentices."""

    name = fields.String(required=True, validate=_name)
    registration_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class OpenCentreRequest(Schema):
    """Open a practical training centre of the enterprise."""

    name = fields.String(required=True, validate=_name)
    address = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=500)])
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    specialities = fields.List(
        fields.String(validate=[NOT_BLANK, validate.Length(max=100)]),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Majors this centre can train, e.g. mechatronics."},
    )


class ChangeCapacityRequest(OptionalReasonRequest):
    """Change how many students the centre hosts at once."""

    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))


class AssignMentorRequest(Schema):
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

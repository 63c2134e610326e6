"""Responses and filters of the centres read model."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.http.common import RequestSchema


class CentreFilter(RequestSchema):
    """Which centres to list."""

    enterprise_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "closed"]))
    speciality = fields.String(load_default=None)


class EnterpriseRef(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class MentorSchema(Schema):
    mentor_id = fields.String(required=True)
    name = fields.String(required=True)
    assigned_at = fields.String(required=True)


class CentreSchema(Schema):
    """A training centre as the centres read model shows it."""

    id = fields.String(required=True)
    enterprise = fields.Nested(EnterpriseRef, required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    capacity = fields.Integer(required=True)
    specialities = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    mentors = fields.List(fields.Nested(MentorSchema), required=True)
    opened_at = fields.String(required=True)
    closed_at = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    updated_at = fields.String(required=True)

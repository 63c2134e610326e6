"""Shapes shared by every route: command receipts and the one error format."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


class CommandAccepted(Schema):
    """What every command answers: the aggregate, its new version and the event log position."""

    id = fields.UUID(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back in If-Match to change it safely."})
    position = fields.Integer(
        allow_none=True, metadata={"description": "Position of the last recorded event in its context's log."}
    )


class ErrorBody(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Machine-readable: invalid-input, rule name, ..."})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        data_key="fields", metadata={"description": "Field errors by location (json, query, headers)."}
    )
    details = fields.Dict()
    correlation_id = fields.String()


class ApiError(Schema):
    """The one error format of the API."""

    error = fields.Nested(ErrorBody, required=True)


class ReasonRequest(Schema):
    reason = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=2000)], metadata={"description": "Why."})


class OptionalReasonRequest(Schema):
    reason = fields.String(load_default=None, allow_none=True)

"""Shapes shared by every route: command receipts and the one error format."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from services.common.input_limits import LIST_MAX, TEXT_MAX

NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _unprintable(text: str) -> bool:
    """Control characters (other than tab and line breaks) and unpaired surrogates: no real name has them,
    PostgreSQL text refuses NUL, and UTF-8 cannot encode a lone surrogate."""
    return _UNPRINTABLE.search(text) is not None


def _bounded(field: fields.Field) -> None:
    """Give a text field without a Length of its own at most TEXT_MAX characters, a list (or many nested) at most
    LIST_MAX items; the same for the items of a list and the keys and values of a mapping."""
    declared = [v for v in field.validators if isinstance(v, validate.Length) and v.max is not None]
    if isinstance(field, fields.String) and not isinstance(field, fields.UUID) and not declared:
        field.validators.append(validate.Length(max=TEXT_MAX, error="at most {max} characters"))
    elif isinstance(field, (fields.List, fields.Dict)) or (isinstance(field, fields.Nested) and field.many):
        if not declared:
            field.validators.append(validate.Length(max=LIST_MAX, error="at most {max} items"))
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    for part in inner:
        if isinstance(part, fields.Field):
            _bounded(part)


class RequestSchema(Schema):
    """Every request body and query: text must be printable, whatever the field; every text field is bounded
    (TEXT_MAX characters unless it declares its own Length) and every list (LIST_MAX items unless declared), so
    that a schema added later cannot forget it (and the OpenAPI document shows maxLength and maxItems)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bounded(field_obj)

    @pre_load
    def refuse_unprintable_text(self, data: Any, **kwargs: Any) -> Any:
        raw = getattr(data, "data", data)  # webargs wraps query strings; look at every value sent
        if hasattr(raw, "getlist"):
            items = list(raw.items(multi=True))
        else:
            items = list(raw.items()) if isinstance(raw, dict) else []
        bad = {}
        for key, value in items:
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and _unprintable(v) for v in values) or (
                isinstance(key, str) and _unprintable(key)
            ):
                bad[key if isinstance(key, str) and not _unprintable(key) else "?"] = [
                    "must not contain control characters or unpaired surrogates"]
        if bad:
            raise ValidationError(bad)
        return data


class Day(fields.Date):
    """A calendar day between 1900 and 2199: dates outside are typing errors, not apprenticeships."""

    def __init__(self, **kwargs: Any) -> None:
        bounds = validate.Range(min=date(1900, 1, 1), max=date(2199, 12, 31))
        given = kwargs.pop("validate", None)
        extra = [] if given is None else (list(given) if isinstance(given, (list, tuple)) else [given])
        super().__init__(validate=[bounds, *extra], **kwargs)


class CommandAccepted(Schema):
    """What every command answers: the aggregate, its new version and the event log position."""

    id = fields.UUID(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back in If-Match to change it safely."})
    position = fields.Integer(
        allow_none=True, metadata={"description": "Position of the last recorded event in its context's log."}
    )
    wait_token = fields.String(metadata={"description": "Pass it as ?wait_for= on a query to read this write: the "
                                         "query waits (bounded) until its read model has applied it."})


class FreshnessQuery(RequestSchema):
    """Ask a query to wait until its read model shows a write (the wait_token a command answered)."""

    wait_for = fields.String(load_default=None, validate=validate.Length(max=4000), metadata={
        "description": "A command's wait_token."})
    wait_timeout = fields.Float(load_default=5.0, allow_nan=False, validate=validate.Range(min=0, max=10), metadata={
        "description": "Seconds to wait at most (0-10, default 5); past it the answer is 503 read-model-behind."})


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


class NoBody(RequestSchema):
    """No fields: the command says everything by its path."""


class ReasonRequest(RequestSchema):
    reason = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=2000)],
                           metadata={"description": "Why."})


class OptionalReasonRequest(RequestSchema):
    reason = fields.String(load_default=None, allow_none=True)

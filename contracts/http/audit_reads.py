"""Responses of the reads list: who read a student's personal data, what, and when."""

from __future__ import annotations

from marshmallow import Schema, fields


class RecordedReadSchema(Schema):
    """One recorded read of a student's personal data."""

    number = fields.Integer(required=True, metadata={"description": "1 for the student's first recorded read, ..."})
    read_at = fields.DateTime(required=True, metadata={"description": "When the read was recorded (UTC): the first "
                                                       "of its window's reads."})
    times = fields.Integer(required=True, metadata={
        "description": "How many reads of the same thing by the same person this record stands for: repeated reads "
        "within a window (15 minutes by default) are one record with a count."})
    last_read_at = fields.DateTime(required=True, metadata={"description": "When the last of them was (UTC)."})
    read_by = fields.String(required=True, metadata={"description": "The token's subject."})
    role = fields.String(required=True, metadata={
        "description": "The reader's role: auditor, admin, coordinator, teacher, mentor, enterprise-admin, ..."})
    correlation_id = fields.String(required=True, metadata={"description": "The request's X-Correlation-ID."})
    what = fields.String(required=True, metadata={"description": "e.g. progress, logbook, credit-account"})
    path = fields.String(required=True, metadata={"description": "The request path that answered the read."})

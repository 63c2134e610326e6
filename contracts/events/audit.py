"""Payloads published on `dualtrack.audit`: reads of students' personal data.

Who read is in the `ce_actor`, `ce_actorrole` and `ce_correlationid` headers, when in `ce_time`.
"""

from __future__ import annotations

from marshmallow import Schema, fields

CONTEXT = "audit"


class ReadLogOpenedV1(Schema):
    """The log of reads of a student's personal data was opened (subject: the log)."""

    student_id = fields.String(required=True)


class PersonalDataReadV1(Schema):
    """Someone read a student's personal data (subject: the student's read log)."""

    student_id = fields.String(required=True)
    what = fields.String(required=True, metadata={"description": "e.g. progress, logbook, credit-account"})
    path = fields.String(required=True, metadata={"description": "The request path that answered the read."})


class PersonalDataReadRepeatedV1(Schema):
    """The reader of an earlier recorded read read the same thing again within its window (15 minutes by default;
    subject: the student's read log), recorded once the window is over: how many reads the window held in all."""

    student_id = fields.String(required=True)
    what = fields.String(required=True)
    read = fields.Integer(required=True, metadata={
        "description": "The version of the window's opening PersonalDataRead in this read log: its id is "
        "<subject>:<read>."})
    times = fields.Integer(required=True, metadata={"description": "Reads in the window, the opening one included."})
    last_read_at = fields.String(required=True, metadata={"description": "When the last of them was (ISO 8601)."})


PUBLISHED = {
    f"events.audit:{name}": (name, 1, schema)
    for name, schema in (
        ("ReadLogOpened", ReadLogOpenedV1),
        ("PersonalDataRead", PersonalDataReadV1),
        ("PersonalDataReadRepeated", PersonalDataReadRepeatedV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

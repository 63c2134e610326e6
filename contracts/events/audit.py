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


PUBLISHED = {
    f"events.audit:{name}": (name, 1, schema)
    for name, schema in (
        ("ReadLogOpened", ReadLogOpenedV1),
        ("PersonalDataRead", PersonalDataReadV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

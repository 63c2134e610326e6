"""Schemas of the privacy routes: a student's erasure."""

from __future__ import annotations

from marshmallow import Schema, fields

from contracts.http.common import ReasonRequest


class ErasureRequest(ReasonRequest):
    """Why the student's personal data is erased: on whose request, a case number; never about the person (the
    reason is kept readable in the history, for auditors)."""


class ErasureSchema(Schema):
    """What the erasure did. Asking again for an erased student finishes any step an interrupted erasure left
    undone and records nothing new."""

    student_id = fields.String(required=True)
    recorded = fields.Boolean(required=True, metadata={
        "description": "true: this request recorded the erasure; false: the student was erased before"})
    accounts_erased = fields.Integer(required=True, metadata={
        "description": "accounts that spoke only for the student (theirs, a guardian's of no other student)"})
    keys_destroyed = fields.Integer(required=True, metadata={
        "description": "keys destroyed: the student's, their training record's and those accounts'"})
    snapshots_deleted = fields.Integer(required=True)

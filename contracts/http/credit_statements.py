"""Responses of the credit statements read model."""

from __future__ import annotations

from marshmallow import Schema, fields


class StatementEntrySchema(Schema):
    """One event of the credit account, in the order recorded: an award, an amendment, a revocation or a ledger
    line. Fields that do not apply to the event are null."""

    event_id = fields.String(required=True, metadata={
        "description": "account:version; what a line's caused_by names."})
    sequence = fields.Integer(required=True, metadata={"description": "The account's version: the recorded order."})
    event = fields.String(required=True, metadata={
        "description": "CertificateAwarded, CertificateAmended, CertificateRevoked or CreditsPosted."})
    recorded_at = fields.String(required=True)
    actor = fields.String(allow_none=True, metadata={"description": "Who did it."})
    actor_role = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={
        "description": "Why: an override's, an amendment's or a revocation's reason (and its lines')."})
    award_id = fields.String(required=True)
    certificate_code = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    awarded_on = fields.String(allow_none=True, metadata={"description": "Awards and amendments: the award's day."})
    certificate_number = fields.String(allow_none=True)
    eligible = fields.Boolean(allow_none=True, metadata={"description": "Awards: false when by override."})
    eligibility = fields.List(fields.Dict(), allow_none=True, metadata={
        "description": "Awards: each requirement with the student's figure, as checked at the award."})
    revocation_reason = fields.String(allow_none=True)
    line_id = fields.String(allow_none=True)
    kind = fields.String(allow_none=True, metadata={"description": "Lines: deposit, conversion or reversal."})
    debit = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)
    amount = fields.Integer(allow_none=True)
    effect = fields.Integer(allow_none=True, metadata={"description": "Lines: what the line did to the balance."})
    balance_after = fields.Integer(required=True, metadata={"description": "The balance once this was recorded."})
    course = fields.String(allow_none=True)
    exempt = fields.Boolean(allow_none=True)
    rule_id = fields.String(allow_none=True)
    reverses = fields.String(allow_none=True, metadata={"description": "Reversals: the line_id reversed."})
    caused_by = fields.List(fields.String(), allow_none=True, metadata={
        "description": "Lines: the event_ids that caused the line (an award, a revocation)."})


class CreditStatementSchema(Schema):
    """A student's credit account history, like a bank statement."""

    student_id = fields.String(required=True)
    school_id = fields.String(required=True)
    account_id = fields.String(required=True)
    opened_at = fields.String(required=True)
    opened_by = fields.String(allow_none=True)
    balance = fields.Integer(required=True, metadata={"description": "Credits available now (unconverted)."})
    entries = fields.List(fields.Nested(StatementEntrySchema), required=True)

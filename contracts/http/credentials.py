"""Requests and responses of the credentials context: the X-certificate catalogue, eligibility, awards, credit
accounts, signed credit statements and order classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from contracts.http.common import NOT_BLANK, CommandAccepted, Day, RequestSchema

LEVELS = ("junior", "intermediate", "senior")
"""Certificate levels, in order (the domain's own list, repeated here: contracts do not import services)."""

CERTIFICATE_CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error="1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it goes into URLs)")
_text = [NOT_BLANK, validate.Length(max=300)]
_code = [NOT_BLANK, validate.Length(max=64)]
_reason = [NOT_BLANK, validate.Length(max=2000)]


def _level(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(LEVELS), metadata={"description": " < ".join(LEVELS)}, **kwargs)


def _unique(key: str, what: str) -> Callable[[list[dict[str, Any]]], None]:
    """A list of objects in which `key` is not repeated."""

    def check(items: list[dict[str, Any]]) -> None:
        seen = [item.get(key) for item in items]
        twice = sorted({str(v) for v in seen if seen.count(v) > 1})
        if twice:
            raise ValidationError(f"each {what} once; named more than once: {', '.join(twice)}")

    return check


# -- the catalogue --------------------------------------------------------------------------------------
class RequirementRequest(RequestSchema):
    """What a student shows for one competency to reach the level."""

    competency = fields.String(required=True, validate=_code, metadata={"description": "A competency code."})
    min_signed_hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=100000),
                                    metadata={"description": "Signed practice hours at least."})
    min_assessment = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                                  validate=validate.Range(min=0, max=1000), metadata={
                                      "description": "The lowest passed combined assessment that counts; null: no "
                                                     "assessment needed."})


class LevelRequest(RequestSchema):
    level = _level(required=True)
    credits = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000), metadata={
        "description": "Credits the level is worth; a higher level at least as many as a lower one."})
    requirements = fields.List(fields.Nested(RequirementRequest), required=True,
                               validate=[validate.Length(max=50), _unique("competency", "competency")])


class ListCertificateRequest(RequestSchema):
    """Add a vocational skill-level (X) certificate to the catalogue, with its levels."""

    code = fields.String(required=True, validate=CERTIFICATE_CODE, metadata={"description": "e.g. X-RTM"})
    title = fields.String(required=True, validate=_text)
    awarding_organisation = fields.String(required=True, validate=_text)
    levels = fields.List(fields.Nested(LevelRequest), required=True,
                         validate=[validate.Length(min=1, max=len(LEVELS)), _unique("level", "level")])


class ConversionRequest(RequestSchema):
    course = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=200)])
    credits = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000), metadata={
        "description": "Credits of the award the course uses."})
    exempt = fields.Boolean(load_default=False, metadata={"description": "Whether the course is exempted."})


class AdoptConversionRuleRequest(RequestSchema):
    """From a date, a level converts into course credits and exemptions (at most the level's credits)."""

    level = _level(required=True)
    effective_from = Day(required=True)
    conversions = fields.List(fields.Nested(ConversionRequest), required=True,
                              validate=[validate.Length(min=1, max=50), _unique("course", "course")])


class RequirementSchema(Schema):
    competency = fields.String(required=True)
    min_signed_hours = fields.Float(required=True)
    min_assessment = fields.Float(allow_none=True)


class LevelSchema(Schema):
    level = fields.String(required=True)
    credits = fields.Integer(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), required=True)


class ConversionSchema(Schema):
    course = fields.String(required=True)
    credits = fields.Integer(required=True)
    exempt = fields.Boolean(required=True)


class ConversionRuleSchema(Schema):
    rule_id = fields.String(required=True)
    level = fields.String(required=True)
    effective_from = fields.Date(required=True)
    conversions = fields.List(fields.Nested(ConversionSchema), required=True)


class CertificateSchema(Schema):
    """A certificate of the catalogue: its levels in order, and every conversion rule adopted."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    awarding_organisation = fields.String(required=True)
    version = fields.Integer(required=True)
    levels = fields.List(fields.Nested(LevelSchema), required=True)
    conversion_rules = fields.List(fields.Nested(ConversionRuleSchema), required=True)


# -- eligibility ----------------------------------------------------------------------------------------
class EligibilityQuery(RequestSchema):
    certificate = fields.String(required=True, validate=CERTIFICATE_CODE, metadata={"description": "A code."})
    level = _level(required=True)
    as_of = Day(load_default=None, metadata={
        "description": "Read the training record as it was recorded by the end of this day (default: now)."})


class EligibilityRowSchema(Schema):
    competency = fields.String(required=True)
    min_signed_hours = fields.Float(required=True)
    signed_hours = fields.Float(required=True)
    min_assessment = fields.Float(allow_none=True)
    assessment = fields.Float(allow_none=True, metadata={"description": "The best passed combined result."})
    met = fields.Boolean(required=True)


class EligibilitySchema(Schema):
    """Every requirement of the level beside the student's figure, met or not."""

    student_id = fields.String(required=True)
    certificate_code = fields.String(required=True)
    level = fields.String(required=True)
    as_of = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD; null: as recorded now."})
    eligible = fields.Boolean(required=True)
    requirements = fields.List(fields.Nested(EligibilityRowSchema), required=True)


# -- awards ---------------------------------------------------------------------------------------------
class AwardRequest(RequestSchema):
    """Award a level: on eligibility, or by override with a reason."""

    certificate_code = fields.String(required=True, validate=CERTIFICATE_CODE)
    level = _level(required=True)
    awarded_on = Day(load_default=None, metadata={"description": "Default: today."})
    certificate_number = fields.String(load_default=None, allow_none=True,
                                       validate=[NOT_BLANK, validate.Length(max=100)])
    override_reason = fields.String(load_default=None, allow_none=True, validate=_reason, metadata={
        "description": "Why the level is awarded though the student does not meet every requirement."})


class AmendAwardRequest(RequestSchema):
    """Correct an award's date or number, with a reason."""

    awarded_on = Day(required=True)
    certificate_number = fields.String(required=True, allow_none=True, validate=[NOT_BLANK, validate.Length(max=100)])
    reason = fields.String(required=True, validate=_reason)


class RevokeAwardRequest(RequestSchema):
    """Revoke the award: its conversions are reversed, then its deposit."""

    reason = fields.String(required=True, validate=_reason)


class ConvertCreditsRequest(RequestSchema):
    """Convert the award's credits by the conversion rule in force on a day."""

    on = Day(load_default=None, metadata={"description": "The day whose rule applies (default: today)."})


class AwardAccepted(CommandAccepted):
    award_id = fields.String(required=True)


class AwardSchema(Schema):
    award_id = fields.String(required=True)
    certificate_code = fields.String(required=True)
    level = fields.String(required=True)
    credits = fields.Integer(required=True)
    unconverted = fields.Integer(required=True, metadata={"description": "Credits of the award still available."})
    awarded_on = fields.Date(required=True)
    certificate_number = fields.String(allow_none=True)
    eligible = fields.Boolean(required=True, metadata={"description": "False: awarded by override."})
    override_reason = fields.String(allow_none=True)
    revoked = fields.Boolean(required=True)
    revocation_reason = fields.String(allow_none=True)


class LedgerLineSchema(Schema):
    line_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "deposit, conversion or reversal"})
    award_id = fields.String(required=True)
    debit = fields.String(required=True, metadata={"description": "The account the amount leaves."})
    credit = fields.String(required=True, metadata={"description": "The account the amount enters."})
    amount = fields.Integer(required=True)
    course = fields.String(allow_none=True)
    exempt = fields.Boolean(required=True)
    rule_id = fields.String(allow_none=True)
    reverses = fields.String(allow_none=True, metadata={"description": "The line this one reverses."})
    caused_by = fields.List(fields.String(), required=True, metadata={
        "description": "Events (aggregate:version) that caused the line."})


class CreditAccountSchema(Schema):
    """A student's awards and every line of their credit ledger, as the event store knows it now."""

    student_id = fields.String(required=True)
    school_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back in If-Match to change it safely."})
    awards = fields.List(fields.Nested(AwardSchema), required=True)
    ledger = fields.List(fields.Nested(LedgerLineSchema), required=True)
    balance = fields.Integer(required=True, metadata={"description": "Credits available (never below zero)."})


# -- the signed statement -------------------------------------------------------------------------------
class StatementCertificateSchema(Schema):
    award_id = fields.String(required=True)
    code = fields.String(required=True)
    title = fields.String(allow_none=True)
    awarding_organisation = fields.String(allow_none=True)
    level = fields.String(required=True)
    credits = fields.Integer(required=True)
    awarded_on = fields.String(required=True)
    certificate_number = fields.String(allow_none=True)
    by_override = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "awarded or revoked"})


class StatementLineSchema(Schema):
    line_id = fields.String(required=True)
    kind = fields.String(required=True)
    award_id = fields.String(required=True)
    debit = fields.String(required=True)
    credit = fields.String(required=True)
    amount = fields.Integer(required=True)
    course = fields.String(allow_none=True)
    exempt = fields.Boolean(required=True)
    reverses = fields.String(allow_none=True)


class StatementSchema(Schema):
    student_id = fields.String(required=True)
    school_id = fields.String(required=True)
    issued_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    issuer = fields.String(required=True)
    account_version = fields.Integer(required=True)
    certificates = fields.List(fields.Nested(StatementCertificateSchema), required=True)
    ledger = fields.List(fields.Nested(StatementLineSchema), required=True)
    balance = fields.Integer(required=True)


class StatementSignatureSchema(Schema):
    algorithm = fields.String(required=True, metadata={"description": "Ed25519"})
    key_id = fields.String(required=True, metadata={
        "description": "The signing key's id (kid) among the published statements keys (GET /api/v1/keys): first 16 "
                       "hex digits of the SHA-256 of the raw public key."})
    public_key = fields.String(required=True, metadata={
        "description": "The raw public key, base64; never trusted on its own: check against a trusted key."})
    value = fields.String(required=True, metadata={
        "description": "Base64 Ed25519 signature of the canonical JSON of `statement` (keys sorted, separators "
                       "',' and ':', UTF-8)."})


class SignedStatementSchema(Schema):
    """A credit statement signed with the deployment's current statements key. The file is its own canonical JSON:
    keep it as downloaded; `dualtrack credentials verify FILE --key-set KEYS` checks it against the published key set
    (GET /api/v1/keys saved as KEYS), or `--public-key PEM` against a pinned key."""

    statement = fields.Nested(StatementSchema, required=True)
    signature = fields.Nested(StatementSignatureSchema, required=True)


# -- order classes --------------------------------------------------------------------------------------
class WantedCertificateRequest(RequestSchema):
    code = fields.String(required=True, validate=CERTIFICATE_CODE)
    level = _level(required=True)


class OrderClassRequest(RequestSchema):
    """An enterprise orders a cohort trained for it (its mentors, admins)."""

    enterprise_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=_text)
    students = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    major = fields.String(required=True, validate=_code)
    certificates = fields.List(fields.Nested(WantedCertificateRequest), required=True,
                               validate=[validate.Length(min=1, max=20), _unique("code", "certificate")])
    deadline = Day(required=True, metadata={"description": "After today."})


class AssignStudentsRequest(RequestSchema):
    """Students of an order class: proposed by their school, accepted or declined by the ordering enterprise."""

    student_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))


class OrderCertificateRowSchema(Schema):
    code = fields.String(required=True)
    level = fields.String(required=True)
    holders = fields.List(fields.String(), required=True, metadata={
        "description": "Students holding the level or a higher one."})
    eligible = fields.List(fields.String(), required=True, metadata={
        "description": "Students meeting the level's requirements, not yet awarded."})
    not_yet = fields.List(fields.String(), required=True)
    short_of_order = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Students ordered less holders; null in a school's view (it would count other schools')."})


class OrderReportSchema(Schema):
    """How the class stands against the order: per certificate, who holds it, who is eligible, who is not yet."""

    order_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    name = fields.String(required=True)
    major = fields.String(required=True)
    students_ordered = fields.Integer(required=True)
    students_assigned = fields.Integer(required=True, metadata={"description": "Students in the class (accepted)."})
    proposed = fields.List(fields.String(), required=True, metadata={
        "description": "Students proposed and waiting for the enterprise (a school's view: its own)."})
    scope = fields.String(required=True, metadata={
        "description": "order: every student (the enterprise, admins, auditors); school: the caller's school's."})
    deadline = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    days_left = fields.Integer(required=True)
    certificates = fields.List(fields.Nested(OrderCertificateRowSchema), required=True)

"""Payloads published on `dualtrack.credentials`.

A revocation's reason is free text about a student: not published (v1 carried it); read it through the credentials
API (`/api/v1/students/{id}/credit-account`). Why an award was an override is not published either (`ce_hasreason`
says one was given).
"""

from __future__ import annotations

from marshmallow import Schema, fields

CONTEXT = "credentials"


class CertificateListedV1(Schema):
    """A certificate joined the catalogue (subject: the certificate)."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    awarding_organisation = fields.String(required=True)
    levels = fields.List(fields.Dict(), required=True, metadata={
        "description": 'Each {"level", "credits", "requirements": [{"competency", "min_signed_hours", '
                       '"min_assessment"}]}, junior before intermediate before senior.'})


class ConversionRuleAdoptedV1(Schema):
    """From a date, a certificate level converts into course credits and exemptions."""

    rule_id = fields.String(required=True)
    level = fields.String(required=True)
    effective_from = fields.Date(required=True)
    conversions = fields.List(fields.Dict(), required=True, metadata={"description": 'Each {"course", "credits", '
                                                                                     '"exempt"}.'})


class CreditAccountOpenedV1(Schema):
    """A student's credit account was opened (subject: the account)."""

    student_id = fields.String(required=True)
    school_id = fields.String(required=True)


class CertificateAwardedV1(Schema):
    """A certificate level was awarded (on eligibility, or by override: `eligible` is false, `ce_hasreason` true)."""

    award_id = fields.String(required=True)
    certificate_code = fields.String(required=True)
    level = fields.String(required=True)
    awarded_on = fields.Date(required=True)
    certificate_number = fields.String(allow_none=True)
    eligibility = fields.List(fields.Dict(), required=True)
    eligible = fields.Boolean(required=True)


class CertificateAmendedV1(Schema):
    """An award's date or number was corrected."""

    award_id = fields.String(required=True)
    awarded_on = fields.Date(required=True)
    certificate_number = fields.String(allow_none=True)


class CertificateRevokedV2(Schema):
    """An award was revoked (the reason is not published: v1 carried it)."""

    award_id = fields.String(required=True)


class CreditsPostedV1(Schema):
    """A line of the double-entry credit ledger."""

    line_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "deposit, conversion or reversal"})
    award_id = fields.String(required=True)
    debit = fields.String(required=True)
    credit = fields.String(required=True)
    amount = fields.Integer(required=True)
    course = fields.String(allow_none=True)
    exempt = fields.Boolean(required=True)
    rule_id = fields.String(allow_none=True)
    reverses = fields.String(allow_none=True)
    caused_by = fields.List(fields.String(), required=True)


class ClassOrderedV1(Schema):
    """An enterprise ordered a cohort trained for it."""

    enterprise_id = fields.String(required=True)
    name = fields.String(required=True)
    students = fields.Integer(required=True)
    major = fields.String(required=True)
    certificates = fields.List(fields.Dict(), required=True)
    deadline = fields.Date(required=True)


class StudentsProposedForOrderV1(Schema):
    """A school proposed students for an order class; they join it once the ordering enterprise accepts them."""

    student_ids = fields.List(fields.String(), required=True)


class StudentsAssignedToOrderV1(Schema):
    """Students are in an order class: the ordering enterprise accepted them (records from before proposals: their
    school assigned them)."""

    student_ids = fields.List(fields.String(), required=True)


class StudentsDeclinedForOrderV1(Schema):
    """The ordering enterprise declined students proposed for its order class."""

    student_ids = fields.List(fields.String(), required=True)


PUBLISHED = {
    f"events.credentials:{name}": (name, 2 if name == "CertificateRevoked" else 1, schema)
    for name, schema in (
        ("CertificateListed", CertificateListedV1),
        ("ConversionRuleAdopted", ConversionRuleAdoptedV1),
        ("CreditAccountOpened", CreditAccountOpenedV1),
        ("CertificateAwarded", CertificateAwardedV1),
        ("CertificateAmended", CertificateAmendedV1),
        ("CertificateRevoked", CertificateRevokedV2),
        ("CreditsPosted", CreditsPostedV1),
        ("ClassOrdered", ClassOrderedV1),
        ("StudentsProposedForOrder", StudentsProposedForOrderV1),
        ("StudentsAssignedToOrder", StudentsAssignedToOrderV1),
        ("StudentsDeclinedForOrder", StudentsDeclinedForOrderV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

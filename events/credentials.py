"""Events of the credentials context: the X-certificate catalogue, awards, credit accounts and order classes."""

from __future__ import annotations

from datetime import date
from typing import Any

from events.base import DomainCreated, DomainEvent

# -- the certificate catalogue --------------------------------------------------------------------


class CertificateListed(DomainCreated):
    """A vocational skill-level certificate joined the catalogue, with its ordered levels."""

    code: str
    title: str
    awarding_organisation: str
    levels: list[dict[str, Any]]
    """[{"level", "credits", "requirements": [{"competency", "min_signed_hours", "min_assessment"}]}],
    junior before intermediate before senior."""


class ConversionRuleAdopted(DomainEvent):
    """From a date, a level of the certificate converts into course credits and exemptions."""

    rule_id: str
    level: str
    effective_from: date
    conversions: list[dict[str, Any]]
    """[{"course", "credits", "exempt"}]: credits used from the award for each course, and whether the
    course is exempted."""


# -- a student's credit account -------------------------------------------------------------------


class CreditAccountOpened(DomainCreated):
    """A student's credit account was opened (subject: the account; the student is named inside)."""

    student_id: str
    school_id: str


class CertificateAwarded(DomainEvent):
    """A certificate level was awarded: on eligibility, or by an authorised override with a reason."""

    award_id: str
    certificate_code: str
    level: str
    awarded_on: date
    certificate_number: str | None
    eligibility: list[dict[str, Any]]
    """Each requirement with the student's figure and whether it was met, as checked at the award."""
    eligible: bool


class CertificateAmended(DomainEvent):
    """An award's record was corrected (its date or number); the reason is in the event's metadata."""

    award_id: str
    awarded_on: date
    certificate_number: str | None


class CertificateRevoked(DomainEvent):
    """An award was revoked, with a reason; its credits are reversed."""

    award_id: str
    reason: str


class CreditsPosted(DomainEvent):
    """One line of the double-entry credit ledger: an amount moved from one account to another."""

    line_id: str
    kind: str
    """deposit, conversion or reversal."""
    award_id: str
    debit: str
    credit: str
    amount: int
    course: str | None
    exempt: bool
    rule_id: str | None
    reverses: str | None
    caused_by: list[str]
    """Ids (aggregate:version) of the events that caused the line."""


# -- order classes --------------------------------------------------------------------------------


class ClassOrdered(DomainCreated):
    """An enterprise ordered a cohort trained for it."""

    enterprise_id: str
    name: str
    students: int
    major: str
    certificates: list[dict[str, Any]]
    """[{"code", "level"}] every student should hold."""
    deadline: date


class StudentsProposedForOrder(DomainEvent):
    """A school (its coordinator, or an admin) proposed students for an order class: they join it only once the
    ordering enterprise accepts them."""

    student_ids: list[str]


class StudentsAssignedToOrder(DomainEvent):
    """Students are in an order class: the ordering enterprise accepted them (earlier events, from before proposals,
    recorded a school's own assignment and stand for accepted students)."""

    student_ids: list[str]


class StudentsDeclinedForOrder(DomainEvent):
    """The ordering enterprise declined students a school proposed for its order class."""

    student_ids: list[str]

"""A student's credit account: certificates awarded, and a double-entry ledger of credits.

Every ledger line moves an amount from one account to another: a deposit from the award to the
student's `available` credits, a conversion from `available` to a course, a reversal back the way a
line came. The balance is what `available` holds, and it never goes below zero: conversions use only
credits of the award they name, and a revocation reverses its conversions before its deposit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.credentials import (
    CertificateAmended,
    CertificateAwarded,
    CertificateRevoked,
    CreditAccountOpened,
    CreditsPosted,
)
from services.common.errors import NotFound, RuleViolated
from services.credentials.domain.catalogue import Certificate, ConversionRule, Level

AVAILABLE = "available"


def credit_account_id(student_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"dualtrack:credit-account:{student_id}")


@dataclass
class Award:
    award_id: str
    certificate_code: str
    level: str
    credits: int
    awarded_on: date
    certificate_number: str | None
    revoked: bool = False
    eligible: bool = True
    """False: awarded by override (the reason is `override_reason`)."""
    override_reason: str | None = None
    revocation_reason: str | None = None
    event_id: str = ""
    """The award event (account:version): the ledger lines it causes name it."""


@dataclass(frozen=True)
class Line:
    line_id: str
    kind: str
    award_id: str
    debit: str
    credit: str
    amount: int
    course: str | None
    exempt: bool
    rule_id: str | None
    reverses: str | None
    caused_by: tuple[str, ...] = ()
    """Ids (aggregate:version) of the events that caused the line."""

    def effect_on(self, account: str) -> int:
        return (self.amount if self.credit == account else 0) - (self.amount if self.debit == account else 0)


class CreditAccount(Aggregate):
    """A student's certificates and credit ledger."""

    def __init__(self, *, student_id: str, school_id: str, meta: EventMeta) -> None:
        self.student_id = student_id
        self.school_id = school_id
        self.awards: dict[str, Award] = {}
        self.lines: list[Line] = []

    @classmethod
    def open(cls, *, student_id: str, school_id: str, meta: EventMeta) -> CreditAccount:
        return cls._create(CreditAccountOpened, id=credit_account_id(student_id), student_id=student_id,
                           school_id=school_id, meta=meta)

    # -- queries ----------------------------------------------------------------------------------
    @property
    def balance(self) -> int:
        return sum(line.effect_on(AVAILABLE) for line in self.lines)

    def award(self, award_id: str) -> Award:
        found = self.awards.get(award_id)
        if found is None:
            raise NotFound(f"student {self.student_id} has no award {award_id}", award_id=award_id)
        return found

    def unconverted(self, award_id: str) -> int:
        """Credits of the award still in `available`: its deposit less what its conversions used."""
        return sum(line.effect_on(AVAILABLE) for line in self.lines if line.award_id == award_id)

    def reversed_lines(self) -> set[str]:
        return {line.reverses for line in self.lines if line.reverses}

    # -- commands ---------------------------------------------------------------------------------
    def award_certificate(self, certificate: Certificate, level: Level, *, awarded_on: date,
                          certificate_number: str | None, eligibility: list[dict[str, Any]], eligible: bool,
                          meta: EventMeta) -> str:
        """Award a level: the student meets every requirement, or an authorised person overrides (meta.reason)."""
        held = [a for a in self.awards.values()
                if a.certificate_code == certificate.code and a.level == level.level and not a.revoked]
        if held:
            raise RuleViolated("already-awarded", f"the student already holds {certificate.code} {level.level}",
                               award_id=held[0].award_id)
        if not eligible and not (meta.reason or "").strip():
            unmet = [r for r in eligibility if not r["met"]]
            raise RuleViolated("not-eligible", f"the student does not meet {len(unmet)} requirement(s) of "
                               f"{certificate.code} {level.level}; an override needs a reason", unmet=unmet)
        award_id = str(uuid4())
        self.trigger_event(CertificateAwarded, award_id=award_id, certificate_code=certificate.code,
                           level=level.level, awarded_on=awarded_on, certificate_number=certificate_number,
                           eligibility=eligibility, eligible=eligible, meta=meta)
        if level.credits:
            self._post("deposit", award_id, f"award:{award_id}", AVAILABLE, level.credits, caused_by=[self._last()],
                       meta=meta)
        return award_id

    def amend(self, award_id: str, *, awarded_on: date, certificate_number: str | None, meta: EventMeta) -> None:
        award = self._live(award_id, "amend")
        if not (meta.reason or "").strip():
            raise RuleViolated("amendment-reason", "an amendment says why", award_id=award_id)
        if (award.awarded_on, award.certificate_number) == (awarded_on, certificate_number):
            raise RuleViolated("amendment-changes-nothing", "the award already reads so", award_id=award_id)
        self.trigger_event(CertificateAmended, award_id=award_id, awarded_on=awarded_on,
                           certificate_number=certificate_number, meta=meta)

    def convert(self, award_id: str, rule: ConversionRule, meta: EventMeta) -> list[str]:
        """Use the award's credits for the courses of a conversion rule; returns the new ledger lines."""
        self._live(award_id, "convert")
        converted = {(line.rule_id, line.course) for line in self.lines
                     if line.award_id == award_id and line.kind == "conversion" and line.line_id not in
                     self.reversed_lines()}
        if any((rule.rule_id, c["course"]) in converted for c in rule.conversions):
            raise RuleViolated("already-converted", "the award was already converted by this rule",
                               award_id=award_id, rule_id=rule.rule_id)
        needed = sum(c["credits"] for c in rule.conversions)
        left = self.unconverted(award_id)
        if needed > left:
            raise RuleViolated("not-enough-credits", f"the award has {left} unconverted credits; the rule uses "
                               f"{needed}", award_id=award_id, unconverted=left, needed=needed)
        return [self._post("conversion", award_id, AVAILABLE, f"course:{c['course']}", c["credits"],
                           course=c["course"], exempt=bool(c.get("exempt")), rule_id=rule.rule_id,
                           caused_by=[e for e in (self.awards[award_id].event_id, rule.event_id) if e],
                           meta=meta)
                for c in rule.conversions]

    def revoke(self, award_id: str, reason: str, meta: EventMeta) -> None:
        """Revoke an award: its conversions are reversed, then its deposit."""
        self._live(award_id, "revoke")
        if not reason.strip():
            raise RuleViolated("revocation-reason", "a revocation says why", award_id=award_id)
        self.trigger_event(CertificateRevoked, award_id=award_id, reason=reason, meta=meta)
        cause = [self._last()]
        undone = self.reversed_lines()
        live = [line for line in self.lines if line.award_id == award_id and line.kind != "reversal"
                and line.line_id not in undone]
        for line in sorted(live, key=lambda ln: ln.kind != "conversion"):  # conversions first, then the deposit
            self._post("reversal", award_id, line.credit, line.debit, line.amount, course=line.course,
                       exempt=line.exempt, rule_id=line.rule_id, reverses=line.line_id, caused_by=cause, meta=meta)

    # -- helpers ----------------------------------------------------------------------------------
    def _live(self, award_id: str, action: str) -> Award:
        award = self.award(award_id)
        if award.revoked:
            raise RuleViolated("award-revoked", f"cannot {action} a revoked award", award_id=award_id)
        return award

    def _last(self) -> str:
        return f"{self.id}:{self.version}"

    def _post(self, kind: str, award_id: str, debit: str, credit: str, amount: int, *, caused_by: list[str],
              meta: EventMeta, course: str | None = None, exempt: bool = False, rule_id: str | None = None,
              reverses: str | None = None) -> str:
        after = self.balance + (amount if credit == AVAILABLE else 0) - (amount if debit == AVAILABLE else 0)
        if after < 0:
            raise RuleViolated("balance-negative", f"the line would leave {after} credits", balance=self.balance)
        line_id = str(uuid4())
        self.trigger_event(CreditsPosted, line_id=line_id, kind=kind, award_id=award_id, debit=debit, credit=credit,
                           amount=amount, course=course, exempt=exempt, rule_id=rule_id, reverses=reverses,
                           caused_by=caused_by, meta=meta)
        return line_id

    # -- state ------------------------------------------------------------------------------------
    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the account."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: CertificateAwarded) -> None:
        credits = 0  # known from the deposit that follows
        self.awards[e.award_id] = Award(e.award_id, e.certificate_code, e.level, credits, e.awarded_on,
                                        e.certificate_number, eligible=e.eligible,
                                        override_reason=None if e.eligible else e.meta.reason,
                                        event_id=f"{e.originator_id}:{e.originator_version}")

    @when.register
    def _(self, e: CertificateAmended) -> None:
        award = self.awards[e.award_id]
        award.awarded_on, award.certificate_number = e.awarded_on, e.certificate_number

    @when.register
    def _(self, e: CertificateRevoked) -> None:
        award = self.awards[e.award_id]
        award.revoked, award.revocation_reason = True, e.reason

    @when.register
    def _(self, e: CreditsPosted) -> None:
        self.lines.append(Line(e.line_id, e.kind, e.award_id, e.debit, e.credit, e.amount, e.course, e.exempt,
                               e.rule_id, e.reverses, tuple(e.caused_by)))
        if e.kind == "deposit":
            self.awards[e.award_id].credits = e.amount

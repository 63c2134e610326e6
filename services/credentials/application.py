"""Command handlers of the credentials context: the catalogue, awards, credit accounts and order classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import (
    Actor,
    CommandContext,
    Role,
    is_enterprise_staff,
    is_school_staff,
    speaks_for_student,
)
from services.credentials.domain import Certificate, CreditAccount, OrderClass, certificate_id, check, credit_account_id
from services.credentials.ports import PlacementDirectory, StudentFacts, TrainingFigures


@dataclass(frozen=True)
class AwardResult(CommandResult):
    """An award: the student's credit account, and the award's id."""

    award_id: str = ""


def _refuse(actor: Actor, what: str, **details: str) -> NotAllowed:
    return NotAllowed(f"{actor.role.value} {actor.subject} may not {what}", role=actor.role.value, **details)


def require_certificate_administrator(actor: Actor, what: str) -> None:
    """Certificate administrators (admins) keep the catalogue and award."""
    if actor.role is not Role.ADMIN:
        raise _refuse(actor, f"{what} (certificate administrators only)")


def may_read_account(actor: Actor, student: StudentFacts) -> bool:
    """The student; their school's coordinators and teachers; admins and auditors."""
    if actor.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if actor.role in (Role.COORDINATOR, Role.TEACHER):
        return actor.school_id == student.school_id
    return speaks_for_student(actor, student.student_id)


class CredentialsApplication(DualtrackApplication):
    """X certificates, awards, each student's credit account, and order classes."""

    context = "credentials"

    placements: PlacementDirectory
    training: TrainingFigures

    def connect(self, *, placements: PlacementDirectory, training: TrainingFigures) -> None:
        """Plug in what awards and reports ask of the other contexts (the composition root does this)."""
        self.placements = placements
        self.training = training

    # -- the catalogue ----------------------------------------------------------------------------
    def list_certificate(self, ctx: CommandContext, *, code: str, title: str, awarding_organisation: str,
                         levels: list[dict[str, Any]]) -> CommandResult:
        """Add a certificate with its ordered levels, requirements and credit values."""
        require_certificate_administrator(ctx.actor, "list certificates")
        try:
            self.repository.get(certificate_id(code))
        except AggregateNotFoundError:
            pass
        else:
            raise VersionConflict(f"certificate {code} is already in the catalogue", code=code)
        return self.record(Certificate.list(code=code, title=title, awarding_organisation=awarding_organisation,
                                            levels=levels, meta=ctx.meta()))

    def adopt_conversion_rule(self, ctx: CommandContext, code: str, *, level: str, effective_from: date,
                              conversions: list[dict[str, Any]]) -> CommandResult:
        """From a date, a certificate level converts into course credits and exemptions."""
        require_certificate_administrator(ctx.actor, "adopt conversion rules")
        certificate = self.get_certificate(code)
        certificate.adopt_conversion_rule(level=level, effective_from=effective_from, conversions=conversions,
                                          meta=ctx.meta(business_date=effective_from))
        return self.record(certificate)

    def has_certificate(self, code: str) -> bool:
        try:
            self.repository.get(certificate_id(code))
        except AggregateNotFoundError:
            return False
        return True

    def get_certificate(self, code: str) -> Certificate:
        try:
            return self.repository.get(certificate_id(code))
        except AggregateNotFoundError:
            raise NotFound(f"no certificate {code!r} in the catalogue (only catalogued certificates are awarded)",
                           code=code) from None

    # -- eligibility ------------------------------------------------------------------------------
    def eligibility(self, ctx: CommandContext, student_id: UUID, code: str, level: str,
                    as_of: date | None = None) -> dict[str, Any]:
        """Every requirement of the level with the student's figure, met or not — from the training record as
        recorded now, or as it was recorded by the end of a given day."""
        student = self._readable_student(ctx, student_id)
        certificate = self.get_certificate(code)
        known_at = datetime.combine(as_of, time.max, tzinfo=UTC) if as_of else None
        eligible, rows = check(certificate.level(level), self.training.figures(student.student_id, known_at))
        return {"student_id": student.student_id, "certificate_code": code, "level": level,
                "as_of": as_of.isoformat() if as_of else None, "eligible": eligible, "requirements": rows}

    # -- awards and the ledger ----------------------------------------------------------------------
    def award_certificate(self, ctx: CommandContext, student_id: UUID, *, certificate_code: str, level: str,
                          awarded_on: date | None = None, certificate_number: str | None = None,
                          override_reason: str | None = None) -> AwardResult:
        """Award a level on eligibility, or by override with a reason; its credits are deposited."""
        require_certificate_administrator(ctx.actor, "award certificates")

        if awarded_on is not None and awarded_on > self.today():
            raise RuleViolated("no-future-date", f"{awarded_on} is in the future (today is {self.today()})",
                               awarded_on=str(awarded_on))

        def award() -> AwardResult:
            student = self.placements.student(str(student_id))
            certificate = self.get_certificate(certificate_code)
            chosen = certificate.level(level)
            eligible, rows = check(chosen, self.training.figures(student.student_id))
            account = self._account(student, ctx)
            award_id = account.award_certificate(
                certificate, chosen, awarded_on=awarded_on or self.today(), certificate_number=certificate_number,
                eligibility=rows, eligible=eligible,
                meta=ctx.meta(override_reason if not eligible else None, business_date=awarded_on))
            result = self.record(account)
            return AwardResult(result.id, result.version, result.position, result.written, award_id=award_id)

        return self.retrying(None, award)

    def amend_award(self, ctx: CommandContext, student_id: UUID, award_id: str, *, awarded_on: date,
                    certificate_number: str | None, reason: str, expected_version: int | None = None) -> CommandResult:
        """Correct an award's date or number, with a reason."""
        require_certificate_administrator(ctx.actor, "amend awards")
        account = self._existing_account(student_id, expected_version)
        account.amend(award_id, awarded_on=awarded_on, certificate_number=certificate_number, meta=ctx.meta(reason))
        return self.record(account)

    def revoke_award(self, ctx: CommandContext, student_id: UUID, award_id: str, *, reason: str,
                     expected_version: int | None = None) -> CommandResult:
        """Revoke an award: every conversion that used it is reversed, then its deposit."""
        require_certificate_administrator(ctx.actor, "revoke awards")
        account = self._existing_account(student_id, expected_version)
        account.revoke(award_id, reason, ctx.meta(reason))
        return self.record(account)

    def convert_credits(self, ctx: CommandContext, student_id: UUID, award_id: str, *, on: date | None = None,
                        expected_version: int | None = None) -> CommandResult:
        """Convert an award's credits by the conversion rule in force (admins, the student's school's
        coordinators)."""
        _require_school_staff_role(ctx.actor, "convert credits")
        student = self.placements.student(str(student_id))
        if not is_school_staff(ctx.actor, student.school_id):
            raise _refuse(ctx.actor, "convert this student's credits", student_id=student.student_id)
        account = self._existing_account(student_id, expected_version)
        award = account.award(award_id)
        day = on or self.today()
        if not award.awarded_on <= day <= self.today():
            raise RuleViolated("conversion-date", f"credits are converted on a day between the award "
                               f"({award.awarded_on}) and today ({self.today()})", on=str(day))
        rule = self.get_certificate(award.certificate_code).rule_in_force(award.level, day)
        account.convert(award_id, rule, ctx.meta(business_date=on))
        return self.record(account)

    def get_account(self, ctx: CommandContext, student_id: UUID) -> CreditAccount | None:
        """The student's credit account as the event store knows it now; None before any award."""
        student = self._readable_student(ctx, student_id)
        try:
            return self.repository.get(credit_account_id(student.student_id))
        except AggregateNotFoundError:
            return None

    # -- order classes ----------------------------------------------------------------------------
    def order_class(self, ctx: CommandContext, *, enterprise_id: UUID, name: str, students: int, major: str,
                    certificates: list[dict[str, Any]], deadline: date) -> CommandResult:
        """An enterprise orders a cohort trained for it (its mentors, admins)."""
        if not is_enterprise_staff(ctx.actor, str(enterprise_id)):
            raise _refuse(ctx.actor, f"order classes for enterprise {enterprise_id}")
        for wanted in certificates:
            self.get_certificate(wanted["code"]).level(wanted["level"])
        return self.record(OrderClass.order(enterprise_id=str(enterprise_id), name=name, students=students,
                                            major=major, certificates=certificates, deadline=deadline,
                                            today=self.today(), meta=ctx.meta()))

    def propose_students_for_order(self, ctx: CommandContext, order_id: UUID, *, student_ids: list[str],
                                   expected_version: int | None = None) -> CommandResult:
        """Propose students for an order class (admins, coordinators of the students' school): they join it once
        the ordering enterprise accepts them."""
        _require_school_staff_role(ctx.actor, "propose students for order classes")
        order: OrderClass = self.load(OrderClass, order_id, expected_version)
        students = [self.placements.student(s) for s in student_ids]
        for student in students:
            if not is_school_staff(ctx.actor, student.school_id):
                raise _refuse(ctx.actor, f"propose student {student.student_id} for classes",
                              student_id=student.student_id)
        order.propose([s.student_id for s in students], {s.student_id: s.major for s in students}, ctx.meta())
        return self.record(order)

    def accept_students_for_order(self, ctx: CommandContext, order_id: UUID, *, student_ids: list[str],
                                  expected_version: int | None = None) -> CommandResult:
        """Put proposed students in the class, up to the number ordered (the ordering enterprise's mentors and
        enterprise admins, admins)."""
        order = self._order_of_enterprise(ctx, order_id, expected_version, "accept students into")
        order.accept(student_ids, ctx.meta())
        return self.record(order)

    def decline_students_for_order(self, ctx: CommandContext, order_id: UUID, *, student_ids: list[str],
                                   expected_version: int | None = None) -> CommandResult:
        """Decline proposed students (the ordering enterprise's mentors and enterprise admins, admins)."""
        order = self._order_of_enterprise(ctx, order_id, expected_version, "decline students for")
        order.decline(student_ids, ctx.meta())
        return self.record(order)

    def _order_of_enterprise(self, ctx: CommandContext, order_id: UUID, expected_version: int | None,
                             what: str) -> OrderClass:
        """The order class, if the caller decides for its enterprise (rule `enterprise-accepts`)."""
        actor = ctx.actor
        if actor.role not in (Role.ADMIN, Role.MENTOR, Role.ENTERPRISE_ADMIN):
            raise _refuse(actor, f"{what} order classes (enterprise-accepts: the ordering enterprise accepts the "
                          "students schools propose)", rule="enterprise-accepts")
        order: OrderClass = self.load(OrderClass, order_id, expected_version)
        if not is_enterprise_staff(actor, order.enterprise_id):
            raise _refuse(actor, f"{what} order class {order_id} (enterprise-accepts: the ordering enterprise "
                          "accepts the students schools propose)", rule="enterprise-accepts")
        return order

    def order_report(self, ctx: CommandContext, order_id: UUID) -> dict[str, Any]:
        """How the class stands against the order: per required certificate, who holds it, who is eligible. The
        enterprise, admins and auditors see every student; a school's coordinators only their own school's."""
        order: OrderClass = self.load(OrderClass, order_id)
        actor = ctx.actor
        whole = actor.role in (Role.ADMIN, Role.AUDITOR) or is_enterprise_staff(actor, order.enterprise_id)
        students = [self.placements.student(s) for s in order.student_ids]
        proposed = list(order.proposed)
        if not whole:
            school = actor.school_id if actor.role is Role.COORDINATOR else None
            students = [s for s in students if school and s.school_id == school]
            proposed = [s for s in proposed if school and self.placements.student(s).school_id == school]
            if not (students or proposed):
                raise _refuse(actor, f"read the report of order class {order_id}")
        # Each student's account and training figures are read once, whatever the number of certificates.
        accounts = {s.student_id: self._account_or_none(s.student_id) for s in students}
        figures: dict[str, Any] = {}
        rows = []
        for wanted in order.certificates:
            certificate = self.get_certificate(wanted["code"])
            level = certificate.level(wanted["level"])
            holders, eligible, missing = [], [], []
            for student in students:
                account = accounts[student.student_id]
                held = account is not None and any(
                    a.certificate_code == certificate.code and not a.revoked
                    and _rank(a.level) >= _rank(level.level) for a in account.awards.values())
                if held:
                    holders.append(student.student_id)
                    continue
                if student.student_id not in figures:
                    figures[student.student_id] = self.training.figures(student.student_id)
                if check(level, figures[student.student_id])[0]:
                    eligible.append(student.student_id)
                else:
                    missing.append(student.student_id)
            # A school's view counts no other school's holders: a shortfall would tell of their students.
            short = max(order.students - len(holders), 0) if whole else None
            rows.append({"code": certificate.code, "level": level.level, "holders": holders, "eligible": eligible,
                         "not_yet": missing, "short_of_order": short})
        return {"order_id": str(order.id), "enterprise_id": order.enterprise_id, "name": order.name,
                "major": order.major, "students_ordered": order.students,
                "students_assigned": len(order.student_ids), "proposed": proposed,
                "scope": "order" if whole else "school",
                "deadline": order.deadline.isoformat(), "days_left": (order.deadline - self.today()).days,
                "certificates": rows}

    # -- helpers ----------------------------------------------------------------------------------
    def _readable_student(self, ctx: CommandContext, student_id: UUID) -> StudentFacts:
        student = self.placements.student(str(student_id))
        if not may_read_account(ctx.actor, student):
            raise _refuse(ctx.actor, f"read the credit account of student {student.student_id}",
                          student_id=student.student_id)
        return student

    def _account(self, student: StudentFacts, ctx: CommandContext) -> CreditAccount:
        return self._account_or_none(student.student_id) or CreditAccount.open(
            student_id=student.student_id, school_id=student.school_id, meta=ctx.meta())

    def _account_or_none(self, student_id: str) -> CreditAccount | None:
        try:
            return self.repository.get(credit_account_id(student_id))
        except AggregateNotFoundError:
            return None

    def _existing_account(self, student_id: UUID, expected_version: int | None) -> CreditAccount:
        student = self.placements.student(str(student_id))
        account: CreditAccount = self.load(CreditAccount, credit_account_id(student.student_id), expected_version)
        return account


def _require_school_staff_role(actor: Actor, what: str) -> None:
    """Refuse roles that may never do it before looking anything up (no 404 where the answer is 403)."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise _refuse(actor, f"{what} (admins and the school's coordinators only)")


def _rank(level: str) -> int:
    from services.credentials.domain import LEVELS

    return LEVELS.index(level)

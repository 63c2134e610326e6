"""The credentials context through the CredentialsApplication, on in-memory event stores.

The X-certificate catalogue with its ordered levels and conversion rules by effective date; eligibility from
the training record (signed hours per competency with an entry's time shared evenly over its competencies, and
the best combined assessment that passed), now and as recorded at an earlier moment; awards on eligibility or by
override with a reason, amendments, conversions by the rule in force and revocations that reverse the ledger;
who may do what; and order classes with their report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import DomainError, NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import CommandContext
from services.credentials.adapters import TrainingFiguresFromTraining
from services.credentials.application import CredentialsApplication
from services.credentials.domain import CompetencyFigures, CreditAccount, certificate_id, credit_account_id
from tests.service.placement_world import TODAY, events_of, names
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in range(1, 5))
CODE = "X-MEC"
RULE_DAY = date(2026, 9, 1)
"""The first conversion rules of X-MEC take effect on this day."""
LEVELS: list[dict[str, Any]] = [
    {"level": "junior", "credits": 4, "requirements": [
        {"competency": "M1", "min_signed_hours": 3, "min_assessment": 3},
        {"competency": "M3", "min_signed_hours": 1, "min_assessment": None}]},
    {"level": "intermediate", "credits": 8, "requirements": [
        {"competency": "M1", "min_signed_hours": 100, "min_assessment": 4},
        {"competency": "M2", "min_signed_hours": 60, "min_assessment": 70}]},
    {"level": "senior", "credits": 12, "requirements": [
        {"competency": "M1", "min_signed_hours": 120, "min_assessment": 4.5},
        {"competency": "M2", "min_signed_hours": 80, "min_assessment": 85},
        {"competency": "M3", "min_signed_hours": 20, "min_assessment": 1}]},
]
JUNIOR_RULE = [{"course": "MEC-101 Drive basics", "credits": 3, "exempt": True}]
INTERMEDIATE_RULE = [{"course": "MEC-201 PLC programming", "credits": 4, "exempt": True},
                     {"course": "MEC-202 Workshop practice", "credits": 2, "exempt": False}]


@dataclass
class CredentialsWorld:
    """The training world (clock at TODAY) with the credentials application on the same clock and X-MEC listed
    with a conversion rule for its junior and intermediate levels from RULE_DAY."""

    tw: TrainingWorld
    credentials: CredentialsApplication

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tw, name)

    def qualify(self, student: UUID, placement: str) -> None:
        """Signed practice and a passed combined assessment that meet X-MEC junior (3h M1 at 3.5, 1h M3)."""
        self.tw.sign(student, self.tw.log(student, MONDAY, "08:00", "11:00", ("M1",)).entry_id)
        self.tw.sign(student, self.tw.log(student, TUESDAY, "08:00", "09:00", ("M3",)).entry_id)
        self.assess(student, placement, "M1", 4, 3.5)

    def assess(self, student: UUID, placement: str, competency: str, enterprise: float, school: float) -> None:
        training = self.tw.training
        training.assess_competency(self.tw.mentor(self.tw.workshop), student, placement, competency=competency,
                                   result=enterprise, evidence="observed at the bench")
        training.assess_competency(self.tw.teacher(), student, placement, competency=competency, result=school,
                                   evidence="oral exam")

    def award(self, student: UUID, level: str = "junior", *, code: str = CODE, **extra: Any) -> str:
        """Award a level (pass override_reason for an ineligible student); the new award's id."""
        before = self.credentials.max_position()
        self.credentials.award_certificate(self.tw.admin, student, certificate_code=code, level=level, **extra)
        (awarded,) = [e for e in self.since(before) if type(e).__name__ == "CertificateAwarded"]
        return str(awarded.award_id)

    def account(self, student: UUID) -> CreditAccount:
        account = self.credentials.get_account(self.tw.admin, student)
        assert account is not None
        return account

    def since(self, position: int) -> list[Any]:
        return events_of(self.credentials, position + 1)  # type: ignore[arg-type]


def credentials_world(container: Container) -> CredentialsWorld:
    tw = build_training_world(container)
    credentials = container.credentials
    credentials.today = lambda: TODAY  # type: ignore[method-assign]
    credentials.list_certificate(tw.admin, code=CODE, title="Mechatronic systems maintenance",
                                 awarding_organisation="Haier Vocational Skills Centre", levels=LEVELS)
    credentials.adopt_conversion_rule(tw.admin, CODE, level="junior", effective_from=RULE_DAY,
                                      conversions=JUNIOR_RULE)
    credentials.adopt_conversion_rule(tw.admin, CODE, level="intermediate", effective_from=RULE_DAY,
                                      conversions=INTERMEDIATE_RULE)
    return CredentialsWorld(tw, credentials)


@pytest.fixture
def cw(container: Container) -> CredentialsWorld:
    return credentials_world(container)


def refused(cw: CredentialsWorld, rule: str, command: Callable[..., Any], *args: Any, **kwargs: Any) -> RuleViolated:
    """Run a command that must be refused by `rule`, and check that nothing was recorded."""
    before = cw.credentials.max_position()
    with pytest.raises(RuleViolated) as caught:
        command(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert cw.credentials.max_position() == before
    return caught.value


def raises_recording_nothing(cw: CredentialsWorld, error: type[DomainError], command: Callable[..., Any], *args: Any,
                             **kwargs: Any) -> DomainError:
    before = cw.credentials.max_position()
    with pytest.raises(error) as caught:
        command(*args, **kwargs)
    assert cw.credentials.max_position() == before
    return caught.value


def outcomes(cw: CredentialsWorld, ctx: CommandContext,
             table: dict[str, Callable[[CommandContext], Any]]) -> dict[str, str]:
    """Try each command as ctx: 'accepted', 'not-allowed' (having recorded nothing) or the rule that refused it."""
    found = {}
    for name, command in table.items():
        before = cw.credentials.max_position()
        try:
            command(ctx)
            found[name] = "accepted"
        except NotAllowed:
            found[name] = "not-allowed"
            assert cw.credentials.max_position() == before, name
        except DomainError as error:
            found[name] = getattr(error, "rule", type(error).__name__)
            assert cw.credentials.max_position() == before, name
    return found


def utc_yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


# -- the catalogue ---------------------------------------------------------------------------------------------


def test_given_levels_in_any_order_when_a_certificate_is_listed_then_they_run_junior_intermediate_senior(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    before = app.max_position()
    shuffled = [LEVELS[2], LEVELS[0], LEVELS[1]]
    result = app.list_certificate(cw.admin, code="X-PLC", title="PLC programming", awarding_organisation="Siemens",
                                  levels=shuffled)
    assert result.id == certificate_id("X-PLC")
    (listed,) = cw.since(before)
    assert (type(listed).__name__, listed.code, listed.title, listed.awarding_organisation) == (
        "CertificateListed", "X-PLC", "PLC programming", "Siemens")
    assert [lv["level"] for lv in listed.levels] == ["junior", "intermediate", "senior"]
    assert (listed.meta.subject, listed.meta.role) == ("admin-1", "admin")
    certificate = app.get_certificate("X-PLC")
    assert list(certificate.levels) == ["junior", "intermediate", "senior"]
    assert [(lv.level, lv.credits) for lv in certificate.levels.values()] == [
        ("junior", 4), ("intermediate", 8), ("senior", 12)]
    assert certificate.level("intermediate").requirements[1].min_assessment == 70
    assert certificate.level("junior").requirements[1].min_assessment is None
    app.list_certificate(cw.admin, code="X-ONE", title="One level", awarding_organisation="o",
                         levels=[{"level": "senior", "credits": 5, "requirements": []}])
    assert list(app.get_certificate("X-ONE").levels) == ["senior"]
    assert (app.has_certificate("X-PLC"), app.has_certificate("X-NONE")) == (True, False)


def test_given_bad_level_names_or_a_higher_level_worth_fewer_credits_then_the_listing_is_refused(
    cw: CredentialsWorld,
) -> None:
    def level(name: str, credits: int) -> dict[str, Any]:
        return {"level": name, "credits": credits, "requirements": []}

    def listing(*levels: dict[str, Any]) -> Callable[[], Any]:
        return lambda: cw.credentials.list_certificate(cw.admin, code="X-BAD", title="t", awarding_organisation="o",
                                                       levels=list(levels))

    for levels in ([], [level("expert", 4)], [level("Junior", 4)], [level("junior", 4), level("junior", 6)]):
        error = refused(cw, "certificate-levels", listing(*levels))
        assert error.details == {"levels": [lv["level"] for lv in levels]}
    error = refused(cw, "level-credits", listing(level("senior", 6), level("junior", 4), level("intermediate", 8)))
    assert error.details == {"credits": {"junior": 4, "intermediate": 8, "senior": 6}}
    refused(cw, "level-credits", listing(level("junior", 2), level("intermediate", 1)))
    refused(cw, "level-credits", listing(level("junior", -1)))
    assert not cw.credentials.has_certificate("X-BAD")
    listing(level("junior", 4), level("intermediate", 4))()  # a higher level worth as many is fine


def test_given_a_listed_certificate_when_its_code_is_listed_again_then_version_conflict_and_nothing_recorded(
    cw: CredentialsWorld,
) -> None:
    error = raises_recording_nothing(cw, VersionConflict, cw.credentials.list_certificate, cw.admin, code=CODE,
                                     title="Another title", awarding_organisation="o", levels=LEVELS[:1])
    assert error.details == {"code": CODE}
    assert cw.credentials.get_certificate(CODE).title == "Mechatronic systems maintenance"


# -- conversion rules --------------------------------------------------------------------------------------------


def test_given_rules_adopted_from_dates_then_the_rule_in_force_on_a_day_is_the_latest_that_took_effect(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    before = app.max_position()
    revised = [{"course": "MEC-102 Drives", "credits": 2, "exempt": False},
               {"course": "MEC-103 Safety", "credits": 2, "exempt": True}]
    app.adopt_conversion_rule(cw.admin, CODE, level="junior", effective_from=date(2027, 2, 1), conversions=revised)
    (adopted,) = cw.since(before)
    assert (type(adopted).__name__, adopted.level, adopted.effective_from, adopted.conversions) == (
        "ConversionRuleAdopted", "junior", date(2027, 2, 1), revised)
    assert (adopted.meta.subject, adopted.meta.business_date) == ("admin-1", date(2027, 2, 1))
    certificate = app.get_certificate(CODE)
    first = certificate.rule_in_force("junior", RULE_DAY)
    assert (first.effective_from, list(first.conversions)) == (RULE_DAY, JUNIOR_RULE)
    assert certificate.rule_in_force("junior", date(2027, 1, 31)).rule_id == first.rule_id
    assert certificate.rule_in_force("junior", date(2027, 2, 1)).rule_id == adopted.rule_id
    assert certificate.rule_in_force("junior", date(2030, 1, 1)).rule_id == adopted.rule_id
    assert list(certificate.rule_in_force("intermediate", date(2027, 2, 1)).conversions) == INTERMEDIATE_RULE
    with pytest.raises(RuleViolated) as caught:
        certificate.rule_in_force("junior", RULE_DAY - timedelta(days=1))
    assert (caught.value.rule, caught.value.details) == (
        "no-conversion-rule", {"certificate": CODE, "level": "junior", "on": "2026-08-31"})
    with pytest.raises(RuleViolated) as caught:
        certificate.rule_in_force("senior", date(2030, 1, 1))  # no rule for the level at all
    assert caught.value.rule == "no-conversion-rule"


def test_given_a_level_when_a_rule_would_use_more_credits_than_it_is_worth_then_it_is_refused(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials

    def adopt(level: str, conversions: list[dict[str, Any]], code: str = CODE) -> Any:
        return app.adopt_conversion_rule(cw.admin, code, level=level, effective_from=date(2027, 1, 1),
                                         conversions=conversions)

    error = refused(cw, "conversion-within-credits", adopt, "junior",
                    [{"course": "A", "credits": 3, "exempt": True}, {"course": "B", "credits": 2, "exempt": False}])
    assert error.details == {"credits": 4, "used": 5}
    refused(cw, "conversion-within-credits", adopt, "junior", [])
    raises_recording_nothing(cw, NotFound, adopt, "expert", [{"course": "A", "credits": 1}])
    raises_recording_nothing(cw, NotFound, adopt, "junior", [{"course": "A", "credits": 1}], "X-NONE")
    adopt("senior", [{"course": "A", "credits": 6, "exempt": True}, {"course": "B", "credits": 6, "exempt": False}])
    assert len(app.get_certificate(CODE).rules) == 3  # using every credit is fine


def test_given_a_conversion_of_no_or_negative_credits_when_a_rule_is_adopted_then_it_is_refused(
    cw: CredentialsWorld,
) -> None:
    """A ledger line moves a positive amount: a rule converting -3 credits would put credits *into* `available`
    when applied (a 4-credit award would leave a balance of 7), and 0 would post an empty line."""
    for credits in (-3, 0):
        raises_recording_nothing(cw, RuleViolated, cw.credentials.adopt_conversion_rule, cw.admin, CODE,
                                 level="junior", effective_from=date(2027, 1, 1),
                                 conversions=[{"course": "A", "credits": credits, "exempt": False}])


# -- eligibility --------------------------------------------------------------------------------------------------


def test_given_signed_practice_and_assessments_then_eligibility_lists_every_requirement_with_the_students_figure(
    cw: CredentialsWorld,
) -> None:
    student, placement = cw.placed()
    cw.sign(student, cw.log(student, MONDAY, "08:00", "12:00", ("M1", "M2")).entry_id)  # 2h each
    cw.sign(student, cw.log(student, TUESDAY, "08:00", "11:00", ("M1", "M2", "M3")).entry_id)  # 1h each
    cw.log(student, WEDNESDAY, "08:00", "12:00", ("M1",))  # pending: does not count
    rejected = cw.log(student, THURSDAY, "08:00", "12:00", ("M1",)).entry_id
    cw.training.reject_practice(cw.mentor(cw.workshop), student, rejected, reason="was at the other line")
    cw.assess(student, placement, "M1", 4, 3)  # combined: the lower, 3, passed
    cw.assess(student, placement, "M2", 90, 55)  # combined 55: failed, does not count
    junior = cw.credentials.eligibility(cw.admin, student, CODE, "junior")
    assert junior == {"student_id": str(student), "certificate_code": CODE, "level": "junior", "as_of": None,
                      "eligible": True, "requirements": [
                          {"competency": "M1", "min_signed_hours": 3, "signed_hours": 3.0, "min_assessment": 3,
                           "assessment": 3.0, "met": True},
                          {"competency": "M3", "min_signed_hours": 1, "signed_hours": 1.0, "min_assessment": None,
                           "assessment": None, "met": True}]}
    intermediate = cw.credentials.eligibility(cw.admin, student, CODE, "intermediate")
    assert (intermediate["eligible"], intermediate["requirements"]) == (False, [
        {"competency": "M1", "min_signed_hours": 100, "signed_hours": 3.0, "min_assessment": 4, "assessment": 3.0,
         "met": False},
        {"competency": "M2", "min_signed_hours": 60, "signed_hours": 3.0, "min_assessment": 70, "assessment": None,
         "met": False}])
    cw.training.assess_competency(cw.coordinator, student, placement, competency="M2", result=75,
                                  evidence="re-examined")  # the school's side again: combined 75, passed
    rows = cw.credentials.eligibility(cw.admin, student, CODE, "intermediate")["requirements"]
    assert [(r["competency"], r["assessment"]) for r in rows] == [("M1", 3.0), ("M2", 75.0)]
    with pytest.raises(NotFound):
        cw.credentials.eligibility(cw.admin, student, CODE, "expert")


def test_given_a_cut_off_when_more_is_recorded_after_it_then_the_figures_known_at_the_cut_off_leave_it_out(
    cw: CredentialsWorld, container: Container,
) -> None:
    figures = TrainingFiguresFromTraining(container.training)
    student, placement = cw.placed()
    before_anything = datetime.now(UTC)
    cw.sign(student, cw.log(student, MONDAY, "08:00", "12:00", ("M1",)).entry_id)
    after_monday = datetime.now(UTC)
    tuesday = cw.log(student, TUESDAY, "08:00", "12:00", ("M1", "M3")).entry_id
    logged_not_signed = datetime.now(UTC)
    cw.sign(student, tuesday)
    cw.assess(student, placement, "M1", 4, 3.5)
    now = datetime.now(UTC)
    assert figures.figures(str(student), before_anything) == {}
    assert figures.figures(str(student), after_monday) == {"M1": CompetencyFigures(4.0, None)}
    assert figures.figures(str(student), logged_not_signed) == {"M1": CompetencyFigures(4.0, None)}
    expected = {"M1": CompetencyFigures(6.0, 3.5), "M3": CompetencyFigures(2.0, None)}
    assert figures.figures(str(student), now) == expected
    assert figures.figures(str(student)) == expected
    assert figures.figures("no-such-student") == {}


def test_given_an_earlier_day_when_eligibility_is_asked_as_of_it_then_nothing_recorded_since_counts(
    cw: CredentialsWorld,
) -> None:
    student, placement = cw.placed()
    cw.qualify(student, placement)
    yesterday = utc_yesterday()
    then = cw.credentials.eligibility(cw.admin, student, CODE, "junior", as_of=yesterday)
    assert (then["as_of"], then["eligible"]) == (yesterday.isoformat(), False)
    assert [(r["signed_hours"], r["assessment"], r["met"]) for r in then["requirements"]] == [
        (0.0, None, False), (0.0, None, False)]
    today = cw.credentials.eligibility(cw.admin, student, CODE, "junior", as_of=yesterday + timedelta(days=1))
    now = cw.credentials.eligibility(cw.admin, student, CODE, "junior")
    assert today["requirements"] == now["requirements"]
    assert (today["eligible"], now["eligible"]) == (True, True)


# -- awards -----------------------------------------------------------------------------------------------------------


def test_given_an_eligible_student_when_awarded_then_the_award_carries_the_eligibility_and_its_credits_are_deposited(
    cw: CredentialsWorld,
) -> None:
    student, placement = cw.placed()
    cw.qualify(student, placement)
    app = cw.credentials
    rows = app.eligibility(cw.admin, student, CODE, "junior")["requirements"]
    before = app.max_position()
    result = app.award_certificate(cw.admin, student, certificate_code=CODE, level="junior",
                                   certificate_number="MEC-J-2026-0001")
    account_id = credit_account_id(str(student))
    assert result.id == account_id
    opened, awarded, deposit = cw.since(before)
    assert names([opened, awarded, deposit]) == ["CreditAccountOpened", "CertificateAwarded", "CreditsPosted"]
    assert (opened.originator_id, opened.student_id, opened.school_id) == (account_id, str(student), str(cw.school))
    assert (awarded.certificate_code, awarded.level, awarded.awarded_on, awarded.certificate_number,
            awarded.eligible, awarded.eligibility) == (CODE, "junior", TODAY, "MEC-J-2026-0001", True, rows)
    assert (awarded.meta.subject, awarded.meta.role, awarded.meta.reason) == ("admin-1", "admin", None)
    award_id = awarded.award_id
    assert (deposit.kind, deposit.award_id, deposit.debit, deposit.credit, deposit.amount, deposit.course,
            deposit.rule_id, deposit.reverses) == (
        "deposit", award_id, f"award:{award_id}", "available", 4, None, None, None)
    assert deposit.caused_by == [f"{account_id}:{awarded.originator_version}"]
    account = cw.account(student)
    assert (account.balance, account.unconverted(award_id)) == (4, 4)
    award = account.awards[award_id]
    assert (award.certificate_code, award.level, award.credits, award.awarded_on, award.revoked) == (
        CODE, "junior", 4, TODAY, False)

    before = app.max_position()  # a second award goes to the same account, with its business date
    app.award_certificate(cw.admin, student, certificate_code=CODE, level="intermediate",
                          awarded_on=date(2026, 11, 20), override_reason="national skills contest")
    awarded, deposit = cw.since(before)
    assert names([awarded, deposit]) == ["CertificateAwarded", "CreditsPosted"]
    assert (awarded.awarded_on, awarded.meta.business_date, deposit.amount) == (date(2026, 11, 20),
                                                                                 date(2026, 11, 20), 8)
    assert deposit.caused_by == [f"{account_id}:{awarded.originator_version}"]
    assert cw.account(student).balance == 12


def test_given_a_student_who_does_not_meet_the_level_when_awarded_without_a_reason_then_not_eligible_lists_the_unmet(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed()
    cw.sign(student, cw.log(student, MONDAY, "08:00", "09:00", ("M3",)).entry_id)  # M3 met, M1 not
    for reason in (None, "", "   "):
        error = refused(cw, "not-eligible", cw.credentials.award_certificate, cw.admin, student,
                        certificate_code=CODE, level="junior", override_reason=reason)
        assert error.details == {"unmet": [
            {"competency": "M1", "min_signed_hours": 3, "signed_hours": 0.0, "min_assessment": 3,
             "assessment": None, "met": False}]}
    assert cw.credentials.get_account(cw.admin, student) is None


def test_given_an_override_reason_when_an_ineligible_student_is_awarded_then_the_award_says_not_eligible_and_why(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed()
    before = cw.credentials.max_position()
    award_id = cw.award(student, "senior", override_reason="gold medal at the national skills contest")
    _, awarded, deposit = cw.since(before)
    assert (awarded.award_id, awarded.level, awarded.eligible) == (award_id, "senior", False)
    assert [row["met"] for row in awarded.eligibility] == [False, False, False]
    assert awarded.meta.reason == "gold medal at the national skills contest"
    assert (deposit.amount, deposit.meta.reason) == (12, "gold medal at the national skills contest")
    assert cw.account(student).balance == 12


def test_given_a_held_level_when_it_is_awarded_again_then_already_awarded_until_it_is_revoked(
    cw: CredentialsWorld,
) -> None:
    student, placement = cw.placed()
    cw.qualify(student, placement)
    award_id = cw.award(student)
    error = refused(cw, "already-awarded", cw.credentials.award_certificate, cw.admin, student,
                    certificate_code=CODE, level="junior")
    assert error.details == {"award_id": award_id}
    refused(cw, "already-awarded", cw.credentials.award_certificate, cw.admin, student, certificate_code=CODE,
            level="junior", override_reason="even with a reason")
    cw.credentials.revoke_award(cw.admin, student, award_id, reason="issued on the wrong name")
    again = cw.award(student)
    assert again != award_id
    assert cw.account(student).balance == 4


def test_given_an_unknown_certificate_level_or_student_when_awarding_then_not_found_and_nothing_recorded(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed()
    error = raises_recording_nothing(cw, NotFound, cw.credentials.award_certificate, cw.admin, student,
                                     certificate_code="X-NONE", level="junior", override_reason="trust me")
    assert "only catalogued certificates" in error.message
    assert error.details == {"code": "X-NONE"}
    error = raises_recording_nothing(cw, NotFound, cw.credentials.award_certificate, cw.admin, student,
                                     certificate_code=CODE, level="master", override_reason="trust me")
    assert error.details == {"level": "master", "levels": ["junior", "intermediate", "senior"]}
    raises_recording_nothing(cw, NotFound, cw.credentials.award_certificate, cw.admin,
                             UUID("00000000-0000-0000-0000-000000000001"), certificate_code=CODE, level="junior",
                             override_reason="trust me")


# -- amendments ---------------------------------------------------------------------------------------------------


def test_given_an_award_when_amended_then_its_date_and_number_change_with_the_reason_on_record(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed()
    app = cw.credentials
    award_id = cw.award(student, override_reason="contest", certificate_number="MEC-J-0117")
    before = app.max_position()
    app.amend_award(cw.admin, student, award_id, awarded_on=date(2026, 11, 2), certificate_number="MEC-J-0171",
                    reason="digits transposed on the paper certificate")
    (amended,) = cw.since(before)
    assert (type(amended).__name__, amended.award_id, amended.awarded_on, amended.certificate_number) == (
        "CertificateAmended", award_id, date(2026, 11, 2), "MEC-J-0171")
    assert (amended.meta.reason, amended.meta.subject) == ("digits transposed on the paper certificate", "admin-1")
    award = cw.account(student).awards[award_id]
    assert (award.awarded_on, award.certificate_number) == (date(2026, 11, 2), "MEC-J-0171")
    error = refused(cw, "amendment-changes-nothing", app.amend_award, cw.admin, student, award_id,
                    awarded_on=date(2026, 11, 2), certificate_number="MEC-J-0171", reason="again")
    assert error.details == {"award_id": award_id}
    app.amend_award(cw.admin, student, award_id, awarded_on=date(2026, 11, 2), certificate_number=None,
                    reason="the number was never issued")
    assert cw.account(student).awards[award_id].certificate_number is None
    stale = cw.account(student).version - 1
    raises_recording_nothing(cw, VersionConflict, app.amend_award, cw.admin, student, award_id,
                             awarded_on=date(2026, 11, 3), certificate_number=None, reason="r", expected_version=stale)
    raises_recording_nothing(cw, NotFound, app.amend_award, cw.admin, student, "no-such-award",
                             awarded_on=date(2026, 11, 3), certificate_number=None, reason="r")
    app.revoke_award(cw.admin, student, award_id, reason="annulled")
    refused(cw, "award-revoked", app.amend_award, cw.admin, student, award_id, awarded_on=date(2026, 11, 3),
            certificate_number="MEC-J-0172", reason="too late")


def test_given_an_award_when_an_amendment_gives_no_reason_then_it_is_refused(cw: CredentialsWorld) -> None:
    """Like an override and a revocation, a correction of an award says why (the reason goes in its metadata)."""
    student, _ = cw.placed()
    award_id = cw.award(student, override_reason="contest")
    for blank in ("", "   "):
        raises_recording_nothing(cw, RuleViolated, cw.credentials.amend_award, cw.admin, student, award_id,
                                 awarded_on=date(2026, 11, 2), certificate_number="N-1", reason=blank)


# -- conversions ------------------------------------------------------------------------------------------------


def test_given_an_award_when_converted_then_the_rule_in_force_on_the_day_moves_its_credits_to_the_courses(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    revised = [{"course": "MEC-102 Drives", "credits": 2, "exempt": False},
               {"course": "MEC-103 Safety", "credits": 1, "exempt": True}]
    app.adopt_conversion_rule(cw.admin, CODE, level="junior", effective_from=date(2026, 11, 1), conversions=revised)
    certificate = app.get_certificate(CODE)
    first, latest = certificate.rule_in_force("junior", RULE_DAY), certificate.rule_in_force("junior", TODAY)
    early, late = cw.placed("Liu Yang")[0], cw.placed("Zhou Jie")[0]
    cw.award(early, override_reason="contest", awarded_on=date(2026, 10, 1))
    cw.award(late, override_reason="contest")
    early_award, late_award = (next(iter(cw.account(s).awards)) for s in (early, late))

    before = app.max_position()
    app.convert_credits(cw.coordinator, early, early_award, on=date(2026, 10, 15))
    (line,) = cw.since(before)
    assert (type(line).__name__, line.kind, line.award_id, line.debit, line.credit, line.amount, line.course,
            line.exempt, line.rule_id, line.reverses) == (
        "CreditsPosted", "conversion", early_award, "available", "course:MEC-101 Drive basics", 3,
        "MEC-101 Drive basics", True, first.rule_id, None)
    assert (line.meta.subject, line.meta.role, line.meta.business_date) == ("coord-chen", "coordinator",
                                                                            date(2026, 10, 15))
    assert (cw.account(early).balance, cw.account(early).unconverted(early_award)) == (1, 1)

    before = app.max_position()
    app.convert_credits(cw.coordinator, late, late_award)  # on today: the rule from 1 November
    lines = cw.since(before)
    assert [(x.course, x.amount, x.exempt, x.rule_id) for x in lines] == [
        ("MEC-102 Drives", 2, False, latest.rule_id), ("MEC-103 Safety", 1, True, latest.rule_id)]
    assert cw.account(late).balance == 1


def test_given_a_converted_award_then_the_same_rule_again_is_already_converted_and_a_rule_needing_more_is_refused(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    student, _ = cw.placed()
    award_id = cw.award(student, override_reason="contest")
    app.convert_credits(cw.coordinator, student, award_id)
    rule_id = app.get_certificate(CODE).rule_in_force("junior", TODAY).rule_id
    error = refused(cw, "already-converted", app.convert_credits, cw.coordinator, student, award_id)
    assert error.details == {"award_id": award_id, "rule_id": rule_id}
    app.adopt_conversion_rule(cw.admin, CODE, level="junior", effective_from=date(2026, 11, 1),
                              conversions=[{"course": "MEC-104 Sensors", "credits": 2, "exempt": True}])
    error = refused(cw, "not-enough-credits", app.convert_credits, cw.coordinator, student, award_id)
    assert (error.details["unconverted"], error.details["needed"]) == (1, 2)
    assert cw.account(student).balance == 1
    app.adopt_conversion_rule(cw.admin, CODE, level="junior", effective_from=date(2026, 11, 15),
                              conversions=[{"course": "MEC-105 Hydraulics", "credits": 1, "exempt": False}])
    app.convert_credits(cw.coordinator, student, award_id)  # a later rule using what is left
    assert cw.account(student).balance == 0


def test_given_a_day_before_the_first_rule_or_an_unknown_award_when_converting_then_nothing_is_recorded(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    student, _ = cw.placed()
    award_id = cw.award(student, override_reason="contest", awarded_on=date(2026, 1, 15))
    error = refused(cw, "no-conversion-rule", app.convert_credits, cw.coordinator, student, award_id,
                    on=RULE_DAY - timedelta(days=1))
    refused(cw, "conversion-date", app.convert_credits, cw.coordinator, student, award_id, on=date(2026, 1, 14))
    assert error.details == {"certificate": CODE, "level": "junior", "on": "2026-08-31"}
    senior = cw.award(student, "senior", override_reason="contest")
    refused(cw, "no-conversion-rule", app.convert_credits, cw.coordinator, student, senior)  # no rule for seniors
    raises_recording_nothing(cw, NotFound, app.convert_credits, cw.coordinator, student, "no-such-award")
    someone_else, _ = cw.placed("Zhou Jie")
    raises_recording_nothing(cw, NotFound, app.convert_credits, cw.coordinator, someone_else, award_id)  # no account
    assert cw.account(student).balance == 16


# -- revocation ---------------------------------------------------------------------------------------------------


def test_given_an_award_with_conversions_when_revoked_then_each_conversion_is_reversed_before_the_deposit(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    student, placement = cw.placed()
    cw.qualify(student, placement)
    junior = cw.award(student)
    app.convert_credits(cw.coordinator, student, junior)
    assert cw.account(student).balance == 1
    intermediate = cw.award(student, "intermediate", override_reason="contest")
    app.convert_credits(cw.coordinator, student, intermediate)
    account = cw.account(student)
    assert account.balance == 3
    originals = {line.line_id: line for line in account.lines if line.award_id == intermediate}
    assert [line.kind for line in originals.values()] == ["deposit", "conversion", "conversion"]

    before = app.max_position()
    app.revoke_award(cw.admin, student, intermediate, reason="the contest result was annulled")
    revoked, *reversals = cw.since(before)
    assert (type(revoked).__name__, revoked.award_id, revoked.reason, revoked.meta.reason) == (
        "CertificateRevoked", intermediate, "the contest result was annulled", "the contest result was annulled")
    assert [originals[r.reverses].kind for r in reversals] == ["conversion", "conversion", "deposit"]
    assert {r.reverses for r in reversals} == set(originals)
    for reversal in reversals:
        original = originals[reversal.reverses]
        assert (type(reversal).__name__, reversal.kind, reversal.award_id, reversal.debit, reversal.credit,
                reversal.amount, reversal.course) == (
            "CreditsPosted", "reversal", intermediate, original.credit, original.debit, original.amount,
            original.course)
        assert reversal.caused_by == [f"{credit_account_id(str(student))}:{revoked.originator_version}"]
        assert reversal.meta.reason == "the contest result was annulled"
    account = cw.account(student)
    assert account.balance == 1  # what it was before the intermediate award
    assert account.awards[intermediate].revoked and not account.awards[junior].revoked
    assert account.unconverted(intermediate) == 0
    error = refused(cw, "award-revoked", app.revoke_award, cw.admin, student, intermediate, reason="again")
    assert error.details == {"award_id": intermediate}
    refused(cw, "award-revoked", app.convert_credits, cw.coordinator, student, intermediate)
    refused(cw, "revocation-reason", app.revoke_award, cw.admin, student, junior, reason="  ")
    app.revoke_award(cw.admin, student, junior, reason="issued in error")
    account = cw.account(student)
    assert account.balance == 0
    reversed_ids = account.reversed_lines()
    assert all(line.line_id in reversed_ids for line in account.lines if line.kind != "reversal")


# -- who may do what --------------------------------------------------------------------------------------------------


def credential_commands(cw: CredentialsWorld, student: UUID, award_id: str) -> dict[str, Callable[[Any], Any]]:
    """Every credentials command about the student (and the catalogue), as a function of who asks."""
    app = cw.credentials
    return {
        "list": lambda ctx: app.list_certificate(ctx, code="X-NEW", title="t", awarding_organisation="o",
                                                 levels=[{"level": "junior", "credits": 2, "requirements": []}]),
        "adopt": lambda ctx: app.adopt_conversion_rule(ctx, CODE, level="senior", effective_from=date(2027, 1, 1),
                                                       conversions=[{"course": "MEC-301", "credits": 5}]),
        "award": lambda ctx: app.award_certificate(ctx, student, certificate_code=CODE, level="intermediate",
                                                   override_reason="contest"),
        "amend": lambda ctx: app.amend_award(ctx, student, award_id, awarded_on=date(2026, 11, 2),
                                             certificate_number="MEC-J-0002", reason="misprint"),
        "convert": lambda ctx: app.convert_credits(ctx, student, award_id),
        "revoke": lambda ctx: app.revoke_award(ctx, student, award_id, reason="annulled"),
    }


def test_given_people_other_than_admins_then_only_admins_keep_the_catalogue_and_award_amend_and_revoke(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed("Liu Yang")
    classmate, _ = cw.placed("Zhou Jie")
    award_id = cw.award(student, override_reason="contest")
    table = credential_commands(cw, student, award_id)
    nobody = {name: "not-allowed" for name in table}
    outsiders = {
        "coordinator of another school": cw.other_coordinator,
        "teacher of the school": cw.teacher(),
        "teacher of another school": cw.teacher(cw.other_school, "teacher-jinan"),
        "mentor of the student": cw.mentor(cw.workshop),
        "mentor of another enterprise": cw.mentor(cw.depot),
        "the student": cw.student(student),
        "another student": cw.student(classmate),
        "auditor": cw.auditor(),
    }
    for who, ctx in outsiders.items():
        assert outcomes(cw, ctx, table) == nobody, who
    assert outcomes(cw, cw.coordinator, table) == {**nobody, "convert": "accepted"}
    assert outcomes(cw, cw.admin, table) == {  # already converted by the coordinator: past the access check
        "list": "accepted", "adopt": "accepted", "award": "accepted", "amend": "accepted",
        "convert": "already-converted", "revoke": "accepted"}


def test_given_a_students_award_then_admins_convert_its_credits_as_well_as_the_students_schools_coordinators(
    cw: CredentialsWorld,
) -> None:
    student, _ = cw.placed()
    award_id = cw.award(student, override_reason="contest")
    cw.credentials.convert_credits(cw.admin, student, award_id)
    assert cw.account(student).balance == 1
    error = raises_recording_nothing(cw, NotAllowed, cw.credentials.convert_credits, cw.other_coordinator, student,
                                     award_id)
    assert error.details == {"role": "coordinator", "student_id": str(student)}


def test_given_a_credit_account_then_the_student_the_schools_staff_admins_and_auditors_read_it_and_mentors_do_not(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    student, _ = cw.placed("Liu Yang")
    classmate, _ = cw.placed("Zhou Jie")
    cw.award(student, override_reason="contest")
    readers = {"the student": cw.student(student), "coordinator of the school": cw.coordinator,
               "teacher of the school": cw.teacher(), "admin": cw.admin, "auditor": cw.auditor()}
    for who, ctx in readers.items():
        account = app.get_account(ctx, student)
        assert account is not None and account.balance == 4, who
        assert app.eligibility(ctx, student, CODE, "junior")["eligible"] is False, who
    refused_readers = {"mentor of the student": cw.mentor(cw.workshop), "mentor of another enterprise":
                       cw.mentor(cw.depot), "another student": cw.student(classmate),
                       "coordinator of another school": cw.other_coordinator,
                       "teacher of another school": cw.teacher(cw.other_school, "teacher-jinan")}
    for who, ctx in refused_readers.items():
        with pytest.raises(NotAllowed) as caught:
            app.get_account(ctx, student)
        assert caught.value.details == {"role": ctx.actor.role.value, "student_id": str(student)}, who
        with pytest.raises(NotAllowed):
            app.eligibility(ctx, student, CODE, "junior")
    assert app.get_account(cw.student(classmate), classmate) is None  # no award yet: no account


# -- order classes --------------------------------------------------------------------------------------------------


def order(cw: CredentialsWorld, ctx: CommandContext | None = None, *, students: int = 4,
          deadline: date = date(2027, 6, 30), major: str = "mechatronics",
          certificates: list[dict[str, str]] | None = None) -> Any:
    return cw.credentials.order_class(
        ctx or cw.mentor(cw.workshop), enterprise_id=cw.haier, name="Haier drive fitters 2027", students=students,
        major=major, certificates=certificates or [{"code": CODE, "level": "junior"},
                                                    {"code": CODE, "level": "intermediate"}],
        deadline=deadline)


def test_given_an_enterprise_when_it_orders_a_class_then_the_deadline_lies_ahead_and_the_certificates_are_catalogued(
    cw: CredentialsWorld,
) -> None:
    for past in (TODAY, TODAY - timedelta(days=1)):
        refused(cw, "deadline-in-future", order, cw, deadline=past)
    raises_recording_nothing(cw, NotFound, order, cw, certificates=[{"code": "X-NONE", "level": "junior"}])
    raises_recording_nothing(cw, NotFound, order, cw, certificates=[{"code": CODE, "level": "master"}])
    for outsider in (cw.mentor(cw.depot), cw.coordinator, cw.auditor()):
        raises_recording_nothing(cw, NotAllowed, order, cw, outsider)
    before = cw.credentials.max_position()
    result = order(cw, deadline=TODAY + timedelta(days=1))
    (ordered,) = cw.since(before)
    assert (type(ordered).__name__, ordered.originator_id, ordered.enterprise_id, ordered.name, ordered.students,
            ordered.major, ordered.certificates, ordered.deadline) == (
        "ClassOrdered", result.id, str(cw.haier), "Haier drive fitters 2027", 4, "mechatronics",
        [{"code": CODE, "level": "junior"}, {"code": CODE, "level": "intermediate"}], date(2026, 12, 1))
    assert ordered.meta.subject == "m-wang"
    order(cw, cw.admin)


def test_given_an_order_class_when_schools_propose_and_the_enterprise_accepts_then_the_major_and_the_size_are_kept(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    order_id = order(cw, students=2).id
    first, second, third = (cw.enrol(name) for name in ("Liu Yang", "Zhou Jie", "Ma Lin"))
    robotics = cw.enrol("Sun Li", major="industrial-robotics")
    elsewhere = cw.enrol("Wu Fei", school=cw.other_school)
    enterprise = cw.mentor(cw.workshop)

    def propose(*students: UUID, by: CommandContext | None = None) -> Any:
        return app.propose_students_for_order(by or cw.coordinator, order_id, student_ids=[str(s) for s in students])

    def accept(*students: UUID, by: CommandContext | None = None) -> Any:
        return app.accept_students_for_order(by or enterprise, order_id, student_ids=[str(s) for s in students])

    error = refused(cw, "major-of-order", propose, first, robotics)
    assert error.details == {"majors": {str(robotics): "industrial-robotics"}}
    raises_recording_nothing(cw, NotAllowed, propose, elsewhere)  # another school's student
    for outsider in (cw.teacher(), enterprise):
        raises_recording_nothing(cw, NotAllowed, propose, first, by=outsider)
    before = app.max_position()
    propose(first, second, third)
    (proposed,) = cw.since(before)
    assert (type(proposed).__name__, proposed.student_ids) == (
        "StudentsProposedForOrder", [str(first), str(second), str(third)])
    refused(cw, "already-proposed", propose, first)
    for school_side in (cw.coordinator, cw.other_coordinator, cw.mentor(cw.depot), cw.teacher()):
        error = raises_recording_nothing(cw, NotAllowed, accept, first, by=school_side)
        assert error.details["rule"] == "enterprise-accepts"
    accept(first)
    assert (type(cw.since(before)[-1]).__name__, cw.since(before)[-1].student_ids) == (
        "StudentsAssignedToOrder", [str(first)])
    error = refused(cw, "order-size", accept, second, third)
    assert error.details == {"ordered": 2, "assigned": 1, "adding": 2}
    refused(cw, "already-assigned", accept, first)
    refused(cw, "already-assigned", propose, first)
    refused(cw, "not-proposed", accept, elsewhere)
    app.decline_students_for_order(enterprise, order_id, student_ids=[str(third)])
    assert type(cw.since(before)[-1]).__name__ == "StudentsDeclinedForOrder"
    refused(cw, "not-proposed", accept, third)
    accept(second)
    refused(cw, "order-size", propose, third)  # the class is full: nothing left to propose for
    raises_recording_nothing(cw, NotFound, app.propose_students_for_order, cw.coordinator,
                             UUID("00000000-0000-0000-0000-000000000002"), student_ids=[str(third)])


def test_given_an_assignment_recorded_before_proposals_then_it_replays_as_accepted(cw: CredentialsWorld) -> None:
    from events.credentials import StudentsAssignedToOrder
    from services.credentials.domain import OrderClass

    app = cw.credentials
    order_id = order(cw, students=2).id
    first, second = cw.enrol("Liu Yang"), cw.enrol("Zhou Jie")
    old: OrderClass = app.repository.get(order_id)
    old.trigger_event(StudentsAssignedToOrder, student_ids=[str(first)], meta=cw.coordinator.meta())
    app.save(old)
    replayed: OrderClass = app.repository.get(order_id)
    assert (replayed.student_ids, replayed.proposed) == ([str(first)], [])
    assert app.order_report(cw.admin, order_id)["students_assigned"] == 1
    third = cw.enrol("Ma Lin")
    app.propose_students_for_order(cw.coordinator, order_id, student_ids=[str(second), str(third)])
    refused(cw, "order-size", app.accept_students_for_order, cw.mentor(cw.workshop), order_id,
            student_ids=[str(second), str(third)])


def place_in(cw: CredentialsWorld, order_id: UUID, *students: UUID) -> None:
    """The school proposes the students, the ordering enterprise accepts them."""
    ids = [str(s) for s in students]
    cw.credentials.propose_students_for_order(cw.coordinator_of(cw.school), order_id, student_ids=ids)
    cw.credentials.accept_students_for_order(cw.mentor(cw.workshop), order_id, student_ids=ids)


def test_given_an_order_class_then_its_report_lists_holders_eligible_and_not_yet_per_certificate_and_the_shortfall(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    holder, holder_placement = cw.placed("Liu Yang")
    eligible, eligible_placement = cw.placed("Zhou Jie")
    revoked, senior = cw.enrol("Ma Lin"), cw.enrol("Sun Li")
    cw.qualify(holder, holder_placement)
    cw.qualify(eligible, eligible_placement)
    cw.award(holder)
    cw.credentials.revoke_award(cw.admin, revoked, cw.award(revoked, override_reason="contest"), reason="annulled")
    cw.award(senior, "senior", override_reason="national champion")  # a higher level counts as holding the lower
    order_id = order(cw, students=5).id
    place_in(cw, order_id, holder, eligible)
    place_in(cw, order_id, revoked, senior)
    report = app.order_report(cw.mentor(cw.workshop), order_id)
    ids = [str(s) for s in (holder, eligible, revoked, senior)]
    assert report == {
        "order_id": str(order_id), "enterprise_id": str(cw.haier), "name": "Haier drive fitters 2027",
        "major": "mechatronics", "students_ordered": 5, "students_assigned": 4, "deadline": "2027-06-30",
        "days_left": 212, "proposed": [], "scope": "order", "certificates": [
            {"code": CODE, "level": "junior", "holders": [ids[0], ids[3]], "eligible": [ids[1]],
             "not_yet": [ids[2]], "short_of_order": 3},
            {"code": CODE, "level": "intermediate", "holders": [ids[3]], "eligible": [],
             "not_yet": ids[:3], "short_of_order": 4}]}
    for reader in (cw.admin, cw.auditor()):
        assert app.order_report(reader, order_id)["certificates"] == report["certificates"]
    school = app.order_report(cw.coordinator, order_id)  # every student is of this school: all shown, no shortfall
    assert school["scope"] == "school"
    assert school["certificates"] == [{**row, "short_of_order": None} for row in report["certificates"]]
    for outsider in (cw.mentor(cw.depot), cw.other_coordinator, cw.teacher(), cw.student(holder)):
        with pytest.raises(NotAllowed):
            app.order_report(outsider, order_id)


def test_given_students_of_two_schools_in_a_class_then_each_schools_coordinator_reads_only_its_own(
    cw: CredentialsWorld,
) -> None:
    app = cw.credentials
    order_id = order(cw, students=5).id
    ours, theirs, waiting = cw.enrol("Liu Yang"), cw.enrol("Wu Fei", school=cw.other_school), cw.enrol("Zhou Jie")
    place_in(cw, order_id, ours)
    app.propose_students_for_order(cw.other_coordinator, order_id, student_ids=[str(theirs)])
    app.accept_students_for_order(cw.enterprise_admin(cw.haier), order_id, student_ids=[str(theirs)])
    app.propose_students_for_order(cw.coordinator, order_id, student_ids=[str(waiting)])

    def seen(ctx: CommandContext) -> tuple[set[str], list[str]]:
        report = app.order_report(ctx, order_id)
        return {s for row in report["certificates"] for k in ("holders", "eligible", "not_yet") for s in row[k]}, \
            report["proposed"]

    assert seen(cw.coordinator) == ({str(ours)}, [str(waiting)])
    assert seen(cw.other_coordinator) == ({str(theirs)}, [])
    assert seen(cw.mentor(cw.workshop)) == ({str(ours), str(theirs)}, [str(waiting)])
    assert app.order_report(cw.other_coordinator, order_id)["students_assigned"] == 2
    with pytest.raises(NotAllowed):
        app.order_report(cw.vocational_coordinator, order_id)

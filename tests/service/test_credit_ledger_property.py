"""Property: whatever awards, conversions and revocations are tried, in whatever order, each student's credit
ledger stays a sound double-entry ledger.

A certificate whose junior level anyone meets (it asks nothing) and whose higher levels no one meets (so they
are awarded only by override, with a reason), conversion rules taking effect on different dates, and a second
certificate worth no credits. Random sequences of awards (with or without an override reason), conversions on
a chosen day and revocations run over three fresh students per example, on in-memory event stores. A simple model
predicts each command's outcome (accepted, or the rule that refuses it; a refusal records nothing); after every
step, from the account's stored events:

(a) the balance is the sum of the ledger lines' effects on `available`, equals the account's balance and what
    the model expects, and is never negative;
(b) every line is balanced: one debit account, one credit account (not the same), one positive amount;
(c) every reversal names an existing line of the same award that is not itself a reversal, moves the same
    amount back the way it came, and no line is reversed twice;
(d) no award has more converted than it was worth.

At the end, revoking every award that is still live brings every balance to zero and leaves no live conversion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import Container
from services.common.errors import RuleViolated
from services.common.identity import CommandContext
from services.credentials.application import CredentialsApplication
from services.credentials.domain import AVAILABLE, credit_account_id
from tests.conftest import make_settings
from tests.service.placement_world import TODAY, World, build_world

pytestmark = pytest.mark.rules

CODE, ZERO = "X-PROP", "X-ZERO"
NEVER = [{"competency": "M1", "min_signed_hours": 10_000, "min_assessment": None}]
CATALOGUE = {
    CODE: [{"level": "junior", "credits": 3, "requirements": []},
           {"level": "intermediate", "credits": 5, "requirements": NEVER},
           {"level": "senior", "credits": 9, "requirements": NEVER}],
    ZERO: [{"level": "junior", "credits": 0, "requirements": []}],
}
CREDITS = {(code, lv["level"]): lv["credits"] for code, levels in CATALOGUE.items() for lv in levels}
ELIGIBLE = {(code, lv["level"]) for code, levels in CATALOGUE.items() for lv in levels if not lv["requirements"]}
RULES: list[tuple[str, date, list[dict[str, Any]]]] = [
    ("junior", date(2026, 1, 1), [{"course": "A", "credits": 2, "exempt": True}]),
    ("junior", date(2026, 6, 1), [{"course": "B", "credits": 1, "exempt": False},
                                  {"course": "C", "credits": 1, "exempt": True}]),
    ("intermediate", date(2026, 1, 1), [{"course": "A", "credits": 3, "exempt": True}]),
    ("intermediate", date(2026, 6, 1), [{"course": "D", "credits": 5, "exempt": False}]),
    ("senior", date(2026, 6, 1), [{"course": "E", "credits": 4, "exempt": True}]),
    ("senior", date(2026, 9, 1), [{"course": "F", "credits": 4, "exempt": False},
                                  {"course": "G", "credits": 1, "exempt": True}]),
]
DAYS = (date(2025, 12, 1), date(2026, 3, 1), date(2026, 7, 1), date(2026, 10, 1), TODAY)
OFFERS = sorted(CREDITS)
STUDENTS = 3


@dataclass
class Rule:
    rule_id: str
    level: str
    effective_from: date
    needed: int


@dataclass
class ModelAward:
    award_id: str
    code: str
    level: str
    unconverted: int
    live: bool = True
    rules_used: set[str] = field(default_factory=set)


@dataclass
class LedgerWorld:
    world: World
    credentials: CredentialsApplication
    rules: list[Rule]

    @property
    def admin(self) -> CommandContext:
        return self.world.admin

    def rule_in_force(self, code: str, level: str, on: date) -> Rule | None:
        if code != CODE:
            return None
        in_force = [r for r in self.rules if r.level == level and r.effective_from <= on]
        return max(in_force, key=lambda r: r.effective_from) if in_force else None


@pytest.fixture
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerWorld]:
    """One world for every example of a test; each example enrols fresh students."""
    container = Container(make_settings(Path(tmp_path_factory.mktemp("credit-ledger")) / "var", "memory:"))
    world = build_world(container)
    app = container.credentials
    app.today = lambda: TODAY  # type: ignore[method-assign]
    for code, levels in CATALOGUE.items():
        app.list_certificate(world.admin, code=code, title=code, awarding_organisation="o", levels=levels)
    rules = []
    for level, effective_from, conversions in RULES:
        app.adopt_conversion_rule(world.admin, CODE, level=level, effective_from=effective_from,
                                  conversions=conversions)
        rule_id = app.get_certificate(CODE).rules[-1].rule_id
        rules.append(Rule(rule_id, level, effective_from, sum(c["credits"] for c in conversions)))
    yield LedgerWorld(world, app, rules)
    container.close()


students = st.integers(0, STUDENTS - 1)
picks = st.integers(0, 7)
awards = st.tuples(st.just("award"), students, st.sampled_from(OFFERS), st.booleans())
conversions = st.tuples(st.just("convert"), students, picks, st.sampled_from(DAYS))
steps = st.one_of(awards, conversions, conversions, st.tuples(st.just("revoke"), students, picks))
scripts = st.lists(steps, min_size=4, max_size=30).map(lambda tail: [("award", n, (CODE, "junior"), False)
                                                                     for n in range(STUDENTS)] + tail)
"""Every student starts with a junior award, so conversions and revocations have something to work on."""


class Run:
    """One example: fresh students, the model of their awards, and the checks."""

    def __init__(self, ledger: LedgerWorld) -> None:
        self.ledger = ledger
        self.app = ledger.credentials
        self.students = [ledger.world.enrol(f"Student {n}") for n in range(STUDENTS)]
        self.coordinator = ledger.world.coordinator
        self.awards: list[dict[str, ModelAward]] = [{} for _ in range(STUDENTS)]

    # -- the model's predictions -----------------------------------------------------------------------------
    def expect_award(self, who: int, code: str, level: str, override: bool) -> str:
        if any(a.live and (a.code, a.level) == (code, level) for a in self.awards[who].values()):
            return "already-awarded"
        if (code, level) not in ELIGIBLE and not override:
            return "not-eligible"
        return "accepted"

    def expect_convert(self, award: ModelAward, on: date) -> str:
        rule = self.ledger.rule_in_force(award.code, award.level, on)
        if rule is None:
            return "no-conversion-rule"
        if not award.live:
            return "award-revoked"
        if rule.rule_id in award.rules_used:
            return "already-converted"
        if rule.needed > award.unconverted:
            return "not-enough-credits"
        return "accepted"

    # -- steps -------------------------------------------------------------------------------------------------
    def step(self, action: str, who: int, *args: Any) -> None:
        student = self.students[who]
        if action == "award":
            (code, level), override = args
            expected = self.expect_award(who, code, level, override)
            outcome = self.attempt(lambda: self.app.award_certificate(
                self.ledger.admin, student, certificate_code=code, level=level, awarded_on=DAYS[0],
                override_reason="national skills contest" if override else None))  # converted on any day after
            assert outcome == expected, (action, code, level, override)
            if outcome == "accepted":
                new = set(self.account_awards(student)) - set(self.awards[who])
                (award_id,) = new
                self.awards[who][award_id] = ModelAward(award_id, code, level, CREDITS[(code, level)])
            return
        if not self.awards[who]:
            return
        award = list(self.awards[who].values())[args[0] % len(self.awards[who])]
        if action == "convert":
            on = args[1]
            expected = self.expect_convert(award, on)
            outcome = self.attempt(lambda: self.app.convert_credits(self.coordinator, student, award.award_id, on=on))
            assert outcome == expected, (action, award, on)
            if outcome == "accepted":
                rule = self.ledger.rule_in_force(award.code, award.level, on)
                assert rule is not None
                award.rules_used.add(rule.rule_id)
                award.unconverted -= rule.needed
        else:
            expected = "award-revoked" if not award.live else "accepted"
            outcome = self.attempt(lambda: self.app.revoke_award(self.ledger.admin, student, award.award_id,
                                                                 reason="annulled"))
            assert outcome == expected, (action, award)
            if outcome == "accepted":
                award.live, award.unconverted = False, 0

    def attempt(self, command: Any) -> str:
        before = self.app.max_position()
        try:
            command()
        except RuleViolated as refused:
            assert self.app.max_position() == before, refused.rule
            return refused.rule
        return "accepted"

    def account_awards(self, student: UUID) -> dict[str, Any]:
        account = self.app.get_account(self.ledger.admin, student)
        return account.awards if account is not None else {}

    # -- the invariants ----------------------------------------------------------------------------------------
    def check(self) -> None:
        for who, student in enumerate(self.students):
            self.check_account(student, self.awards[who])

    def check_account(self, student: UUID, model: dict[str, ModelAward]) -> list[Any]:
        account = self.app.get_account(self.ledger.admin, student)
        if account is None:
            assert not model
            return []
        stored = self.app.repository.event_store.get(credit_account_id(str(student)))
        lines = [e for e in stored if type(e).__name__ == "CreditsPosted"]
        assert [ln.line_id for ln in lines] == [ln.line_id for ln in account.lines]

        def effect(line: Any, on: str) -> int:
            return (line.amount if line.credit == on else 0) - (line.amount if line.debit == on else 0)

        balance = sum(effect(line, AVAILABLE) for line in lines)
        assert balance == account.balance == sum(a.unconverted for a in model.values() if a.live)
        assert balance >= 0
        by_id = {line.line_id: line for line in lines}
        assert len(by_id) == len(lines)
        for line in lines:
            assert line.debit and line.credit and line.debit != line.credit, line
            assert isinstance(line.amount, int) and line.amount > 0, line
            assert line.award_id in account.awards, line
            accounts = {line.debit, line.credit}
            assert sum(effect(line, a) for a in accounts) == 0
        reversed_ids = [line.reverses for line in lines if line.kind == "reversal"]
        assert len(reversed_ids) == len(set(reversed_ids)), "a line reversed twice"
        assert all(line.reverses is None for line in lines if line.kind != "reversal")
        for line in lines:
            if line.kind != "reversal":
                continue
            original = by_id.get(line.reverses)
            assert original is not None, line
            assert original.kind != "reversal" and original.award_id == line.award_id, (line, original)
            assert (line.debit, line.credit, line.amount) == (original.credit, original.debit, original.amount)
        for award_id, award in model.items():
            awarded = account.awards[award_id]
            assert awarded.revoked is not award.live
            deposits = [ln for ln in lines if ln.award_id == award_id and ln.kind == "deposit"]
            assert sum(ln.amount for ln in deposits) == CREDITS[(award.code, award.level)]
            assert 0 <= account.unconverted(award_id) == award.unconverted
        return lines

    def revoke_everything(self) -> None:
        for who, student in enumerate(self.students):
            for award in self.awards[who].values():
                if award.live:
                    self.app.revoke_award(self.ledger.admin, student, award.award_id, reason="the end")
                    award.live, award.unconverted = False, 0
            lines = self.check_account(student, self.awards[who])
            reversed_ids = {line.reverses for line in lines}
            assert all(line.line_id in reversed_ids for line in lines if line.kind != "reversal")
            account = self.app.get_account(self.ledger.admin, student)
            assert account is None or account.balance == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=scripts)
@example(script=[  # convert twice on different days, fail for lack of credits, revoke, try again
    ("award", 0, (CODE, "junior"), False), ("convert", 0, 0, date(2026, 3, 1)),
    ("convert", 0, 0, date(2026, 3, 1)), ("convert", 0, 0, TODAY), ("award", 0, (CODE, "senior"), True),
    ("convert", 0, 1, date(2026, 7, 1)), ("convert", 0, 1, TODAY), ("award", 0, (CODE, "intermediate"), False),
    ("award", 0, (CODE, "intermediate"), True), ("convert", 0, 2, date(2026, 3, 1)),
    ("convert", 0, 2, TODAY), ("revoke", 0, 1), ("revoke", 0, 1), ("convert", 0, 1, TODAY),
    ("award", 0, (CODE, "senior"), True), ("award", 1, (ZERO, "junior"), False), ("convert", 1, 0, TODAY),
    ("revoke", 1, 0), ("award", 1, (ZERO, "junior"), False)])
def test_given_random_awards_conversions_and_revocations_then_every_ledger_stays_balanced_and_revoking_all_empties_it(
    ledger: LedgerWorld, script: list[tuple[Any, ...]],
) -> None:
    run = Run(ledger)
    for action, who, *args in script:
        run.step(action, who, *args)
        run.check()
    run.revoke_everything()

"""The X-certificate catalogue: certificates with ordered levels, their requirements and credit values, and
conversion rules into course credits that take effect from a date."""

from __future__ import annotations

import builtins  # in Certificate, `list` is the classmethod that lists one: its later annotations say builtins.list
from dataclasses import dataclass
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.credentials import CertificateListed, ConversionRuleAdopted
from services.common.errors import NotFound, RuleViolated

LEVELS = ("junior", "intermediate", "senior")
"""Levels in order: junior < intermediate < senior."""


def certificate_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"dualtrack:certificate:{code}")


@dataclass(frozen=True)
class Requirement:
    competency: str
    min_signed_hours: float
    min_assessment: float | None
    """The lowest combined assessment result that counts; None: no assessment needed."""


@dataclass(frozen=True)
class Level:
    level: str
    credits: int
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class ConversionRule:
    rule_id: str
    level: str
    effective_from: date
    conversions: tuple[dict[str, Any], ...]
    event_id: str = ""
    """The adoption event (certificate:version): conversions by the rule name it as a cause."""


class Certificate(Aggregate):
    """A vocational skill-level certificate of the catalogue."""

    def __init__(self, *, code: str, title: str, awarding_organisation: str, levels: list[dict[str, Any]],
                 meta: EventMeta) -> None:
        self.code = code
        self.title = title
        self.awarding_organisation = awarding_organisation
        self.levels = {lv["level"]: _level(lv) for lv in levels}
        self.rules: list[ConversionRule] = []

    @classmethod
    def list(cls, *, code: str, title: str, awarding_organisation: str, levels: list[dict[str, Any]],
             meta: EventMeta) -> Certificate:
        names = [lv["level"] for lv in levels]
        if not names or any(n not in LEVELS for n in names) or len(set(names)) != len(names):
            raise RuleViolated("certificate-levels", f"levels are some of {LEVELS}, each once", levels=names)
        ordered = sorted(levels, key=lambda lv: LEVELS.index(lv["level"]))
        credits = [lv["credits"] for lv in ordered]
        if any(c < 0 for c in credits) or credits != sorted(credits):
            raise RuleViolated("level-credits", "a higher level is worth at least as many credits as a lower one",
                               credits=dict(zip([lv["level"] for lv in ordered], credits)))
        return cls._create(CertificateListed, id=certificate_id(code), code=code, title=title,
                           awarding_organisation=awarding_organisation, levels=ordered, meta=meta)

    def level(self, name: str) -> Level:
        found = self.levels.get(name)
        if found is None:
            raise NotFound(f"certificate {self.code} has no level {name!r}; it has {list(self.levels)}",
                           level=name, levels=list(self.levels))
        return found

    def adopt_conversion_rule(self, *, level: str, effective_from: date,
                              conversions: builtins.list[dict[str, Any]], meta: EventMeta) -> str:
        """From a date, the level converts into these courses' credits and exemptions."""
        worth = self.level(level).credits
        not_positive = [c["course"] for c in conversions if c["credits"] < 1]
        if not_positive:
            raise RuleViolated("conversion-credits", "each course of a rule uses at least 1 credit",
                               courses=not_positive)
        used = sum(c["credits"] for c in conversions)
        if not conversions or used > worth:
            raise RuleViolated("conversion-within-credits", f"a {level} {self.code} is worth {worth} credits; the rule "
                               f"uses {used}", credits=worth, used=used)
        rule_id = str(uuid4())
        self.trigger_event(ConversionRuleAdopted, rule_id=rule_id, level=level, effective_from=effective_from,
                           conversions=conversions, meta=meta)
        return rule_id

    def rule_in_force(self, level: str, on: date) -> ConversionRule:
        rules = [r for r in self.rules if r.level == level and r.effective_from <= on]
        if not rules:
            raise RuleViolated("no-conversion-rule", f"no conversion rule for {self.code} {level} is in force on {on}",
                               certificate=self.code, level=level, on=str(on))
        return max(rules, key=lambda r: (r.effective_from, self.rules.index(r)))

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the certificate."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: ConversionRuleAdopted) -> None:
        self.rules.append(ConversionRule(e.rule_id, e.level, e.effective_from, tuple(e.conversions),
                                         f"{e.originator_id}:{e.originator_version}"))


def _level(data: dict[str, Any]) -> Level:
    return Level(data["level"], data["credits"], tuple(
        Requirement(r["competency"], r["min_signed_hours"], r.get("min_assessment")) for r in data["requirements"]))

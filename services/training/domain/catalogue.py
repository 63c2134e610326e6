"""Competency catalogues: per major, the competencies trained, their target hours and scales, by date.

Every change takes effect from a date, so the catalogue in force on any day can be asked for, and a
training plan drawn up from it never changes behind anyone's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.training import CompetencyCatalogueOpened, CompetencyDefined, CompetencyRetired, CompetencyTargetRevised
from services.common.errors import NotFound, RuleViolated
from services.common.scales import SCALES


def catalogue_id(major: str) -> UUID:
    """One catalogue per major: its id follows from the major's name."""
    return uuid5(NAMESPACE_URL, f"dualtrack:competency-catalogue:{major}")


@dataclass(frozen=True)
class Competency:
    """A competency as the catalogue defines it on some day."""

    code: str
    title: str
    target_hours: int
    scale: str

    def as_target(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "target_hours": self.target_hours, "scale": self.scale}


@dataclass(frozen=True)
class _Change:
    effective_from: date
    competency: Competency | None
    """None: retired from that date."""


class CompetencyCatalogue(Aggregate):
    """The competencies trained for one major."""

    def __init__(self, *, major: str, meta: EventMeta) -> None:
        self.major = major
        self.changes: dict[str, list[_Change]] = {}

    @classmethod
    def open(cls, major: str, meta: EventMeta) -> CompetencyCatalogue:
        return cls._create(CompetencyCatalogueOpened, id=catalogue_id(major), major=major, meta=meta)

    # -- queries ----------------------------------------------------------------------------------
    def in_force(self, on: date) -> list[Competency]:
        """The competencies trained on a day, in the order they were defined."""
        found = []
        for changes in self.changes.values():
            current = [c for c in changes if c.effective_from <= on]
            if current and current[-1].competency is not None:
                found.append(current[-1].competency)
        return found

    def latest(self, code: str) -> Competency:
        changes = self.changes.get(code)
        if not changes:
            raise NotFound(f"the {self.major} catalogue has no competency {code!r}", code=code)
        defined = [c.competency for c in changes if c.competency is not None]
        return defined[-1]

    # -- commands ---------------------------------------------------------------------------------
    def define(self, *, code: str, title: str, target_hours: int, scale: str, effective_from: date,
               meta: EventMeta) -> None:
        """Add a competency (or bring a retired one back) from a date."""
        if scale not in SCALES:
            raise RuleViolated("assessment-scale", f"scale must be one of {sorted(SCALES)}", scale=scale)
        if target_hours <= 0:
            raise RuleViolated("target-hours", "target hours must be positive", target_hours=target_hours)
        changes = self.changes.get(code)
        if changes and changes[-1].competency is not None:
            raise RuleViolated("competency-exists", f"the {self.major} catalogue already has {code!r}; revise its "
                               "target instead", code=code)
        self._after_last_change(code, effective_from)
        self.trigger_event(CompetencyDefined, code=code, title=title, target_hours=target_hours, scale=scale,
                           effective_from=effective_from, meta=meta)

    def revise_target(self, *, code: str, target_hours: int, effective_from: date, meta: EventMeta) -> None:
        """Change a competency's target hours from a date."""
        self.latest(code)
        if self.changes[code][-1].competency is None:
            raise RuleViolated("competency-retired", f"{code!r} is retired", code=code)
        if target_hours <= 0:
            raise RuleViolated("target-hours", "target hours must be positive", target_hours=target_hours)
        self._after_last_change(code, effective_from)
        self.trigger_event(CompetencyTargetRevised, code=code, target_hours=target_hours,
                           effective_from=effective_from, meta=meta)

    def retire(self, *, code: str, effective_from: date, meta: EventMeta) -> None:
        """Stop training a competency from a date; plans already drawn up keep it."""
        self.latest(code)
        if self.changes[code][-1].competency is None:
            raise RuleViolated("competency-retired", f"{code!r} is already retired", code=code)
        self._after_last_change(code, effective_from)
        self.trigger_event(CompetencyRetired, code=code, effective_from=effective_from, meta=meta)

    def _after_last_change(self, code: str, effective_from: date) -> None:
        """Changes of one competency take effect in order, so the history reads forwards."""
        changes = self.changes.get(code)
        if changes and effective_from <= changes[-1].effective_from:
            raise RuleViolated("effective-date-order", f"{code!r} last changed with effect from "
                               f"{changes[-1].effective_from}; a new change takes effect after that",
                               code=code, last_effective_from=str(changes[-1].effective_from))

    # -- state ------------------------------------------------------------------------------------
    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the catalogue."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: CompetencyDefined) -> None:
        competency = Competency(e.code, e.title, e.target_hours, e.scale)
        self.changes.setdefault(e.code, []).append(_Change(e.effective_from, competency))

    @when.register
    def _(self, e: CompetencyTargetRevised) -> None:
        last = self.latest(e.code)
        revised = Competency(last.code, last.title, e.target_hours, last.scale)
        self.changes[e.code].append(_Change(e.effective_from, revised))

    @when.register
    def _(self, e: CompetencyRetired) -> None:
        self.changes[e.code].append(_Change(e.effective_from, None))

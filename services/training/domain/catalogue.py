"""Competency catalogues: per major, the competencies trained, their target hours and scales, by date.

Every change takes effect from a date, so the catalogue in force on any day can be asked for, and a
training plan drawn up from it never changes behind anyone's back.

Every school of a major trains by its one catalogue, so the catalogue belongs to the deployment's administrators: a
school's coordinator files a change request (add, revise a target, retire) with a reason, and an administrator
approves it (the change applies as if made directly) or rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.training import (
    CatalogueChangeApproved,
    CatalogueChangeRejected,
    CatalogueChangeRequested,
    CompetencyCatalogueOpened,
    CompetencyDefined,
    CompetencyRetired,
    CompetencyTargetRevised,
)
from services.common.errors import InvalidInput, NotFound, RuleViolated
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


CHANGES = ("define", "revise-target", "retire")
"""What a change request asks for: a competency added (or brought back), its target revised, or it retired."""


@dataclass
class ChangeRequest:
    """A coordinator's request to change the catalogue, and what became of it."""

    request_id: str
    change: str
    code: str
    title: str | None
    target_hours: int | None
    scale: str | None
    effective_from: date
    school_id: str | None
    reason: str | None
    requested_by: str
    status: str = "pending"
    """pending, approved or rejected."""
    decided_by: str | None = None
    decision_reason: str | None = None


class CompetencyCatalogue(Aggregate):
    """The competencies trained for one major."""

    def __init__(self, *, major: str, meta: EventMeta) -> None:
        self.major = major
        self.changes: dict[str, list[_Change]] = {}
        self.requests: dict[str, ChangeRequest] = {}

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
        self._check("define", code=code, target_hours=target_hours, scale=scale, effective_from=effective_from)
        self.trigger_event(CompetencyDefined, code=code, title=title, target_hours=target_hours, scale=scale,
                           effective_from=effective_from, meta=meta)

    def revise_target(self, *, code: str, target_hours: int, effective_from: date, meta: EventMeta) -> None:
        """Change a competency's target hours from a date."""
        self._check("revise-target", code=code, target_hours=target_hours, scale=None, effective_from=effective_from)
        self.trigger_event(CompetencyTargetRevised, code=code, target_hours=target_hours,
                           effective_from=effective_from, meta=meta)

    def retire(self, *, code: str, effective_from: date, meta: EventMeta) -> None:
        """Stop training a competency from a date; plans already drawn up keep it."""
        self._check("retire", code=code, target_hours=None, scale=None, effective_from=effective_from)
        self.trigger_event(CompetencyRetired, code=code, effective_from=effective_from, meta=meta)

    # -- change requests ------------------------------------------------------------------------
    def request_change(self, *, change: str, code: str, effective_from: date, title: str | None = None,
                       target_hours: int | None = None, scale: str | None = None, school_id: str | None,
                       meta: EventMeta) -> str:
        """File a request for a change (the reason in `meta`): checked as the change would be today, applied only
        when an administrator approves it. Returns the request's id."""
        needed = {"define": ("title", "target_hours", "scale"), "revise-target": ("target_hours",), "retire": ()}
        if change not in needed:
            raise InvalidInput(f"change must be one of {', '.join(CHANGES)}", field="change")
        given = {"title": title, "target_hours": target_hours, "scale": scale}
        for name in ("title", "target_hours", "scale"):
            if name in needed[change] and given[name] in (None, ""):
                raise InvalidInput(f"a {change} request needs {name}", field=name)
            if name not in needed[change] and given[name] is not None:
                raise InvalidInput(f"a {change} request takes no {name}", field=name)
        if not meta.reason:
            raise InvalidInput("say why the catalogue should change", field="reason")
        self._check(change, code=code, target_hours=target_hours, scale=scale, effective_from=effective_from)
        request_id = str(uuid4())
        self.trigger_event(CatalogueChangeRequested, request_id=request_id, change=change, code=code, title=title,
                           target_hours=target_hours, scale=scale, effective_from=effective_from,
                           school_id=school_id, meta=meta)
        return request_id

    def approve(self, request_id: str, meta: EventMeta) -> ChangeRequest:
        """Approve a pending request: the change applies from its date, with the request's reason."""
        request = self.pending(request_id)
        self._check(request.change, code=request.code, target_hours=request.target_hours, scale=request.scale,
                    effective_from=request.effective_from)
        self.trigger_event(CatalogueChangeApproved, request_id=request_id, meta=meta)
        applied = replace(meta, reason=request.reason, business_date=request.effective_from)
        if request.change == "define":
            assert request.title is not None and request.target_hours is not None and request.scale is not None
            self.define(code=request.code, title=request.title, target_hours=request.target_hours,
                        scale=request.scale, effective_from=request.effective_from, meta=applied)
        elif request.change == "revise-target":
            assert request.target_hours is not None
            self.revise_target(code=request.code, target_hours=request.target_hours,
                               effective_from=request.effective_from, meta=applied)
        else:
            self.retire(code=request.code, effective_from=request.effective_from, meta=applied)
        return request

    def reject(self, request_id: str, meta: EventMeta) -> None:
        """Reject a pending request, with a reason (in `meta`)."""
        self.pending(request_id)
        self.trigger_event(CatalogueChangeRejected, request_id=request_id, meta=meta)

    def pending(self, request_id: str) -> ChangeRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound(f"the {self.major} catalogue has no change request {request_id}", request_id=request_id)
        if request.status != "pending":
            raise RuleViolated("request-decided", f"change request {request_id} was already {request.status}",
                               request_id=request_id, status=request.status)
        return request

    def _check(self, change: str, *, code: str, target_hours: int | None, scale: str | None,
               effective_from: date) -> None:
        """The rules the change would meet if it were made now (nothing is triggered)."""
        if scale is not None and scale not in SCALES:
            raise RuleViolated("assessment-scale", f"scale must be one of {sorted(SCALES)}", scale=scale)
        if target_hours is not None and target_hours <= 0:
            raise RuleViolated("target-hours", "target hours must be positive", target_hours=target_hours)
        changes = self.changes.get(code)
        if change == "define":
            if changes and changes[-1].competency is not None:
                raise RuleViolated("competency-exists", f"the {self.major} catalogue already has {code!r}; revise "
                                   "its target instead", code=code)
        else:
            self.latest(code)
            if self.changes[code][-1].competency is None:
                raise RuleViolated("competency-retired", f"{code!r} is retired", code=code)
        self._after_last_change(code, effective_from)

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

    @when.register
    def _(self, e: CatalogueChangeRequested) -> None:
        self.requests[e.request_id] = ChangeRequest(
            e.request_id, e.change, e.code, e.title, e.target_hours, e.scale, e.effective_from, e.school_id,
            e.meta.reason, e.meta.subject)

    @when.register
    def _(self, e: CatalogueChangeApproved) -> None:
        request = self.requests[e.request_id]
        request.status, request.decided_by = "approved", e.meta.subject

    @when.register
    def _(self, e: CatalogueChangeRejected) -> None:
        request = self.requests[e.request_id]
        request.status, request.decided_by, request.decision_reason = "rejected", e.meta.subject, e.meta.reason

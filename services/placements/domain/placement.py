"""A placement of a student at a training centre (an entity of the student's aggregate), its terms, and the rules
about one placement's dates and terms that need nothing but the placement and the rule set."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.common.errors import RuleViolated
from services.common.rules import RuleSet, age_on

LIVE = ("proposed", "agreed", "active", "paused")


@dataclass(frozen=True)
class Terms:
    """What school and enterprise agree on; amended terms get the next version."""

    version: int
    start: date
    planned_end: date
    post: str
    weekly_hours: int


@dataclass
class Placement:
    """One placement of the student at a training centre."""

    id: str
    centre_id: str
    enterprise_id: str
    kind: str
    terms: Terms
    transferred_from: str | None
    status: str = "proposed"
    pending_terms: Terms | None = None
    school_approved: int | None = None
    enterprise_approved: int | None = None
    mentor_id: str | None = None
    confirmed_by: str | None = None
    activated_on: date | None = None
    paused_on: date | None = None
    resumed_on: date | None = None
    ended_on: date | None = None
    transferred_to: str | None = None
    capacity_override_justification: str | None = None
    pending_override_justification: str | None = None
    proposed_by: str | None = None
    pauses: list[tuple[date, date | None]] = field(default_factory=list)
    """Every pause: the day it began and the day the placement resumed (None while it lasts)."""

    @property
    def end(self) -> date:
        """The last day it holds the student: the day it ended, else the planned end."""
        return self.ended_on or self.terms.planned_end

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def awaited_terms(self) -> Terms:
        """The terms approvals are for: pending amended terms, else the current ones."""
        return self.pending_terms or self.terms

    def overlaps(self, start: date, end: date) -> bool:
        """Whether it holds the student on any day between start and end, under its terms or pending ones."""
        if self.status == "withdrawn":
            return False
        pending = self.pending_terms
        return (self.terms.start <= end and start <= self.end) or (
            pending is not None and pending.start <= end and start <= pending.planned_end
        )


# -- rules ------------------------------------------------------------------------------------------------

def check_terms(start: date, planned_end: date, weekly_hours: int, rules: RuleSet) -> None:
    """A period in order, and weekly hours within the rule set's cap."""
    if planned_end < start:
        raise RuleViolated("period-order", f"the planned end {planned_end} is before the start {start}")
    if not 0 < weekly_hours <= rules.max_hours_per_week:
        raise RuleViolated("weekly-hours-cap", f"weekly hours must be between 1 and {rules.max_hours_per_week} "
                           f"under rule set {rules.name}", weekly_hours=weekly_hours, rule_set=rules.name)


def check_eligibility(date_of_birth: date | None, enrolment_date: date, kind: str, start: date,
                      rules: RuleSet) -> None:
    """The rule set's minimum age, and no post internship in the first year where it says so; nobody erased."""
    if date_of_birth is None:
        raise RuleViolated("student-erased", "this student's personal data was erased: they take no new placement")
    age = age_on(date_of_birth, start)
    if rules.min_age is not None and age < rules.min_age:
        raise RuleViolated("minimum-age", f"the student is {age} on {start}; rule set {rules.name} asks for "
                           f"at least {rules.min_age}", age=age, rule_set=rules.name)
    first_year_ends = _add_years(enrolment_date, 1)
    if kind == "post" and not rules.first_year_post_internships and start < first_year_ends:
        raise RuleViolated("no-first-year-post-internship", f"rule set {rules.name}: no post internship before "
                           f"the end of the first year ({first_year_ends})", rule_set=rules.name)


def check_no_overlap(placements: Iterable[Placement], start: date, end: date, *, excluding: str | None) -> None:
    """A student is in at most one placement on any day (withdrawn ones hold nothing)."""
    clashing = [p.id for p in placements if p.id != excluding and p.status != "withdrawn" and p.overlaps(start, end)]
    if clashing:
        raise RuleViolated("placements-overlap", f"the student already has placements between {start} and {end}",
                           conflicting_placements=clashing)


def check_amendment_fits_start(placement: Placement, start: date, planned_end: date) -> None:
    """A placement that started keeps its start date and cannot end before it started."""
    if placement.activated_on is None:
        return
    if start != placement.terms.start:
        raise RuleViolated("started-placement-start", "a placement that started keeps its start date",
                           placement_id=placement.id, start=str(placement.terms.start))
    if planned_end < placement.activated_on:
        raise RuleViolated("date-within-placement", f"the planned end {planned_end} is before the placement "
                           f"started ({placement.activated_on})", placement_id=placement.id)


def check_within_running_period(placement: Placement, on: date) -> None:
    """A day within the placement's terms, and not before it started."""
    if not placement.terms.start <= on <= placement.terms.planned_end:
        raise RuleViolated("date-within-placement", f"{on} is outside the placement "
                           f"({placement.terms.start}..{placement.terms.planned_end})", placement_id=placement.id)
    if placement.activated_on and on < placement.activated_on:
        raise RuleViolated("date-within-placement", f"{on} is before the placement started "
                           f"({placement.activated_on})", placement_id=placement.id)


def check_not_in_future(on: date, today: date) -> None:
    """Nothing is recorded as having happened after today."""
    if on > today:
        raise RuleViolated("no-future-date", f"{on} is in the future (today is {today})", on=str(on))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)

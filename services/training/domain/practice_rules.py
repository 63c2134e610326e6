"""The rules practice obeys on a student's training record, as logged, corrected or signed: the end after the start,
competencies from the placement's plan, no future day, a day the placement held the student and the published
alternation plan does not put them at school, the edit window (further back only a coordinator, giving a reason), the
daily and weekly caps over every entry that counts, and no two entries at once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from services.common.errors import RuleViolated
from services.common.rules import RuleSet
from services.training.domain.placement_facts import PlacementFacts
from services.training.domain.values import Capacity, Entry, Practice, hhmm, hours_of

if TYPE_CHECKING:
    from services.training.domain.record import TrainingRecord


def check_practice(record: TrainingRecord, placement: PlacementFacts, practice: Practice, *, capacity: Capacity,
                   rules: RuleSet, today: date, school_day: bool, reason: str | None, excluding: str | None) -> None:
    """Whether `practice` may stand on the record (`excluding`: the entry it corrects); RuleViolated naming the
    first rule it breaks."""
    day = practice.day
    if practice.minutes <= 0:
        raise RuleViolated("time-order", f"the end {hhmm(practice.end)} is not after the start "
                           f"{hhmm(practice.start)}", start=hhmm(practice.start), end=hhmm(practice.end))
    plan = record.plan(placement.placement_id)
    unknown = [c for c in practice.competencies if c not in plan.targets]
    if not practice.competencies or unknown:
        raise RuleViolated("competency-not-in-plan", f"competencies must come from the placement's plan "
                           f"{sorted(plan.targets)}", unknown=unknown, plan=sorted(plan.targets))
    if day > today:
        raise RuleViolated("no-future-date", f"{day} is in the future (today is {today})", day=str(day))
    if not placement.running_on(day):
        raise RuleViolated(
            "placement-not-running", f"placement {placement.placement_id} did not hold the student on {day} "
            f"({_period(placement)})", day=str(day), placement_id=placement.placement_id,
            status=placement.status, started=str(placement.activated_on) if placement.activated_on else None,
            last_day=str(placement.last_day), pauses=[[str(a), str(b) if b else None] for a, b in placement.pauses],
        )
    if school_day:
        raise RuleViolated("school-day", f"the published alternation plan puts the student at school on {day}",
                           day=str(day))
    check_edit_window(day, capacity, rules, today, reason)
    others = [e.current for e in record.entries.values() if e.counts and e.id != excluding]
    day_minutes = sum(p.minutes for p in others if p.day == day)
    if day_minutes + practice.minutes > rules.max_hours_per_day * 60:
        raise RuleViolated(
            "max-hours-per-day", f"{hours_of(day_minutes)} h already logged on {day}; {hours_of(practice.minutes)} h "
            f"more passes the cap of {rules.max_hours_per_day} h a day ({rules.name})", day=str(day),
            logged_hours=hours_of(day_minutes), entry_hours=hours_of(practice.minutes),
            cap_hours=rules.max_hours_per_day, rule_set=rules.name,
        )
    week = day.isocalendar()[:2]
    week_minutes = sum(p.minutes for p in others if p.day.isocalendar()[:2] == week)
    if week_minutes + practice.minutes > rules.max_hours_per_week * 60:
        monday = day - timedelta(days=day.weekday())
        raise RuleViolated(
            "max-hours-per-week", f"{hours_of(week_minutes)} h already logged in the week of {monday}; "
            f"{hours_of(practice.minutes)} h more passes the cap of {rules.max_hours_per_week} h a week "
            f"({rules.name})", week_of=str(monday), logged_hours=hours_of(week_minutes),
            entry_hours=hours_of(practice.minutes), cap_hours=rules.max_hours_per_week, rule_set=rules.name,
        )
    clashing = [e.id for e in record.entries.values()
                if e.counts and e.id != excluding and e.current.overlaps(practice)]
    if clashing:
        raise RuleViolated("overlapping-entries", f"{day} {hhmm(practice.start)}-{hhmm(practice.end)} overlaps "
                           "entries already logged", day=str(day), conflicting_entries=clashing)


def check_still_running(entry: Entry, placement: PlacementFacts) -> None:
    """A placement stopped, paused or shortened after the entry was logged may no longer cover its day."""
    day = entry.current.day
    if not placement.running_on(day):
        raise RuleViolated(
            "placement-not-running", f"placement {placement.placement_id} no longer holds the student on {day} "
            f"({_period(placement)}): correct or reject the entry", day=str(day), entry_id=entry.id,
            placement_id=placement.placement_id, status=placement.status, last_day=str(placement.last_day),
        )


def check_edit_window(day: date, capacity: Capacity, rules: RuleSet, today: date, reason: str | None) -> None:
    """A day further back than the rule set's edit window is logged or corrected only by a coordinator, with a
    reason."""
    opens = today - timedelta(days=rules.edit_window_days)
    if day >= opens:
        return
    if capacity is not Capacity.COORDINATOR or not (reason or "").strip():
        raise RuleViolated(
            "edit-window", f"{day} is more than {rules.edit_window_days} days back: only a coordinator, giving a "
            "reason, logs or corrects it", day=str(day), window_days=rules.edit_window_days,
            window_opens=str(opens), rule_set=rules.name,
        )


def _period(placement: PlacementFacts) -> str:
    if placement.activated_on is None:
        return f"it is {placement.status} and has not started"
    return f"it ran from {placement.activated_on} to {placement.last_day}" + (
        ", with pauses" if placement.pauses else "")

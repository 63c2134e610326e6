"""A student's training record: the plan of each placement, the practice logbook, the assessments.

One aggregate per student, so every rule about a student's hours (the daily and weekly caps, no two
entries at once) is decided inside one consistency boundary, across placements and transfers alike.
Nothing is overwritten: a correction is a new revision of an entry, a rejection and a signature
name the revision they are about, and every revision stays on record.

The values it is made of (entries, their practice, plans, assessments) are in services.training.domain.values,
the rules practice obeys in services.training.domain.practice_rules. The aggregate itself stays in this module:
its topic (services.training.domain.record:TrainingRecord) is stored with every record's first event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.training import (
    CompetencyAssessed,
    CompetencyAssessmentsCombined,
    PracticeCorrected,
    PracticeCountersigned,
    PracticeLogged,
    PracticeRejected,
    PracticeSignedOff,
    TrainingPlanDrawnUp,
    TrainingRecordOpened,
    TrainingTargetAdjusted,
)
from services.common.errors import NotFound, RuleViolated
from services.common.rules import RuleSet
from services.common.scales import SCALES
from services.common.snapshots import StateSnapshot
from services.training.domain.catalogue import Competency
from services.training.domain.placement_facts import PlacementFacts
from services.training.domain.practice_rules import (
    check_edit_window,
    check_practice,
    check_still_running,
)
from services.training.domain.values import (
    AWAITING_COUNTERSIGNATURE,
    PENDING,
    REJECTED,
    SIGNED,
    Assessment,
    Capacity,
    Entry,
    Plan,
    Practice,
    hhmm,
    parse_hhmm,
)

__all__ = [
    "AWAITING_COUNTERSIGNATURE", "PENDING", "REJECTED", "SIGNED", "Assessment", "Capacity", "Entry", "Plan", "Practice",
    "TrainingRecord", "training_record_id",
]


def training_record_id(student_id: str) -> UUID:
    """One training record per student: its id follows from the student's."""
    return uuid5(NAMESPACE_URL, f"dualtrack:training-record:{student_id}")


class TrainingRecord(Aggregate):
    """A student's plans, practice logbook and competency assessments."""

    Snapshot = StateSnapshot

    def __init__(self, *, student_id: str, school_id: str, major: str, meta: EventMeta) -> None:
        self.student_id = student_id
        self.school_id = school_id
        self.major = major
        self.plans: dict[str, Plan] = {}
        self.entries: dict[str, Entry] = {}
        self.assessments: dict[tuple[str, str], dict[str, Assessment]] = {}
        """(placement, competency) -> the latest assessment by each side: each host judges its own placement."""
        self.combined: dict[tuple[str, str], Assessment] = {}
        """(placement, competency) -> both sides' latest results combined by the rule set's rule."""

    @classmethod
    def open(cls, *, student_id: str, school_id: str, major: str, meta: EventMeta) -> TrainingRecord:
        return cls._create(TrainingRecordOpened, id=training_record_id(student_id), student_id=student_id,
                           school_id=school_id, major=major, meta=meta)

    # -- queries ----------------------------------------------------------------------------------
    def entry(self, entry_id: str) -> Entry:
        found = self.entries.get(entry_id)
        if found is None:
            raise NotFound(f"student {self.student_id} has no practice entry {entry_id}", entry_id=entry_id)
        return found

    def plan(self, placement_id: str) -> Plan:
        found = self.plans.get(placement_id)
        if found is None:
            raise RuleViolated("no-training-plan", f"placement {placement_id} has no training plan yet",
                               placement_id=placement_id)
        return found

    # -- the plan ---------------------------------------------------------------------------------
    def draw_up_plan(self, placement: PlacementFacts, competencies: Sequence[Competency], catalogue_date: date,
                     meta: EventMeta) -> None:
        """Take the targets of the catalogue in force at the placement's start."""
        if placement.placement_id in self.plans:
            raise RuleViolated("plan-exists", f"placement {placement.placement_id} already has a training plan; "
                               "adjust its targets instead", placement_id=placement.placement_id)
        if not competencies:
            raise RuleViolated("empty-catalogue", f"the {self.major} competency catalogue has nothing in force on "
                               f"{catalogue_date}: a coordinator defines the competencies first",
                               major=self.major, on=str(catalogue_date))
        self.trigger_event(TrainingPlanDrawnUp, placement_id=placement.placement_id, centre_id=placement.centre_id,
                           enterprise_id=placement.enterprise_id, catalogue_date=catalogue_date,
                           targets=[c.as_target() for c in competencies], meta=meta)

    def adjust_target(self, placement_id: str, code: str, target_hours: int, meta: EventMeta) -> None:
        plan = self.plan(placement_id)
        if code not in plan.targets:
            raise RuleViolated("competency-not-in-plan", f"{code!r} is not in the plan of placement {placement_id}",
                               code=code, plan=sorted(plan.targets))
        if target_hours <= 0:
            raise RuleViolated("target-hours", "target hours must be positive", target_hours=target_hours)
        previous = plan.targets[code]["target_hours"]
        if previous == target_hours:
            raise RuleViolated("target-unchanged", f"the target for {code!r} is already {target_hours} h", code=code)
        self.trigger_event(TrainingTargetAdjusted, placement_id=placement_id, code=code, target_hours=target_hours,
                           previous_target_hours=previous, meta=meta)

    # -- the logbook ------------------------------------------------------------------------------
    def log(self, placement: PlacementFacts, practice: Practice, *, capacity: Capacity, rules: RuleSet,
            today: date, school_day: bool, meta: EventMeta, entry_id: str | None = None) -> str:
        """Log practice (a student's entry is a draft for the mentor to sign); returns the entry's id."""
        check_practice(self, placement, practice, capacity=capacity, rules=rules, today=today,
                       school_day=school_day, reason=meta.reason, excluding=None)
        entry_id = entry_id or str(uuid4())
        self.trigger_event(
            PracticeLogged, entry_id=entry_id, placement_id=placement.placement_id, centre_id=placement.centre_id,
            day=practice.day, start=hhmm(practice.start), end=hhmm(practice.end),
            competencies=list(practice.competencies), description=practice.description,
            drafted_by_student=capacity is Capacity.STUDENT, meta=meta,
        )
        return entry_id

    def correct(self, entry_id: str, placement: PlacementFacts, practice: Practice, *, capacity: Capacity,
                rules: RuleSet, rules_before: RuleSet, today: date, school_day: bool, meta: EventMeta) -> None:
        """Record corrected facts as a new revision; it awaits signature again. `rules` are those in force on
        the corrected day, `rules_before` those of the day the entry was about until now."""
        entry = self.entry(entry_id)
        if capacity is Capacity.STUDENT and not (entry.drafted_by_student and entry.status in (PENDING, REJECTED)):
            raise RuleViolated("student-corrects-own-drafts", "a student corrects only their own drafts that are "
                               f"not signed (this entry is {entry.status})", entry_id=entry_id, status=entry.status)
        if capacity is Capacity.MENTOR and entry.status not in (PENDING, REJECTED):
            raise RuleViolated("signed-entry", f"the entry is {entry.status}: once signed, only the school (a "
                               "teacher or coordinator, giving a reason) corrects it", entry_id=entry_id,
                               status=entry.status)
        if practice == entry.current:
            raise RuleViolated("correction-changes-nothing", "the correction is the same as the current revision",
                               entry_id=entry_id, revision=entry.revision)
        if not (meta.reason or "").strip():
            raise RuleViolated("correction-reason", "a correction says why", entry_id=entry_id)
        # The edit window is about the day the entry was about, and (in the checks below) the day it moves to.
        check_edit_window(entry.current.day, capacity, rules_before, today, meta.reason)
        check_practice(self, placement, practice, capacity=capacity, rules=rules, today=today,
                       school_day=school_day, reason=meta.reason, excluding=entry_id)
        self.trigger_event(
            PracticeCorrected, entry_id=entry_id, corrects_revision=entry.revision, revision=entry.revision + 1,
            day=practice.day, start=hhmm(practice.start), end=hhmm(practice.end),
            competencies=list(practice.competencies), description=practice.description, meta=meta,
        )

    def sign_off(self, entry_id: str, placement: PlacementFacts, rules: RuleSet, meta: EventMeta) -> None:
        """The mentor signs the current revision (of a day the placement still held the student)."""
        entry = self._in_status(entry_id, (PENDING,), "sign")
        check_still_running(entry, placement)
        self.trigger_event(PracticeSignedOff, entry_id=entry_id, revision=entry.revision,
                           countersignature_required=rules.dual_sign_off, meta=meta)

    def countersign(self, entry_id: str, placement: PlacementFacts, meta: EventMeta) -> None:
        """A teacher of the school countersigns what the mentor signed."""
        entry = self._in_status(entry_id, (AWAITING_COUNTERSIGNATURE,), "countersign")
        check_still_running(entry, placement)
        self.trigger_event(PracticeCountersigned, entry_id=entry_id, revision=entry.revision, meta=meta)

    def reject(self, entry_id: str, reason: str, capacity: Capacity, meta: EventMeta) -> None:
        """Send the current revision back, with a reason: the mentor before signing, a teacher before
        countersigning."""
        allowed = (PENDING,) if capacity is Capacity.MENTOR else (PENDING, AWAITING_COUNTERSIGNATURE)
        entry = self._in_status(entry_id, allowed, "reject")
        if not reason.strip():
            raise RuleViolated("rejection-reason", "a rejection says why", entry_id=entry_id)
        self.trigger_event(PracticeRejected, entry_id=entry_id, revision=entry.revision, reason=reason, meta=meta)

    # -- assessments ------------------------------------------------------------------------------
    def assess(self, placement: PlacementFacts, *, competency: str, assessor: str, result: float, evidence: str,
               assessed_on: date, today: date, rules: RuleSet, meta: EventMeta) -> str:
        """Record one side's assessment; when both sides have assessed, combine them by the rule set's rule."""
        plan = self.plan(placement.placement_id)
        target = plan.targets.get(competency)
        if target is None:
            raise RuleViolated("competency-not-in-plan", f"{competency!r} is not in the plan of placement "
                               f"{placement.placement_id}", competency=competency, plan=sorted(plan.targets))
        scale = SCALES[target["scale"]]
        if not scale.contains(result):
            raise RuleViolated("result-out-of-scale", f"{competency!r} is assessed on the {scale.name} scale "
                               f"({scale.description})", result=result, lowest=scale.lowest, highest=scale.highest)
        if assessed_on > today:
            raise RuleViolated("no-future-date", f"{assessed_on} is in the future (today is {today})",
                               on=str(assessed_on))
        assessment_id = str(uuid4())
        self.trigger_event(CompetencyAssessed, assessment_id=assessment_id, placement_id=placement.placement_id,
                           competency=competency, assessor=assessor, scale=scale.name, result=float(result),
                           passed=scale.passes(result), evidence=evidence, assessed_on=assessed_on, meta=meta)
        sides = self.assessments.get((placement.placement_id, competency), {})
        if "enterprise" in sides and "school" in sides:
            enterprise, school = sides["enterprise"].result, sides["school"].result
            if rules.assessment_combination == "weighted-mean":
                w = rules.enterprise_assessment_weight
                combined = round(w * enterprise + (1 - w) * school, 2)
                passed = scale.passes(combined)
                rule = f"weighted-mean (enterprise {w:g}, school {1 - w:g})"
            else:
                combined = min(enterprise, school)
                passed = sides["enterprise"].passed and sides["school"].passed
                rule = "lower-of-both"
            self.trigger_event(CompetencyAssessmentsCombined, placement_id=placement.placement_id,
                               competency=competency, enterprise_result=enterprise,
                               school_result=school, result=combined, passed=passed, rule=rule,
                               rule_set=rules.name, meta=meta)
        return assessment_id

    # -- where an entry stands ----------------------------------------------------------------------
    def _in_status(self, entry_id: str, allowed: tuple[str, ...], action: str) -> Entry:
        entry = self.entry(entry_id)
        if entry.status not in allowed:
            raise RuleViolated("entry-status", f"cannot {action} an entry that is {entry.status}",
                               entry_id=entry_id, status=entry.status, allowed=list(allowed))
        return entry

    # -- state ------------------------------------------------------------------------------------
    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the training record."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: TrainingPlanDrawnUp) -> None:
        self.plans[e.placement_id] = Plan(e.placement_id, e.centre_id, e.enterprise_id,
                                          {t["code"]: dict(t) for t in e.targets})

    @when.register
    def _(self, e: TrainingTargetAdjusted) -> None:
        self.plans[e.placement_id].targets[e.code]["target_hours"] = e.target_hours

    @when.register
    def _(self, e: PracticeLogged) -> None:
        practice = Practice(e.day, parse_hhmm(e.start), parse_hhmm(e.end), tuple(e.competencies), e.description)
        self.entries[e.entry_id] = Entry(e.entry_id, e.placement_id, e.drafted_by_student, [practice])

    @when.register
    def _(self, e: PracticeCorrected) -> None:
        entry = self.entries[e.entry_id]
        entry.revisions.append(Practice(e.day, parse_hhmm(e.start), parse_hhmm(e.end), tuple(e.competencies),
                                        e.description))
        entry.status = PENDING

    @when.register
    def _(self, e: PracticeSignedOff) -> None:
        self.entries[e.entry_id].status = AWAITING_COUNTERSIGNATURE if e.countersignature_required else SIGNED

    @when.register
    def _(self, e: PracticeCountersigned) -> None:
        self.entries[e.entry_id].status = SIGNED

    @when.register
    def _(self, e: PracticeRejected) -> None:
        self.entries[e.entry_id].status = REJECTED

    @when.register
    def _(self, e: CompetencyAssessed) -> None:
        self.assessments.setdefault((e.placement_id, e.competency), {})[e.assessor] = Assessment(
            e.result, e.passed, e.scale)

    @when.register
    def _(self, e: CompetencyAssessmentsCombined) -> None:
        self.combined[(e.placement_id, e.competency)] = Assessment(e.result, e.passed, "")

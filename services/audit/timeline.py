"""A student's timeline: every event about them, across the contexts, in the order it was recorded.

Where a student's events are:
- placements: their Student aggregate (its id is the student's), and the events of the centres they were placed
  at that name one of their placements (places booked, rescheduled, released; capacity overrides);
- training: their training record (its id follows from the student's);
- credentials: their credit account (likewise), and the order classes' assignments that name them;
- schedules: every rotation plan whose content named them at some point, with all of its events.

Reads of the student's data (the audit context) are not part of it: they are listed on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events.credentials import StudentsAssignedToOrder, StudentsProposedForOrder
from events.schedules import (
    RotationPlanDraftChanged,
    RotationPlanDrafted,
    RotationPlanPublished,
    RotationPlanRevised,
)
from services.audit.history import EventLog, describe, event_data, short_type
from services.credentials.domain.account import credit_account_id
from services.training.domain import training_record_id

PLAN_CONTENT_EVENTS = (RotationPlanDrafted, RotationPlanDraftChanged, RotationPlanPublished, RotationPlanRevised)
"""The schedules events that carry a plan's whole content."""
TIMELINE_CONTEXTS = ("placements", "training", "credentials", "schedules")
"""In this order where two events share a recorded time (never within a context: those follow the versions)."""


@dataclass(frozen=True)
class Source:
    """One aggregate with events about the student; `keeps` picks them where the aggregate is shared."""

    context: str
    aggregate_id: UUID
    keeps: Callable[[Any], bool] | None = None


def names_student(content: Any, student_id: str) -> bool:
    """Whether a plan's content lists the student in a group or assigns them to a centre in a block."""
    if not isinstance(content, dict):
        return False
    for group in content.get("groups") or []:
        if isinstance(group, dict) and student_id in [str(s) for s in group.get("students") or []]:
            return True
    for block in content.get("blocks") or []:
        for a in (block.get("assignments") or []) if isinstance(block, dict) else []:
            if isinstance(a, dict) and str(a.get("student_id")) == student_id:
                return True
    return False


class StudentSources:
    """Which aggregates of which contexts hold events about a student."""

    def __init__(self, log: EventLog, student_id: UUID | str) -> None:
        self.log = log
        self.student_id = str(UUID(str(student_id)))

    @property
    def student(self) -> UUID:
        return UUID(self.student_id)

    @property
    def training_record(self) -> UUID:
        return training_record_id(self.student_id)

    @property
    def credit_account(self) -> UUID:
        return credit_account_id(self.student_id)

    def plans(self) -> list[UUID]:
        """Rotation plans whose content named the student in some draft, publication or revision."""
        return self.log.originators("schedules", PLAN_CONTENT_EVENTS,
                                    lambda e: names_student(e.content, self.student_id))

    def orders(self) -> list[UUID]:
        """Order classes the student was proposed for (and perhaps accepted in or declined from), or put in."""
        return self.log.originators("credentials", (StudentsProposedForOrder, StudentsAssignedToOrder),
                                    lambda e: self.student_id in [str(s) for s in e.student_ids])

    def placements(self) -> dict[str, str]:
        """The student's placements (every one ever proposed) and their centres."""
        student = None
        for event in self.log.events("placements", self.student):
            student = event.mutate(student)
        return {pid: p.centre_id for pid, p in getattr(student, "placements", {}).items()}

    def sources(self) -> list[Source]:
        placements = self.placements()
        ours = set(placements)
        found = [Source("placements", self.student)]
        found += [Source("placements", UUID(centre), lambda e: getattr(e, "placement_id", None) in ours)
                  for centre in dict.fromkeys(placements.values())]
        found += [Source("training", self.training_record), Source("credentials", self.credit_account)]
        found += [Source("credentials", order, lambda e: self.student_id in [str(s) for s in
                                                                             getattr(e, "student_ids", [])])
                  for order in self.orders()]
        found += [Source("schedules", plan) for plan in self.plans()]
        return found


def student_timeline(log: EventLog, student_id: UUID | str) -> dict[str, Any]:
    """Every event about the student in every context, in recorded order, each with a one-line summary."""
    sources = StudentSources(log, student_id)
    items: list[tuple[datetime, int, str, int, dict[str, Any]]] = []
    for source in sources.sources():
        events = log.events(source.context, source.aggregate_id)
        if not events:
            continue
        aggregate_type = short_type(getattr(events[0], "originator_topic", ""))
        for event in events:
            if source.keeps is not None and not source.keeps(event):
                continue
            data = event_data(event)
            item = {"context": source.context, "aggregate_id": str(source.aggregate_id),
                    "aggregate_type": aggregate_type, **describe(event), "summary": summary(type(event).__name__, data)}
            order = TIMELINE_CONTEXTS.index(source.context) if source.context in TIMELINE_CONTEXTS else 99
            items.append((event.timestamp, order, str(source.aggregate_id), event.originator_version, item))
    items.sort(key=lambda i: i[:4])
    return {"student_id": sources.student_id, "items": [i[4] for i in items]}


# -- one line per event ---------------------------------------------------------------------------------------
_TEMPLATES: dict[str, str] = {
    "StudentEnrolled": "Enrolled {name} in {major}, cohort {cohort}, from {enrolment_date}",
    "PlacementProposed": "Placement proposed: {post} at centre {centre_id}, {start} to {planned_end}, "
    "{weekly_hours} h a week",
    "PlacementApprovedBySchool": "School approved placement {placement_id} (terms v{terms_version})",
    "PlacementApprovedByEnterprise": "Enterprise approved placement {placement_id} (terms v{terms_version}), "
    "mentor {mentor_id}",
    "PlacementConfirmedByStudent": "Placement {placement_id} confirmed by the {confirmed_by}",
    "PlacementAgreed": "Placement {placement_id} agreed by all sides",
    "PlacementActivated": "Placement {placement_id} started on {on}",
    "PlacementPaused": "Placement {placement_id} paused from {on}",
    "PlacementResumed": "Placement {placement_id} resumed on {on}",
    "PlacementStopped": "Placement {placement_id} stopped on {on} ({reason_code})",
    "PlacementCompleted": "Placement {placement_id} completed on {on}",
    "PlacementTransferred": "Placement {placement_id} transferred on {on} to {to_placement_id}",
    "PlacementWithdrawn": "Placement {placement_id} withdrawn",
    "PlacementAmendmentProposed": "Amended terms v{terms_version} proposed for placement {placement_id}: {start} to "
    "{planned_end}, {weekly_hours} h a week",
    "PlacementAmendmentAgreed": "Amended terms v{terms_version} of placement {placement_id} agreed",
    "SpecialityMismatchOverridden": "Speciality mismatch overridden for placement {placement_id} ({major})",
    "PlaceBooked": "Place booked for placement {placement_id}, {start} to {end}",
    "PlaceRescheduled": "Place of placement {placement_id} rescheduled to {start} to {end}",
    "PlaceReleased": "Place of placement {placement_id} released from {from_date}",
    "CapacityOverrideGranted": "Capacity override for placement {placement_id}: {occupancy} held of {capacity}",
    "TrainingRecordOpened": "Training record opened ({major})",
    "TrainingPlanDrawnUp": "Training plan drawn up for placement {placement_id} (catalogue of {catalogue_date})",
    "TrainingTargetAdjusted": "Target for {code} in placement {placement_id}: {previous_target_hours} h -> "
    "{target_hours} h",
    "PracticeLogged": "Practice logged for {day} {start}-{end} ({competencies}): {description}",
    "PracticeCorrected": "Practice entry corrected to {day} {start}-{end} ({competencies}), revision {revision}",
    "PracticeSignedOff": "Practice entry signed (revision {revision})",
    "PracticeCountersigned": "Practice entry countersigned (revision {revision})",
    "PracticeRejected": "Practice entry rejected (revision {revision}): {reason}",
    "CompetencyAssessed": "{competency} assessed by the {assessor}: {result} on the {scale} scale",
    "CompetencyAssessmentsCombined": "{competency} assessments combined: {result} ({rule})",
    "CreditAccountOpened": "Credit account opened",
    "CertificateAwarded": "Certificate {certificate_code} {level} awarded on {awarded_on}",
    "CertificateAmended": "Award {award_id} amended: awarded on {awarded_on}, number {certificate_number}",
    "CertificateRevoked": "Award {award_id} revoked: {reason}",
    "CreditsPosted": "{amount} credit(s) posted ({kind}): {debit} -> {credit}",
    "StudentsProposedForOrder": "Students proposed for an order class: {student_ids}",
    "StudentsAssignedToOrder": "Students accepted in an order class: {student_ids}",
    "StudentsDeclinedForOrder": "Students declined for an order class: {student_ids}",
    "RotationPlanDrafted": "Rotation plan drafted: {title} ({cohort})",
    "RotationPlanDraftChanged": "Rotation plan draft changed",
    "PlanConflictOverridden": "Plan conflict overridden for revision {revision}: {justification}",
    "RotationPlanPublished": "Rotation plan published: {title}, revision {revision}",
    "RotationPlanRevised": "Rotation plan revised to revision {revision}: {reason}",
}


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def summary(event_type: str, data: dict[str, Any]) -> str:
    """One line saying what happened, from the event's own facts."""
    facts = _Facts({k: _short(v) for k, v in data.items()})
    template = _TEMPLATES.get(event_type)
    if template is not None:
        line = template.format_map(facts)
    else:
        words = "".join(" " + c.lower() if c.isupper() else c for c in event_type).strip().capitalize()
        scalars = [f"{k} {facts[k]}" for k, v in data.items() if isinstance(v, (str, int, float)) and len(str(v)) <= 40]
        line = words + (": " + ", ".join(scalars[:4]) if scalars else "")
    line = " ".join(line.split())
    return line if len(line) <= 200 else line[:199] + "…"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value) if all(not isinstance(v, (dict, list)) for v in value) else \
            f"{len(value)} item(s)"
    if isinstance(value, dict):
        return f"{len(value)} field(s)"
    return str(value)

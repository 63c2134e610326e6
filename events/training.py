"""Events of the training context: competency catalogues, training plans, practice logbooks, assessments."""

from __future__ import annotations

from datetime import date
from typing import Any

from events.base import DomainCreated, DomainEvent

# -- competency catalogues (one per major) --------------------------------------------------------


class CompetencyCatalogueOpened(DomainCreated):
    """A catalogue of the competencies trained for one major was opened."""

    major: str


class CompetencyDefined(DomainEvent):
    """A competency joined the catalogue, with its target hours and assessment scale, from a date."""

    code: str
    title: str
    target_hours: int
    scale: str
    effective_from: date


class CompetencyTargetRevised(DomainEvent):
    """A competency's target hours changed from a date; plans drawn up before keep theirs."""

    code: str
    target_hours: int
    effective_from: date


class CompetencyRetired(DomainEvent):
    """A competency is no longer trained from a date."""

    code: str
    effective_from: date


class CatalogueChangeRequested(DomainEvent):
    """A coordinator asked the catalogue's owners (the deployment's administrators) for a change: a competency added
    (`define`), its target revised (`revise-target`) or retired (`retire`), from a date; the reason is in the
    metadata."""

    request_id: str
    change: str
    code: str
    title: str | None
    target_hours: int | None
    scale: str | None
    effective_from: date
    school_id: str | None
    """The requesting coordinator's school (None when an administrator filed it)."""


class CatalogueChangeApproved(DomainEvent):
    """An administrator approved a change request; the change itself follows as its own event."""

    request_id: str


class CatalogueChangeRejected(DomainEvent):
    """An administrator rejected a change request; the reason is in the metadata."""

    request_id: str


# -- a student's training record ------------------------------------------------------------------


class TrainingRecordOpened(DomainCreated):
    """A student's training record (plans, logbook, assessments) was opened."""

    student_id: str
    school_id: str
    major: str


class TrainingPlanDrawnUp(DomainEvent):
    """A placement's training plan: target hours per competency, from the catalogue in force at its start."""

    placement_id: str
    centre_id: str
    enterprise_id: str
    catalogue_date: date
    targets: list[dict[str, Any]]
    """[{"code", "title", "target_hours", "scale"}], in catalogue order."""


class TrainingTargetAdjusted(DomainEvent):
    """A coordinator changed one competency's target hours in a placement's plan."""

    placement_id: str
    code: str
    target_hours: int
    previous_target_hours: int


class PracticeLogged(DomainEvent):
    """Practice was logged (by the mentor, or drafted by the student): it awaits the mentor's signature."""

    entry_id: str
    placement_id: str
    centre_id: str
    day: date
    start: str
    end: str
    competencies: list[str]
    description: str
    drafted_by_student: bool


class PracticeCorrected(DomainEvent):
    """An entry's facts were corrected: the new revision awaits signature again; earlier ones stay on record."""

    entry_id: str
    corrects_revision: int
    revision: int
    day: date
    start: str
    end: str
    competencies: list[str]
    description: str


class PracticeSignedOff(DomainEvent):
    """The mentor signed a revision of an entry; under dual sign-off it then awaits a teacher."""

    entry_id: str
    revision: int
    countersignature_required: bool


class PracticeCountersigned(DomainEvent):
    """A teacher of the school countersigned a revision the mentor had signed."""

    entry_id: str
    revision: int


class PracticeRejected(DomainEvent):
    """A revision of an entry was rejected, with a reason; a correction can bring it back."""

    entry_id: str
    revision: int
    reason: str


class CompetencyAssessed(DomainEvent):
    """An enterprise expert or a teacher assessed a competency on its scale, with evidence."""

    assessment_id: str
    placement_id: str
    competency: str
    assessor: str
    """`enterprise` or `school`."""
    scale: str
    result: float
    passed: bool
    evidence: str
    assessed_on: date


class CompetencyAssessmentsCombined(DomainEvent):
    """Both sides have assessed a competency in a placement: their latest results combined by the rule set's rule."""

    placement_id: str
    competency: str
    enterprise_result: float
    school_result: float
    result: float
    passed: bool
    rule: str
    rule_set: str

"""Payloads published on `dualtrack.training`.

A practice entry's description, a rejection's reason and an assessment's evidence are free text about a student:
not published (v1 carried them). Read them through the training API (`/api/v1/students/{id}/logbook`) with the
entry, placement or assessment id the event names.
"""

from __future__ import annotations

from marshmallow import Schema, fields

CONTEXT = "training"


class CompetencyCatalogueOpenedV1(Schema):
    """A major's competency catalogue was opened (subject: the catalogue)."""

    major = fields.String(required=True)


class CompetencyDefinedV1(Schema):
    """A competency joined a catalogue from a date."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    target_hours = fields.Integer(required=True)
    scale = fields.String(required=True)
    effective_from = fields.Date(required=True)


class CompetencyTargetRevisedV1(Schema):
    """A competency's target hours changed from a date."""

    code = fields.String(required=True)
    target_hours = fields.Integer(required=True)
    effective_from = fields.Date(required=True)


class CompetencyRetiredV1(Schema):
    """A competency is no longer trained from a date."""

    code = fields.String(required=True)
    effective_from = fields.Date(required=True)


class CatalogueChangeRequestedV1(Schema):
    """A coordinator asked the catalogue's owners (administrators) for a change from a date (the reason is not
    published)."""

    request_id = fields.String(required=True)
    change = fields.String(required=True, metadata={"description": "define, revise-target or retire"})
    code = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    target_hours = fields.Integer(required=True, allow_none=True)
    scale = fields.String(required=True, allow_none=True)
    effective_from = fields.Date(required=True)
    school_id = fields.String(required=True, allow_none=True)


class CatalogueChangeApprovedV1(Schema):
    """An administrator approved a change request; the change follows as its own record."""

    request_id = fields.String(required=True)


class CatalogueChangeRejectedV1(Schema):
    """An administrator rejected a change request (the reason is not published)."""

    request_id = fields.String(required=True)


class TrainingRecordOpenedV1(Schema):
    """A student's training record was opened (subject: the record; the student is named inside)."""

    student_id = fields.String(required=True)
    school_id = fields.String(required=True)
    major = fields.String(required=True)


class TrainingPlanDrawnUpV1(Schema):
    """A placement's training plan: target hours per competency."""

    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    catalogue_date = fields.Date(required=True)
    targets = fields.List(fields.Dict(), required=True, metadata={
        "description": 'Each {"code", "title", "target_hours", "scale"}.'})


class TrainingTargetAdjustedV1(Schema):
    """One competency's target hours in a placement's plan changed."""

    placement_id = fields.String(required=True)
    code = fields.String(required=True)
    target_hours = fields.Integer(required=True)
    previous_target_hours = fields.Integer(required=True)


class _PracticeFactsV1(Schema):
    day = fields.Date(required=True)
    start = fields.String(required=True, metadata={"description": "HH:MM"})
    end = fields.String(required=True, metadata={"description": "HH:MM"})
    competencies = fields.List(fields.String(), required=True)


class PracticeLoggedV2(_PracticeFactsV1):
    """Practice was logged; it awaits the mentor's signature."""

    entry_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    drafted_by_student = fields.Boolean(required=True)


class PracticeCorrectedV2(_PracticeFactsV1):
    """A new revision of an entry, awaiting signature again."""

    entry_id = fields.String(required=True)
    corrects_revision = fields.Integer(required=True)
    revision = fields.Integer(required=True)


class PracticeSignedOffV1(Schema):
    """The mentor signed a revision of an entry."""

    entry_id = fields.String(required=True)
    revision = fields.Integer(required=True)
    countersignature_required = fields.Boolean(required=True)


class PracticeCountersignedV1(Schema):
    """A teacher countersigned a revision of an entry."""

    entry_id = fields.String(required=True)
    revision = fields.Integer(required=True)


class PracticeRejectedV2(Schema):
    """A revision of an entry was rejected, with a reason (not published: v1 carried it)."""

    entry_id = fields.String(required=True)
    revision = fields.Integer(required=True)


class CompetencyAssessedV2(Schema):
    """One side assessed a competency (the evidence is not published: v1 carried it)."""

    assessment_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    competency = fields.String(required=True)
    assessor = fields.String(required=True, metadata={"description": "enterprise or school"})
    scale = fields.String(required=True)
    result = fields.Float(required=True)
    passed = fields.Boolean(required=True)
    assessed_on = fields.Date(required=True)


class CompetencyAssessmentsCombinedV1(Schema):
    """Both sides' latest results for a competency in a placement, combined by the rule set's rule."""

    placement_id = fields.String(required=True)
    competency = fields.String(required=True)
    enterprise_result = fields.Float(required=True)
    school_result = fields.Float(required=True)
    result = fields.Float(required=True)
    passed = fields.Boolean(required=True)
    rule = fields.String(required=True)
    rule_set = fields.String(required=True)


_V2 = ("PracticeLogged", "PracticeCorrected", "PracticeRejected", "CompetencyAssessed")

PUBLISHED = {
    f"events.training:{name}": (name, 2 if name in _V2 else 1, schema)
    for name, schema in (
        ("CompetencyCatalogueOpened", CompetencyCatalogueOpenedV1),
        ("CompetencyDefined", CompetencyDefinedV1),
        ("CompetencyTargetRevised", CompetencyTargetRevisedV1),
        ("CompetencyRetired", CompetencyRetiredV1),
        ("CatalogueChangeRequested", CatalogueChangeRequestedV1),
        ("CatalogueChangeApproved", CatalogueChangeApprovedV1),
        ("CatalogueChangeRejected", CatalogueChangeRejectedV1),
        ("TrainingRecordOpened", TrainingRecordOpenedV1),
        ("TrainingPlanDrawnUp", TrainingPlanDrawnUpV1),
        ("TrainingTargetAdjusted", TrainingTargetAdjustedV1),
        ("PracticeLogged", PracticeLoggedV2),
        ("PracticeCorrected", PracticeCorrectedV2),
        ("PracticeSignedOff", PracticeSignedOffV1),
        ("PracticeCountersigned", PracticeCountersignedV1),
        ("PracticeRejected", PracticeRejectedV2),
        ("CompetencyAssessed", CompetencyAssessedV2),
        ("CompetencyAssessmentsCombined", CompetencyAssessmentsCombinedV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

"""Payloads published on `dualtrack.schedules`.

A plan's `content` is a plain JSON object (dates as YYYY-MM-DD):
{"term": {"start", "end"}, "calendar": {"holidays": [...], "exam_weeks": [...]}, "groups": [{"name", "students"}],
"blocks": [{"id", "group", "kind", "start", "end", "hours_per_week", "assignments": [{"student_id", "centre_id"}]}]}.
"""

from __future__ import annotations

from marshmallow import Schema, fields

CONTEXT = "schedules"

_CONTENT = {"description": "The plan's term, school calendar, groups and blocks (see the module's description)."}


class RotationPlanDraftedV1(Schema):
    """A rotation plan was drafted for a cohort of a school (subject: the plan)."""

    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    title = fields.String(required=True)
    content = fields.Dict(required=True, metadata=_CONTENT)
    generated_from = fields.Dict(allow_none=True, metadata={
        "description": "The pattern the draft was generated from, with the reason for each allocation."})


class RotationPlanDraftChangedV1(Schema):
    """The draft's content was replaced."""

    content = fields.Dict(required=True, metadata=_CONTENT)
    generated_from = fields.Dict(allow_none=True)


class PlanConflictOverriddenV1(Schema):
    """A conflict was accepted at a publication or revision, with a justification."""

    revision = fields.Integer(required=True)
    conflict = fields.Dict(required=True, metadata={
        "description": '{"key", "kind", "week", "objects", "message", "details"}'})
    justification = fields.String(required=True)


class RotationPlanPublishedV1(Schema):
    """The plan's first revision was published."""

    revision = fields.Integer(required=True)
    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    title = fields.String(required=True)
    content = fields.Dict(required=True, metadata=_CONTENT)


class RotationPlanRevisedV1(RotationPlanPublishedV1):
    """A published plan was revised: the whole new content, the reason and the changes."""

    reason = fields.String(required=True)
    changes = fields.Dict(required=True)


class PublicationRegisterOpenedV1(Schema):
    """The register of publications was opened (once per deployment)."""


class PlanRevisionRegisteredV1(Schema):
    """A plan's revision took its place in the sequence of publications."""

    plan_id = fields.String(required=True)
    revision = fields.Integer(required=True)


PUBLISHED = {
    f"events.schedules:{name}": (name, 1, schema)
    for name, schema in (
        ("RotationPlanDrafted", RotationPlanDraftedV1),
        ("RotationPlanDraftChanged", RotationPlanDraftChangedV1),
        ("PlanConflictOverridden", PlanConflictOverriddenV1),
        ("RotationPlanPublished", RotationPlanPublishedV1),
        ("RotationPlanRevised", RotationPlanRevisedV1),
        ("PublicationRegisterOpened", PublicationRegisterOpenedV1),
        ("PlanRevisionRegistered", PlanRevisionRegisteredV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

"""Payloads published on `dualtrack.schedules`.

A plan's `content` is a plain JSON object (dates as YYYY-MM-DD):
{"term": {"start", "end"}, "calendar": {"holidays": [...], "exam_weeks": [...]}, "groups": [{"name", "students"}],
"blocks": [{"id", "group", "kind", "start", "end", "hours_per_week", "assignments": [{"student_id", "centre_id"}]}]}.

A group's name is free text (a coordinator may name a group after a student), so it is not published: a group is
named by its position in `groups` ("1", "2"...), and each block's `group` by the same position. A plan's title, a
revision's reason and changes, a draft's explanations and a conflict override's justification and message are not
published either (v1 carried them): read them through the schedules API (`/api/v1/rotation-plans/{id}`).
Holiday and exam-week names are published: they name the school's days, not people.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from contracts.events.references import published_as

CONTEXT = "schedules"

_CONTENT = {"description": "The plan's term, school calendar, groups (named by position) and blocks (see the "
                           "module's description)."}


def published_content(content: Any) -> Any:
    """A plan's content with every group named by its position ("1", "2"...) instead of its name."""
    if not isinstance(content, dict):
        return content
    groups = content.get("groups") or []
    position = {g.get("name"): str(n) for n, g in enumerate(groups, start=1) if isinstance(g, dict)}
    return {
        **content,
        "groups": [{**g, "name": position.get(g.get("name"), "")} if isinstance(g, dict) else g for g in groups],
        "blocks": [{**b, "group": position.get(b.get("group"), "")} if isinstance(b, dict) and "group" in b else b
                   for b in content.get("blocks") or []],
    }


def _content() -> fields.Field:
    return published_as(fields.Dict(required=True, metadata=_CONTENT), published_content)


class RotationPlanDraftedV2(Schema):
    """A rotation plan was drafted for a cohort of a school (subject: the plan). Its title and the explanations of a
    generated draft are not published (v1 carried them)."""

    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    content = _content()


class RotationPlanDraftChangedV2(Schema):
    """The draft's content was replaced."""

    content = _content()


class PlanConflictOverriddenV2(Schema):
    """A conflict was accepted at a publication or revision, with a justification (neither the justification nor
    the conflict's message is published: v1 carried them)."""

    revision = fields.Integer(required=True)
    conflict_kind = published_as(fields.String(required=True, metadata={
        "description": "e.g. enterprise-block-on-holiday"}), lambda c: c["kind"], source="conflict")
    week = published_as(fields.String(required=True, metadata={
        "description": "The ISO week where the conflict first bites (2027-W14)."}), lambda c: c["week"],
        source="conflict")


class RotationPlanPublishedV2(Schema):
    """The plan's first revision was published (its title is not published: v1 carried it)."""

    revision = fields.Integer(required=True)
    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    content = _content()


class RotationPlanRevisedV2(RotationPlanPublishedV2):
    """A published plan was revised: the whole new content (its reason and changes are not published: v1 carried
    them)."""


class PublicationRegisterOpenedV1(Schema):
    """The register of publications was opened (once per deployment)."""


class PlanRevisionRegisteredV1(Schema):
    """A plan's revision took its place in the sequence of publications."""

    plan_id = fields.String(required=True)
    revision = fields.Integer(required=True)


PUBLISHED = {
    f"events.schedules:{name}": (name, version, schema)
    for name, version, schema in (
        ("RotationPlanDrafted", 2, RotationPlanDraftedV2),
        ("RotationPlanDraftChanged", 2, RotationPlanDraftChangedV2),
        ("PlanConflictOverridden", 2, PlanConflictOverriddenV2),
        ("RotationPlanPublished", 2, RotationPlanPublishedV2),
        ("RotationPlanRevised", 2, RotationPlanRevisedV2),
        ("PublicationRegisterOpened", 1, PublicationRegisterOpenedV1),
        ("PlanRevisionRegistered", 1, PlanRevisionRegisteredV1),
    )
}
"""Stored event topic -> (published name, version, payload schema)."""

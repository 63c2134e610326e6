"""Requests and responses of the schedules context: rotation plans, their conflicts, revisions and changes.

A plan's content has the same shape going in (POST, PUT, revisions) and coming out (GET), so a client can read a
plan, edit it and send it back. Dates are YYYY-MM-DD.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.http.common import NOT_BLANK, Day, RequestSchema

MAX_SPAN_DAYS = 5 * 366
"""A term, holiday or exam period longer than five years is a typing error, not a school calendar."""
KINDS = ("school", "enterprise")
CONFLICT_KINDS = ("student-double-booked", "centre-over-capacity", "no-placement-at-centre",
                  "outside-placement-period", "overlapping-blocks", "enterprise-block-on-holiday",
                  "enterprise-block-in-exam-week", "weekly-hours-over-cap", "student-without-centre")

_name = [NOT_BLANK, validate.Length(max=64)]
_title = [NOT_BLANK, validate.Length(max=300)]
_justification = [NOT_BLANK, validate.Length(max=2000)]


class PlanDay(Day):
    """A day, YYYY-MM-DD; plans read back from their events hold their days as such text already."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class Id(fields.UUID):
    """A student's or centre's id: a UUID, passed on as its canonical text."""

    # Loads text where fields.UUID loads a UUID, on purpose: the base class keeps the documented format (uuid).
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return str(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


def _within_span(data: dict[str, Any], field_name: str = "end") -> None:
    start, end = data.get("start"), data.get("end")
    if start is not None and end is not None and (end - start).days >= MAX_SPAN_DAYS:
        raise ValidationError(f"spans more than {MAX_SPAN_DAYS} days from the start", field_name=field_name)


# -- a plan's content ---------------------------------------------------------------------------------
class PlanTermSchema(RequestSchema):
    """The term the plan covers, first and last day included."""

    start = PlanDay(required=True)
    end = PlanDay(required=True, metadata={"description": "Not before the start."})

    @validates_schema
    def reasonable_span(self, data: dict[str, Any], **kwargs: Any) -> None:
        _within_span(data)


class PlanPeriodSchema(RequestSchema):
    """A holiday or exam period of the school calendar, first and last day included."""

    start = PlanDay(required=True)
    end = PlanDay(required=True, metadata={"description": "Not before the start."})
    name = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def reasonable_span(self, data: dict[str, Any], **kwargs: Any) -> None:
        _within_span(data)


class PlanCalendarSchema(RequestSchema):
    """The school calendar the plan keeps to: enterprise blocks through a holiday or an exam week are conflicts."""

    holidays = fields.List(fields.Nested(PlanPeriodSchema), load_default=list, validate=validate.Length(max=200))
    exam_weeks = fields.List(fields.Nested(PlanPeriodSchema), load_default=list, validate=validate.Length(max=200))


class PlanGroupSchema(RequestSchema):
    """Students who alternate together."""

    name = fields.String(required=True, validate=_name, metadata={"description": "Unique in the plan."})
    students = fields.List(Id(), required=True, validate=validate.Length(max=2000),
                           metadata={"description": "Students of the plan's school, each in one group."})


class PlanAssignmentSchema(RequestSchema):
    """Where a student of the block's group spends an enterprise block."""

    student_id = Id(required=True)
    centre_id = Id(required=True, metadata={"description": "A training centre the student has a placement at."})


class PlanBlockSchema(RequestSchema):
    """A span a group spends at school, or at enterprises (each student at their assigned centre)."""

    id = fields.String(required=True, validate=_name, metadata={"description": "Unique in the plan, e.g. A1."})
    group = fields.String(required=True, validate=_name, metadata={"description": "One of the plan's groups."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "school or enterprise"})
    start = PlanDay(required=True, metadata={"description": "First day, within the term."})
    end = PlanDay(required=True, metadata={"description": "Last day, within the term."})
    hours_per_week = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=1, max=168), metadata={
                                        "description": "Planned practice hours a week: enterprise blocks (required "
                                                       "there); ignored for school blocks."})
    assignments = fields.List(fields.Nested(PlanAssignmentSchema), load_default=list,
                              validate=validate.Length(max=2000),
                              metadata={"description": "Enterprise blocks: each student's centre."})


class PlanContentSchema(RequestSchema):
    """What a plan says: its term, school calendar, groups and blocks."""

    term = fields.Nested(PlanTermSchema, required=True)
    calendar = fields.Nested(PlanCalendarSchema, load_default=lambda: {"holidays": [], "exam_weeks": []})
    groups = fields.List(fields.Nested(PlanGroupSchema), load_default=list, validate=validate.Length(max=200))
    blocks = fields.List(fields.Nested(PlanBlockSchema), load_default=list, validate=validate.Length(max=2000))


class PlanPatternSchema(RequestSchema):
    """"From `start`, N weeks at school then M weeks at enterprises, K cycles, G staggered groups": each student goes
    to the centre of their approved placement covering most of the term, dealt to the groups centre by centre."""

    start = PlanDay(required=True, metadata={"description": "A Monday: the first day of the term."})
    school_weeks = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=52))
    enterprise_weeks = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=52))
    cycles = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=52))
    groups = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=26),
                            metadata={"description": "Named A, B, C...; at most one per student."})
    hours_per_week = fields.Integer(load_default=40, strict=True, validate=validate.Range(min=1, max=168),
                                    metadata={"description": "Planned hours a week in enterprise blocks (default 40)."})
    students = fields.List(Id(), required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "The cohort: students of the plan's school."})
    calendar = fields.Nested(PlanCalendarSchema, load_default=lambda: {"holidays": [], "exam_weeks": []})

    @validates_schema
    def reasonable_term(self, data: dict[str, Any], **kwargs: Any) -> None:
        school, enterprise, cycles = (data.get(name) for name in ("school_weeks", "enterprise_weeks", "cycles"))
        if (isinstance(school, int) and isinstance(enterprise, int) and isinstance(cycles, int)
                and (school + enterprise) * cycles * 7 > MAX_SPAN_DAYS):
            raise ValidationError(f"the term would span more than {MAX_SPAN_DAYS} days", field_name="cycles")


# -- requests ----------------------------------------------------------------------------------------
class _Plan(RequestSchema):
    school_id = fields.UUID(required=True, metadata={"description": "The school whose cohort the plan is for."})
    cohort = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=100)],
                           metadata={"description": "e.g. mechatronics-2024"})
    title = fields.String(required=True, validate=_title)


class DraftPlanRequest(_Plan):
    """Draft a plan by hand."""

    content = fields.Nested(PlanContentSchema, required=True)


class GeneratePlanRequest(_Plan):
    """Draft a plan from a pattern."""

    pattern = fields.Nested(PlanPatternSchema, required=True)


class ChangePlanDraftRequest(RequestSchema):
    """The draft's new content: given whole (`content`), or generated again (`pattern`); exactly one of them."""

    content = fields.Nested(PlanContentSchema)
    pattern = fields.Nested(PlanPatternSchema)

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [name for name in ("content", "pattern") if data.get(name) is not None]
        if len(given) == 2:
            raise ValidationError({"content": ["send content or pattern, not both"],
                                   "pattern": ["send content or pattern, not both"]})
        if not given:
            raise ValidationError({"content": ["send content, or a pattern to generate it from"]})


class PlanOverrideSchema(RequestSchema):
    """Publish despite one conflict: its key, as the conflict check answered it, and why."""

    key = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=1000)])
    justification = fields.String(required=True, validate=_justification)


class _Overrides(RequestSchema):
    overrides = fields.List(fields.Nested(PlanOverrideSchema), load_default=list, validate=validate.Length(max=2000),
                            metadata={"description": "One per conflict the plan has and that no earlier revision "
                                                     "overrode exactly as it is now."})

    @validates_schema
    def one_override_per_conflict(self, data: dict[str, Any], **kwargs: Any) -> None:
        keys = [o["key"] for o in data.get("overrides") or []]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValidationError(f"a conflict is overridden once: {', '.join(twice)}", field_name="overrides")


class PublishPlanRequest(_Overrides):
    """Publish the draft as revision 1."""


class RevisePlanRequest(_Overrides):
    """A new revision of a published plan: the whole new content, and why."""

    content = fields.Nested(PlanContentSchema, required=True)
    reason = fields.String(required=True, validate=_justification, metadata={"description": "Why the plan changes."})


class PlansQuery(RequestSchema):
    school_id = fields.UUID(load_default=None, metadata={"description": "Only this school's plans."})


class PlanChangesQuery(RequestSchema):
    first = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1, max=1_000_000),
                           metadata={"description": "A revision number."})
    second = fields.Integer(data_key="to", required=True, validate=validate.Range(min=1, max=1_000_000),
                            metadata={"description": "Another revision number (either order)."})


# -- responses ---------------------------------------------------------------------------------------
class PlanSummarySchema(Schema):
    """A plan the caller may read."""

    id = fields.String(required=True)
    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    title = fields.String(required=True)
    revision = fields.Integer(required=True, metadata={"description": "The revision in force; 0 for a draft."})
    status = fields.String(required=True, metadata={"description": "draft or published"})


class GroupExplanationSchema(Schema):
    group = fields.String(required=True)
    students = fields.Integer(required=True, metadata={"description": "How many."})
    offset_weeks = fields.Integer(required=True, metadata={"description": "Weeks into the cycle the group starts."})
    reason = fields.String(required=True)


class StudentExplanationSchema(Schema):
    student_id = fields.String(required=True)
    group = fields.String(required=True)
    centre_id = fields.String(allow_none=True, metadata={"description": "None: no approved placement in the term."})
    placement_id = fields.String(allow_none=True)
    reason = fields.String(required=True)


class CentreExplanationSchema(Schema):
    centre_id = fields.String(required=True)
    peak = fields.Integer(required=True, metadata={"description": "Most of its students at enterprises in one week."})
    peak_week = fields.String(required=True, metadata={"description": "ISO week, e.g. 2027-W13."})
    capacity = fields.Integer(allow_none=True)
    reason = fields.String(required=True)


class PlanExplanationsSchema(Schema):
    """The reason for every allocation the generator made."""

    groups = fields.List(fields.Nested(GroupExplanationSchema), required=True)
    students = fields.List(fields.Nested(StudentExplanationSchema), required=True)
    centres = fields.List(fields.Nested(CentreExplanationSchema), required=True)


class GeneratedFromSchema(Schema):
    """The pattern the draft was generated from, and why each student, group and centre came out as it did."""

    pattern = fields.Nested(PlanPatternSchema, required=True)
    explanations = fields.Nested(PlanExplanationsSchema, required=True)


class PlanSchema(Schema):
    """A rotation plan as its event store knows it now: the draft's content, or the current revision's."""

    id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back in If-Match (also the ETag)."})
    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "draft or published"})
    revision = fields.Integer(required=True, metadata={"description": "The revision in force; 0 for a draft."})
    content = fields.Nested(PlanContentSchema, required=True)
    generated_from = fields.Nested(GeneratedFromSchema, allow_none=True, metadata={
        "description": "A draft generated from a pattern: the pattern and the explanations; otherwise null."})


class RecordedConflictSchema(Schema):
    key = fields.String(required=True, metadata={"description": "Stable: the same conflict found again has the same "
                                                                "key. Name it in an override."})
    kind = fields.String(required=True, metadata={"description": ", ".join(CONFLICT_KINDS)})
    week = fields.String(required=True, metadata={"description": "The ISO week where it first bites (2027-W09)."})
    objects = fields.Dict(required=True, metadata={"description": "What is involved: blocks, students, centres."})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "Figures: capacity, hours, placements..."})


class PlanConflictSchema(RecordedConflictSchema):
    """Something in the plan that cannot happen as planned."""

    overridden_with = fields.String(allow_none=True, required=True, metadata={
        "description": "The justification recorded when an earlier revision overrode exactly this conflict (it stays "
                       "overridden); null when publishing needs an override for it."})


class PlanOverrideRecordSchema(Schema):
    """A conflict published despite, as it was then, with its justification."""

    conflict = fields.Nested(RecordedConflictSchema, required=True)
    justification = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.DateTime(required=True)


class TermSpanSchema(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


class PlanTermChangeSchema(Schema):
    from_ = fields.Nested(TermSpanSchema, data_key="from", attribute="from", required=True)
    to = fields.Nested(TermSpanSchema, required=True)


class PlanPeriodsChangeSchema(Schema):
    added = fields.List(fields.Nested(PlanPeriodSchema), required=True)
    removed = fields.List(fields.Nested(PlanPeriodSchema), required=True)


class PlanGroupChangeSchema(Schema):
    group = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "added, removed or changed"})
    added = fields.List(fields.String(), required=True, metadata={"description": "Students who joined."})
    removed = fields.List(fields.String(), required=True, metadata={"description": "Students who left."})


class PlanBlockChangeSchema(Schema):
    block_id = fields.String(required=True)
    changes = fields.Dict(required=True, metadata={"description": '{"start": {"from", "to"}, ...} for group, kind, '
                                                                  'start, end and hours_per_week'})


class PlanAssignmentChangeSchema(Schema):
    block_id = fields.String(required=True)
    student_id = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from", allow_none=True, required=True,
                          metadata={"description": "The centre before (null: none)."})
    to = fields.String(allow_none=True, required=True, metadata={"description": "The centre after (null: none)."})


class PlanChangesSchema(Schema):
    """What changed from one revision to another."""

    term = fields.Nested(PlanTermChangeSchema, allow_none=True, required=True, metadata={"description": "null: same."})
    holidays = fields.Nested(PlanPeriodsChangeSchema, required=True)
    exam_weeks = fields.Nested(PlanPeriodsChangeSchema, required=True)
    groups = fields.List(fields.Nested(PlanGroupChangeSchema), required=True)
    blocks_added = fields.List(fields.Nested(PlanBlockSchema), required=True)
    blocks_removed = fields.List(fields.Nested(PlanBlockSchema), required=True)
    blocks_changed = fields.List(fields.Nested(PlanBlockChangeSchema), required=True)
    assignments_changed = fields.List(fields.Nested(PlanAssignmentChangeSchema), required=True,
                                      metadata={"description": "Students moved between centres in a block."})


class PlanRevisionSummarySchema(Schema):
    """A published revision, without its content."""

    number = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    by = fields.String(required=True, metadata={"description": "Who published it."})
    reason = fields.String(allow_none=True, required=True, metadata={"description": "null for the first revision."})
    changes = fields.Nested(PlanChangesSchema, allow_none=True, required=True,
                            metadata={"description": "From the revision before; null for the first."})
    overrides = fields.List(fields.Nested(PlanOverrideRecordSchema), required=True,
                            metadata={"description": "The conflicts it was published despite."})


class PlanRevisionSchema(PlanRevisionSummarySchema):
    """A published revision with its content."""

    content = fields.Nested(PlanContentSchema, required=True)

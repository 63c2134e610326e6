"""Queries and responses of the calendars read model."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from contracts.http.common import Day, FreshnessQuery

ICS_RESPONSE = {"type": "string", "description": "An RFC 5545 iCalendar feed (VCALENDAR with one VEVENT per block)."}
"""How the .ics routes document their 200 (text/calendar)."""


class CalendarQuery(FreshnessQuery):
    """Which days to show (blocks and periods overlapping from..to; either end open when not given)."""

    period_from = Day(data_key="from", load_default=None, metadata={"description": "First day (YYYY-MM-DD)."})
    period_to = Day(data_key="to", load_default=None, metadata={"description": "Last day (YYYY-MM-DD)."})

    @validates_schema
    def from_not_after_to(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("period_from") and data.get("period_to") and data["period_from"] > data["period_to"]:
            raise ValidationError("must not be after `to`", field_name="from")


class PlanOfStudentSchema(Schema):
    """A published plan the student belongs to (its current revision)."""

    plan_id = fields.String(required=True)
    school_id = fields.String(required=True)
    cohort = fields.String(required=True)
    title = fields.String(required=True)
    revision = fields.Integer(required=True)
    recorded_at = fields.String(required=True, metadata={"description": "When this revision was recorded."})
    group = fields.String(required=True, metadata={"description": "The student's group in the plan."})
    term = fields.Dict(required=True, metadata={"description": '{"start", "end"}'})


class StudentBlockSchema(Schema):
    """A block of a published plan that puts the student at school, or at a centre."""

    plan_id = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "The plan's title."})
    revision = fields.Integer(required=True, metadata={"description": "The plan's current revision."})
    recorded_at = fields.String(required=True, metadata={"description": "When that revision was recorded."})
    block_id = fields.String(required=True)
    group = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "school or enterprise"})
    start = fields.String(required=True, metadata={"description": "First day."})
    end = fields.String(required=True, metadata={"description": "Last day (included)."})
    hours_per_week = fields.Integer(allow_none=True)
    centre_id = fields.String(allow_none=True, metadata={"description": "Enterprise blocks: where."})
    centre_name = fields.String(allow_none=True)
    centre_address = fields.String(allow_none=True)


class CalendarPeriodSchema(Schema):
    """A holiday or exam week of a plan's school calendar."""

    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    revision = fields.Integer(required=True)
    recorded_at = fields.String(required=True)
    ordinal = fields.Integer(required=True, metadata={"description": "Its place in the plan's list."})
    name = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)


class StudentCalendarSchema(Schema):
    """Where a student is when, by the current revision of every published plan that places them."""

    student_id = fields.String(required=True)
    period_from = fields.String(attribute="from", data_key="from", allow_none=True)
    period_to = fields.String(attribute="to", data_key="to", allow_none=True)
    plans = fields.List(fields.Nested(PlanOfStudentSchema), required=True)
    blocks = fields.List(fields.Nested(StudentBlockSchema), required=True, metadata={
        "description": "By start day. A school block places every student of its group; an enterprise block each "
        "student it assigns, at their centre."})
    holidays = fields.List(fields.Nested(CalendarPeriodSchema), required=True)
    exam_weeks = fields.List(fields.Nested(CalendarPeriodSchema), required=True)


class CentreStudentSchema(Schema):
    student_id = fields.String(required=True)


class CentreBlockSchema(Schema):
    """An enterprise block of a published plan that places students at the centre."""

    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    revision = fields.Integer(required=True)
    recorded_at = fields.String(required=True)
    school_id = fields.String(required=True)
    block_id = fields.String(required=True)
    group = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    hours_per_week = fields.Integer(allow_none=True)
    student_count = fields.Integer(required=True, metadata={"description": "Students the block places here."})
    students = fields.List(fields.Nested(CentreStudentSchema), required=True, metadata={
        "description": "Who they are: for the centre's mentors, admins, auditors and the plan's own school; "
        "empty for other schools' staff (they see the count)."})


class CentreCalendarSchema(Schema):
    """Whom a centre expects when, by the current revision of every published plan."""

    centre_id = fields.String(required=True)
    centre_name = fields.String(allow_none=True)
    centre_address = fields.String(allow_none=True)
    period_from = fields.String(attribute="from", data_key="from", allow_none=True)
    period_to = fields.String(attribute="to", data_key="to", allow_none=True)
    blocks = fields.List(fields.Nested(CentreBlockSchema), required=True)

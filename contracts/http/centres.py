"""Responses and filters of the centres read model."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.http.common import Day, FreshnessQuery, RequestSchema


class CentreFilter(RequestSchema):
    """Which centres to list."""

    enterprise_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "closed"]))
    speciality = fields.String(load_default=None)


class EnterpriseRef(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class MentorSchema(Schema):
    mentor_id = fields.String(required=True)
    name = fields.String(required=True)
    assigned_at = fields.String(required=True)


class CentreSchema(Schema):
    """A training centre as the centres read model shows it."""

    id = fields.String(required=True)
    enterprise = fields.Nested(EnterpriseRef, required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    capacity = fields.Integer(required=True)
    specialities = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    mentors = fields.List(fields.Nested(MentorSchema), required=True)
    opened_at = fields.String(required=True)
    closed_at = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    updated_at = fields.String(required=True)


class HoursFilter(FreshnessQuery):
    """Which days to count (default: the last 12 weeks up to today)."""

    period_from = Day(data_key="from", load_default=None)
    period_to = Day(data_key="to", load_default=None)


class WeekHoursSchema(Schema):
    week_start = fields.String(required=True)
    signed_hours = fields.Float(required=True)
    unsigned_hours = fields.Float(required=True, metadata={"description": "Pending or awaiting countersignature."})


class CompetencyHoursSchema(Schema):
    competency = fields.String(required=True)
    signed_hours = fields.Float(required=True)
    unsigned_hours = fields.Float(required=True)


class HoursDeliveredSchema(Schema):
    """Practice hours delivered at a centre, per week and per competency (an entry's hours are shared evenly over
    the competencies it names; rejected entries do not count)."""

    centre_id = fields.String(required=True)
    period_from = fields.String(attribute="from", data_key="from", required=True)
    period_to = fields.String(attribute="to", data_key="to", required=True)
    signed_hours = fields.Float(required=True)
    weeks = fields.List(fields.Nested(WeekHoursSchema), required=True)
    competencies = fields.List(fields.Nested(CompetencyHoursSchema), required=True)


class ExpectedOccupancyFilter(FreshnessQuery):
    """Which weeks (default: from this week, 26 weeks on)."""

    period_from = Day(data_key="from", load_default=None, metadata={"description": "A day of the first week."})
    period_to = Day(data_key="to", load_default=None, metadata={"description": "A day of the last week."})


class ExpectedPlanSchema(Schema):
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    revision = fields.Integer(required=True, metadata={"description": "The plan's current revision."})
    students = fields.Integer(required=True,
                              metadata={"description": "Students the plan puts at the centre that week."})


class ExpectedWeekSchema(Schema):
    """One ISO week (Monday to Sunday) at a centre, by the published rotation plans."""

    week = fields.String(required=True, metadata={"description": "ISO week, e.g. 2027-W09."})
    week_start = fields.String(required=True, metadata={"description": "Its Monday."})
    expected = fields.Integer(required=True, metadata={
        "description": "Distinct students an enterprise block of a published plan puts at the centre on a day of "
        "the week, over every plan."})
    capacity = fields.Integer(required=True, metadata={"description": "The centre's capacity now."})
    over_capacity = fields.Boolean(required=True)
    plans = fields.List(fields.Nested(ExpectedPlanSchema), required=True)

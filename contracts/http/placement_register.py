"""Responses and filters of the placement register and the centres' occupancy."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.http.common import Day, RequestSchema

STATUSES = ["proposed", "agreed", "active", "paused", "stopped", "completed", "transferred", "withdrawn"]


class PlacementFilter(RequestSchema):
    """Which placements to list; a period keeps those overlapping it."""

    school_id = fields.UUID(load_default=None)
    centre_id = fields.UUID(load_default=None)
    student_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    period_from = Day(load_default=None, data_key="from")
    period_to = Day(load_default=None, data_key="to")


class _TermsFields(Schema):
    start = fields.String(required=True)
    planned_end = fields.String(required=True)
    post = fields.String(required=True)
    weekly_hours = fields.Integer(required=True)


class TermsSchema(_TermsFields):
    """The terms in force."""

    version = fields.Integer(required=True)


class PendingTermsSchema(_TermsFields):
    """Amended terms awaiting approval."""

    terms_version = fields.Integer(required=True)


class ApprovalsSchema(Schema):
    """Who has approved the terms awaiting approval (the current ones, or an amendment)."""

    school = fields.Boolean(required=True)
    enterprise = fields.Boolean(required=True)
    student = fields.Boolean(required=True)
    confirmed_by = fields.String(allow_none=True)
    mentor_id = fields.String(allow_none=True)


class PlacementSchema(Schema):
    """A placement as the placement register shows it."""

    id = fields.String(required=True)
    student_id = fields.String(required=True)
    school_id = fields.String(allow_none=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    terms = fields.Nested(TermsSchema, required=True)
    pending_terms = fields.Nested(PendingTermsSchema, allow_none=True)
    ended_on = fields.String(allow_none=True)
    activated_on = fields.String(allow_none=True)
    approvals = fields.Nested(ApprovalsSchema, required=True)
    transferred_from = fields.String(allow_none=True)
    transferred_to = fields.String(allow_none=True)
    speciality_override = fields.Boolean(required=True)
    capacity_override_justification = fields.String(allow_none=True)
    proposed_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class HistoryEntrySchema(Schema):
    """One event of the placement: what, when, who, why."""

    version = fields.Integer(required=True)
    event = fields.String(required=True)
    recorded_at = fields.String(required=True)
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    details = fields.Dict(required=True)


class PlacementWithHistorySchema(PlacementSchema):
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class CurrentPlacementSchema(Schema):
    """The placement a student is in now, or the next agreed one; null when none."""

    placement = fields.Nested(PlacementSchema, allow_none=True)


class OccupancyFilter(RequestSchema):
    period_from = Day(required=True, data_key="from")
    period_to = Day(required=True, data_key="to")


class WeekSchema(Schema):
    week_start = fields.String(required=True)
    held = fields.Integer(required=True, metadata={"description": "Most places held at once that week."})
    placements = fields.List(fields.String(), required=True)
    capacity = fields.Integer(required=True)
    over_capacity = fields.Boolean(required=True)


class OccupancySchema(Schema):
    """Places held (agreed, active or paused placements) per week against the centre's capacity."""

    centre_id = fields.String(required=True)
    capacity = fields.Integer(required=True)
    weeks = fields.List(fields.Nested(WeekSchema), required=True)


class HostedStudentSchema(Schema):
    student_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)


class CapacityOverrideSchema(Schema):
    placement_id = fields.String(required=True)
    capacity = fields.Integer(required=True)
    occupancy = fields.Integer(required=True)
    justification = fields.String(required=True)
    justified_by = fields.String(allow_none=True)
    granted_at = fields.String(required=True)

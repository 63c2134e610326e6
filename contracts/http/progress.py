"""Responses of the progress read model."""

from __future__ import annotations

from marshmallow import Schema, fields


class QueuedEntrySchema(Schema):
    """A practice entry's current revision, as the progress read model shows it."""

    entry_id = fields.String(required=True)
    student_id = fields.String(allow_none=True)
    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    day = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    hours = fields.Float(required=True)
    competencies = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    drafted_by_student = fields.Boolean(required=True)
    logged_by = fields.String(allow_none=True)
    last_event = fields.String(allow_none=True)
    last_actor = fields.String(allow_none=True)
    last_reason = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)


class ProgressPlacementSchema(Schema):
    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    status = fields.String(required=True)
    start = fields.String(required=True)
    planned_end = fields.String(required=True)
    activated_on = fields.String(allow_none=True)
    ended_on = fields.String(allow_none=True)
    mentor_id = fields.String(allow_none=True)
    post = fields.String(required=True)


class CompetencyProgressSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(allow_none=True)
    scale = fields.String(allow_none=True)
    in_plan = fields.Boolean(required=True)
    target_hours = fields.Integer(required=True)
    signed_hours = fields.Float(required=True)
    awaiting_countersignature_hours = fields.Float(required=True)
    pending_hours = fields.Float(required=True)
    remaining_hours = fields.Float(required=True)
    assessment = fields.Dict(allow_none=True, metadata={
        "description": "Latest by side: enterprise, school, and combined (by the rule set's rule) once both exist."})


class ProgressCertificateSchema(Schema):
    """A certificate level awarded to the student, held or revoked, as its record reads now (after amendments)."""

    award_id = fields.String(required=True)
    certificate_code = fields.String(required=True)
    level = fields.String(required=True)
    awarded_on = fields.String(required=True)
    certificate_number = fields.String(allow_none=True)
    eligible = fields.Boolean(required=True, metadata={
        "description": "False: awarded by an override (the reason is in the credit statement)."})
    revoked = fields.Boolean(required=True)
    revoked_reason = fields.String(allow_none=True)


class ProgressBlockSchema(Schema):
    """A block of a published rotation plan (its current revision) that puts the student at school or at a centre."""

    plan_id = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "The plan's title."})
    revision = fields.Integer(required=True, metadata={"description": "The plan's current revision."})
    block_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "school or enterprise"})
    start = fields.String(required=True, metadata={"description": "First day."})
    end = fields.String(required=True, metadata={"description": "Last day (included)."})
    centre_id = fields.String(allow_none=True, metadata={"description": "Enterprise blocks: the student's centre."})


class StudentProgressSchema(Schema):
    """Where a student stands today. Hours, targets, expected-to-date and assessments are about one placement's
    plan (the current placement's, else the last planned); an entry's hours are shared evenly over the
    competencies it names."""

    student_id = fields.String(required=True)
    school_id = fields.String(required=True)
    major = fields.String(required=True)
    cohort = fields.Integer(required=True)
    as_of = fields.String(required=True)
    current_placement = fields.Nested(ProgressPlacementSchema, allow_none=True)
    next_placement = fields.Nested(ProgressPlacementSchema, allow_none=True)
    current_block = fields.Nested(ProgressBlockSchema, allow_none=True, metadata={
        "description": "From published alternation plans: the block the student is in today (the one begun last, "
        "should two overlap)."})
    next_block = fields.Nested(ProgressBlockSchema, allow_none=True, metadata={
        "description": "The first block of a published plan starting after today."})
    plan_placement_id = fields.String(allow_none=True, metadata={
        "description": "The placement whose plan the figures below are about: the current one, else the last planned."})
    target_hours = fields.Integer(required=True)
    signed_hours = fields.Float(required=True)
    awaiting_countersignature_hours = fields.Float(required=True)
    pending_hours = fields.Float(required=True)
    signed_hours_on_record = fields.Float(required=True, metadata={
        "description": "Signed hours over every placement of the student (a transfer keeps the record)."})
    expected_to_date_hours = fields.Float(allow_none=True, metadata={
        "description": "The plan's hours spread evenly over the placement's days, up to today."})
    behind_schedule = fields.Boolean(required=True, metadata={
        "description": "Signed hours are below 90 % of the hours expected to date."})
    competencies = fields.List(fields.Nested(CompetencyProgressSchema), required=True)
    pending_sign_offs = fields.List(fields.Nested(QueuedEntrySchema), required=True)
    awaiting_countersignature = fields.List(fields.Nested(QueuedEntrySchema), required=True)
    rejected_entries = fields.List(fields.Nested(QueuedEntrySchema), required=True)
    certificates = fields.List(fields.Nested(ProgressCertificateSchema), required=True, metadata={
        "description": "Every certificate level awarded, held and revoked, in the order awarded."})
    credit_balance = fields.Integer(required=True, metadata={
        "description": "Credits the student holds unconverted: deposits less conversions, with reversals."})

"""Requests and responses of the audit's history, timeline and as-of routes."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from contracts.http.centres import CentreSchema, ExpectedWeekSchema, HoursDeliveredSchema
from contracts.http.common import Day, RequestSchema
from contracts.http.placement_register import HostedStudentSchema, OccupancySchema
from contracts.http.progress import StudentProgressSchema

_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


# -- requests -----------------------------------------------------------------------------------------------
class HistoryQuery(RequestSchema):
    """Which events of the aggregate to picture (every earlier one is replayed, not shown)."""

    from_version = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31), metadata={
        "description": "The first version to show (default 1)."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000), metadata={
        "description": "How many events at most (1-1000, default 100); next_from_version says where to go on."})


class AsOfQuery(RequestSchema):
    """A business date, and the moment whose knowledge to use."""

    on = Day(load_default=None, metadata={"description": "The business date (default today)."})
    known_at = fields.AwareDateTime(
        load_default=None, default_timezone=UTC, validate=validate.Range(min=_EARLIEST, max=_LATEST),
        metadata={"description": "Use only the events recorded at or before this moment (ISO 8601; without a "
                  "timezone, UTC; default now)."})


class CentreRecordQuery(AsOfQuery):
    """As AsOfQuery, and the period the weekly figures cover (default four weeks either side of the date)."""

    period_from = Day(data_key="from", load_default=None)
    period_to = Day(data_key="to", load_default=None)


# -- history ------------------------------------------------------------------------------------------------
class _Envelope(Schema):
    version = fields.Integer(required=True, metadata={"description": "The aggregate's version this event made."})
    type = fields.String(required=True, metadata={"description": "The event's class, e.g. PracticeLogged."})
    topic = fields.String(required=True, metadata={"description": "The stored topic (module:class)."})
    recorded_at = fields.String(required=True, metadata={"description": "When it was recorded (ISO 8601)."})
    actor = fields.String(allow_none=True, metadata={"description": "Who did it (the token's subject)."})
    role = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    business_date = fields.String(allow_none=True, metadata={
        "description": "The day the fact is about, where that differs from the day it was recorded."})
    correlation_id = fields.String(allow_none=True, metadata={"description": "The request that recorded it (the "
                                                                         "server's id of it)."})
    client_correlation_id = fields.String(allow_none=True, metadata={
        "description": "The X-Correlation-ID the client sent with that request, if any."})


class HistoryEventSchema(_Envelope):
    """One event of the aggregate, with the aggregate's state before and after it."""

    data = fields.Dict(required=True, metadata={"description": "The event's own facts."})
    state_before = fields.Dict(allow_none=True, metadata={
        "description": "The aggregate's public state before the event (null before its first)."})
    state_after = fields.Dict(required=True, metadata={"description": "The aggregate's public state after it."})


class AggregateHistorySchema(Schema):
    """An aggregate's events, replayed from its context's event store."""

    context = fields.String(required=True)
    aggregate_id = fields.String(required=True)
    aggregate_type = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Its latest version."})
    from_version = fields.Integer(required=True)
    next_from_version = fields.Integer(allow_none=True, metadata={
        "description": "Where the next page starts; null on the last."})
    events = fields.List(fields.Nested(HistoryEventSchema), required=True)


# -- timeline -----------------------------------------------------------------------------------------------
class TimelineItemSchema(_Envelope):
    """One event about the student, in whichever context it was recorded."""

    context = fields.String(required=True)
    aggregate_id = fields.String(required=True)
    aggregate_type = fields.String(required=True)
    summary = fields.String(required=True, metadata={"description": "One line saying what happened."})


class TimelineSchema(Schema):
    """Every event about a student, over every context, in recorded order."""

    student_id = fields.String(required=True)
    items = fields.List(fields.Nested(TimelineItemSchema), required=True)


# -- as of --------------------------------------------------------------------------------------------------
class _StatusHours(Schema):
    signed_hours = fields.Float(required=True)
    awaiting_countersignature_hours = fields.Float(required=True)
    pending_hours = fields.Float(required=True)
    rejected_hours = fields.Float(required=True)


class AsOfEntrySchema(Schema):
    """A practice entry as it stood: its current revision and status at the moment asked about."""

    entry_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    day = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    hours = fields.Float(required=True)
    competencies = fields.List(fields.String(), required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    last_event = fields.String(allow_none=True)
    last_actor = fields.String(allow_none=True)
    last_reason = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)


class DayHoursSchema(_StatusHours):
    """The student's entries about one day, over all their placements."""

    day = fields.String(required=True)
    entries = fields.List(fields.Nested(AsOfEntrySchema), required=True)


class HoursToDaySchema(_StatusHours):
    """The student's entries about any day up to and including `to`, over all their placements."""

    to = fields.String(required=True)


class _Stamp(Schema):
    on = fields.String(required=True, metadata={"description": "The business date."})
    known_at = fields.String(required=True, metadata={"description": "The moment whose knowledge was used."})
    events_applied = fields.Integer(required=True, metadata={
        "description": "How many of the events the answer depends on were recorded by then, and replayed."})
    last_recorded_at = fields.String(allow_none=True, metadata={
        "description": "When the last of them was recorded."})


class ProgressAsOfSchema(_Stamp):
    """A student's progress on a business date as known at a moment, replayed from the events recorded by then."""

    student_id = fields.String(required=True)
    progress = fields.Nested(StudentProgressSchema, required=True, metadata={
        "description": "The progress read model's answer for the business date."})
    hours_on_day = fields.Nested(DayHoursSchema, required=True)
    hours_to_day = fields.Nested(HoursToDaySchema, required=True)


class CentreDayHoursSchema(_StatusHours):
    day = fields.String(required=True)


class CentreRecordAsOfSchema(_Stamp):
    """A training centre's record on a business date as known at a moment (the centres read model's answers)."""

    centre_id = fields.String(required=True)
    period_from = fields.String(data_key="from", required=True)
    period_to = fields.String(data_key="to", required=True)
    centre = fields.Nested(CentreSchema, required=True)
    hosted_on_day = fields.List(fields.Nested(HostedStudentSchema), required=True, metadata={
        "description": "Places held on the business date."})
    students_hosted = fields.List(fields.Nested(HostedStudentSchema), required=True)
    occupancy = fields.Nested(OccupancySchema, required=True, metadata={"description": "Places held per week."})
    expected_occupancy = fields.List(fields.Nested(ExpectedWeekSchema), required=True, metadata={
        "description": "Students expected per ISO week by the plans published by then."})
    hours_delivered = fields.Nested(HoursDeliveredSchema, required=True, metadata={
        "description": "Over the period, up to the business date."})
    hours_on_day = fields.Nested(CentreDayHoursSchema, required=True)

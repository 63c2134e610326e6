"""Requests and responses of the training context: catalogues, plans, the logbook, assessments."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.http.common import NOT_BLANK, CommandAccepted, Day, RequestSchema
from services.common.scales import SCALES

_code = [NOT_BLANK, validate.Length(max=64)]
_text = [NOT_BLANK, validate.Length(max=4000)]
_reason = [NOT_BLANK, validate.Length(max=2000)]


class ClockTime(fields.Field):
    """A time of day as HH:MM (24-hour clock)."""

    _PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> time:
        if not isinstance(value, str) or not self._PATTERN.match(value):
            raise ValidationError("must be a time of day as HH:MM, e.g. 08:30")
        return datetime.strptime(value, "%H:%M").time()

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")


def competencies_field(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=_code), validate=validate.Length(min=1, max=20), **kwargs)


# -- catalogues -------------------------------------------------------------------------------------
class DefineCompetencyRequest(RequestSchema):
    """Add a competency to the major's catalogue from a date."""

    code = fields.String(required=True, validate=_code, metadata={"description": "Short code, e.g. MEC-01."})
    title = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=300)])
    target_hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    scale = fields.String(required=True, validate=validate.OneOf(sorted(SCALES)),
                          metadata={"description": "; ".join(f"{s.name}: {s.description}" for s in SCALES.values())})
    effective_from = Day(required=True)


class ReviseTargetRequest(RequestSchema):
    """Change the competency's target hours from a date."""

    target_hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    effective_from = Day(required=True)
    reason = fields.String(required=True, validate=_reason)


class RetireCompetencyRequest(RequestSchema):
    """Stop training the competency from a date."""

    effective_from = Day(required=True)
    reason = fields.String(required=True, validate=_reason)


class CatalogueChangeRequestRequest(RequestSchema):
    """Ask the catalogue's owners (administrators) for a change from a date: `define` needs title, target_hours and
    scale; `revise-target` needs target_hours; `retire` neither."""

    change = fields.String(required=True, validate=validate.OneOf(["define", "revise-target", "retire"]))
    code = fields.String(required=True, validate=_code, metadata={"description": "Short code, e.g. MEC-01."})
    title = fields.String(load_default=None, validate=[NOT_BLANK, validate.Length(max=300)])
    target_hours = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=10000))
    scale = fields.String(load_default=None, validate=validate.OneOf(sorted(SCALES)))
    effective_from = Day(required=True)
    reason = fields.String(required=True, validate=_reason)

    @validates_schema
    def fields_of_the_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Each kind of change takes its own fields: a 422 on the field missing or out of place."""
        needed = {"define": ("title", "target_hours", "scale"), "revise-target": ("target_hours",)}.get(
            data.get("change", ""), ())
        for name in ("title", "target_hours", "scale"):
            if name in needed and data.get(name) is None:
                raise ValidationError(f"a {data['change']} request needs {name}", field_name=name)
            if name not in needed and data.get(name) is not None:
                raise ValidationError(f"a {data.get('change')} request takes no {name}", field_name=name)


class ChangeRequestAccepted(CommandAccepted):
    request_id = fields.String(required=True)


class CatalogueChangeRequestSchema(Schema):
    """A change request of a catalogue and what became of it."""

    request_id = fields.String(required=True)
    change = fields.String(required=True, metadata={"description": "define, revise-target or retire"})
    code = fields.String(required=True)
    title = fields.String(allow_none=True)
    target_hours = fields.Integer(allow_none=True)
    scale = fields.String(allow_none=True)
    effective_from = fields.Date(required=True)
    school_id = fields.String(allow_none=True, metadata={"description": "The requesting coordinator's school."})
    reason = fields.String(allow_none=True)
    requested_by = fields.String(required=True, metadata={"description": "A person id."})
    status = fields.String(required=True, metadata={"description": "pending, approved or rejected"})
    decided_by = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True, metadata={"description": "Why it was rejected."})


class CatalogueQuery(RequestSchema):
    on = Day(load_default=None, metadata={"description": "The day the catalogue is read as in force (default today)."})


class CompetencySchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    target_hours = fields.Integer(required=True)
    scale = fields.String(required=True)


class CatalogueChangeSchema(Schema):
    code = fields.String(required=True)
    effective_from = fields.Date(required=True)
    change = fields.String(required=True, metadata={"description": "defined, target-revised or retired"})
    target_hours = fields.Integer(allow_none=True)


class CatalogueSchema(Schema):
    """A major's competency catalogue as in force on a day, and every change with its effective date."""

    major = fields.String(required=True)
    on = fields.Date(required=True)
    version = fields.Integer(required=True)
    competencies = fields.List(fields.Nested(CompetencySchema), required=True)
    changes = fields.List(fields.Nested(CatalogueChangeSchema), required=True)


# -- plans ------------------------------------------------------------------------------------------
class AdjustTargetRequest(RequestSchema):
    """Change one competency's target hours in this placement's plan."""

    target_hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    reason = fields.String(required=True, validate=_reason)


# -- the logbook ------------------------------------------------------------------------------------
class _PracticeFacts(RequestSchema):
    day = Day(required=True, metadata={"description": "The day practised."})
    start = ClockTime(required=True, metadata={"description": "HH:MM"})
    end = ClockTime(required=True, metadata={"description": "HH:MM, after the start"})
    competencies = competencies_field(required=True, metadata={"description": "Codes from the placement's plan."})
    description = fields.String(required=True, validate=_text, metadata={"description": "What was done."})

    @validates_schema
    def end_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A field problem, so a 422 on the field (the domain's time-order rule stays for CSV rows)."""
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(f"the end {data['end']:%H:%M} is not after the start {data['start']:%H:%M}",
                                  field_name="end")


class LogPracticeRequest(_PracticeFacts):
    """Log practice: a mentor of the student's centre logs it, the student drafts it, a coordinator back-fills
    (with a reason) beyond the edit window."""

    placement_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "Default: the student's placement running on that day (at your enterprise, for a mentor)."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CorrectPracticeRequest(_PracticeFacts):
    """The corrected facts: a new revision that awaits signature again."""

    reason = fields.String(required=True, validate=_reason)


class EntryAccepted(CommandAccepted):
    entry_id = fields.String(required=True)


class RevisionSchema(Schema):
    revision = fields.Integer(required=True)
    day = fields.Date(required=True)
    start = ClockTime(required=True)
    end = ClockTime(required=True)
    hours = fields.Float(required=True)
    competencies = fields.List(fields.String(), required=True)
    description = fields.String(required=True)


class LogbookEntrySchema(Schema):
    entry_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "pending, awaiting-countersignature, signed or rejected"})
    drafted_by_student = fields.Boolean(required=True)
    revision = fields.Integer(required=True)
    current = fields.Nested(RevisionSchema, required=True)
    earlier_revisions = fields.List(fields.Nested(RevisionSchema), required=True)


class LogbookSchema(Schema):
    """A student's logbook as the event store knows it now: every entry with every revision. A mentor sees only the
    entries of their enterprise's placements, and those only until the rule set's edit window after the placement's
    end (least data per role); everyone else who may read the logbook sees every entry."""

    student_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back in If-Match to change it safely."})
    entries = fields.List(fields.Nested(LogbookEntrySchema), required=True)


class BatchEntrySchema(Schema):
    line = fields.Integer(required=True)
    student_id = fields.String(required=True)
    entry_id = fields.String(required=True)


class BatchAccepted(Schema):
    """Every row stored, in one transaction."""

    stored = fields.Integer(required=True)
    entries = fields.List(fields.Nested(BatchEntrySchema), required=True)
    wait_token = fields.String(required=True, metadata={"description": "Pass as ?wait_for= to see these entries."})


class PracticeRowSchema(RequestSchema):
    """One CSV row."""

    student_id = fields.UUID(required=True)
    date = Day(required=True)
    start = ClockTime(required=True)
    end = ClockTime(required=True)
    competencies = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=1000)],
                                 metadata={"description": "Codes separated by ';'."})
    description = fields.String(required=True, validate=_text)
    placement_id = fields.UUID(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "Why (a coordinator back-filling beyond the edit window)."})


CSV_COLUMNS = ("student_id", "date", "start", "end", "competencies", "description")
CSV_OPTIONAL_COLUMNS = ("placement_id", "reason")


# -- assessments ------------------------------------------------------------------------------------
class AssessRequest(RequestSchema):
    """Assess a competency on its declared scale: a mentor of the centre for the enterprise, a teacher of the
    school for the school."""

    competency = fields.String(required=True, validate=_code)
    result = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1000))
    evidence = fields.String(required=True, validate=_text, metadata={"description": "What the judgement rests on."})
    assessed_on = Day(load_default=None, metadata={"description": "Default: today."})

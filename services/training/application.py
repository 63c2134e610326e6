"""Command handlers of the training context: load, decide, save."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common.application import CommandResult
from services.common.errors import (
    BatchInvalid,
    BatchRefused,
    DomainError,
    NotAllowed,
    NotFound,
    RuleViolated,
    VersionConflict,
)
from services.common.freshness import Written, token_of
from services.common.identity import CommandContext, Role
from services.common.rules import RuleSet, rule_set_in_force
from services.training import access
from services.training.catalogues import CatalogueCommands
from services.training.domain import (
    Capacity,
    PlacementFacts,
    Practice,
    TrainingRecord,
    training_record_id,
)
from services.training.personal import PERSONAL_DATA
from services.training.ports import (
    NoPublishedPlans,
    PlacementDirectory,
    SchoolCalendar,
    StudentFacts,
)

R = TypeVar("R")


@dataclass(frozen=True)
class EntryResult(CommandResult):
    """A command on a practice entry: the student's training record, and the entry."""

    entry_id: str = ""


@dataclass(frozen=True)
class PracticeRow:
    """One row of a bulk upload, parsed."""

    line: int
    student_id: str
    day: date
    start: time
    end: time
    competencies: tuple[str, ...]
    description: str
    placement_id: str | None = None
    reason: str | None = None
    """Why, where a rule asks for one (a coordinator back-filling beyond the edit window)."""


@dataclass(frozen=True)
class BatchResult:
    """A bulk upload stored as a whole: one entry per row, and each record touched with its new version."""

    entries: list[dict[str, Any]]
    records: list[CommandResult] = field(default_factory=list)

    @property
    def token(self) -> str:
        return token_of(w for r in self.records for w in r.written)


class TrainingApplication(CatalogueCommands):
    """Competency catalogues, and each student's training plans, practice logbook and assessments."""

    context = "training"
    personal_data = PERSONAL_DATA
    snapshotting_intervals = {TrainingRecord: 100}
    """A student's training record grows with every entry over the years: a snapshot every so many events keeps
    loading it short (StateSnapshot)."""

    placements: PlacementDirectory
    school_days: SchoolCalendar = NoPublishedPlans()

    def connect(self, *, placements: PlacementDirectory, school_days: SchoolCalendar) -> None:
        """Plug in what the training rules ask of the other contexts (the composition root does this)."""
        self.placements = placements
        self.school_days = school_days

    # -- plans ------------------------------------------------------------------------------------
    def draw_up_training_plan(self, ctx: CommandContext, student_id: UUID, placement_id: str) -> CommandResult:
        """Draw up a placement's plan from the catalogue in force at its start (coordinators of the school)."""
        def draw_up() -> CommandResult:
            student = self.placements.student(str(student_id))
            access.require_coordinator(ctx.actor, student.school_id, "draw up training plans")
            placement = self._placement(student, placement_id)
            record = self._training_record(student, ctx)
            self._draw_up(record, placement, ctx)
            return self.record(record)

        return self.retrying(None, draw_up)

    def adjust_training_target(self, ctx: CommandContext, student_id: UUID, placement_id: str, code: str, *,
                               target_hours: int, reason: str, expected_version: int | None = None) -> CommandResult:
        """Change one competency's target hours in a placement's plan (coordinators of the school)."""
        def adjust() -> CommandResult:
            student = self.placements.student(str(student_id))
            access.require_coordinator(ctx.actor, student.school_id, "adjust training plans")
            self._placement(student, placement_id)
            record = self._training_record(student, ctx, expected_version)
            record.adjust_target(placement_id, code, target_hours, ctx.meta(reason))
            return self.record(record)

        return self.retrying(expected_version, adjust)

    def _draw_up(self, record: TrainingRecord, placement: PlacementFacts, ctx: CommandContext) -> None:
        starts = placement.activated_on or placement.start
        catalogue = self._catalogue(record.major)
        competencies = catalogue.in_force(starts) if catalogue else []
        record.draw_up_plan(placement, competencies, starts, ctx.meta())

    # -- the logbook ------------------------------------------------------------------------------
    def log_practice(self, ctx: CommandContext, student_id: UUID, *, day: date, start: time, end: time,
                     competencies: Sequence[str], description: str, placement_id: str | None = None,
                     reason: str | None = None) -> EntryResult:
        """Log practice for a student: a mentor of their centre logs, the student drafts, a coordinator back-fills."""
        return self.retrying(None, lambda: self._log(ctx, str(student_id), PracticeRow(
            0, str(student_id), day, start, end, tuple(competencies), description, placement_id), reason))

    def _log(self, ctx: CommandContext, student_id: str, row: PracticeRow, reason: str | None) -> EntryResult:
        student = self.placements.student(student_id)
        record = self._training_record(student, ctx)
        entry_id = self._log_row(ctx, student, record, row, reason)
        result = self.record(record)
        return EntryResult(result.id, result.version, result.position, result.written, entry_id=entry_id)

    def _log_row(self, ctx: CommandContext, student: StudentFacts, record: TrainingRecord, row: PracticeRow,
                 reason: str | None) -> str:
        access.require_may_act_for(ctx.actor, student)
        placement = self._placement_for(ctx, student, row)
        rules = rule_set_in_force(placement.rule_set, row.day)
        capacity = access.capacity_to_log(ctx.actor, placement, rules, self.today())
        if placement.placement_id not in record.plans:
            self._draw_up(record, placement, ctx)
        return record.log(
            placement, Practice(row.day, row.start, row.end, row.competencies, row.description), capacity=capacity,
            rules=rules, today=self.today(), school_day=self.school_days.is_school_day(student.student_id, row.day),
            meta=ctx.meta(reason, business_date=row.day),
        )

    def log_practice_batch(self, ctx: CommandContext, rows: Sequence[PracticeRow],
                           malformed: Sequence[dict[str, Any]] = ()) -> BatchResult:
        """Check every row, then store all of them in one transaction, or none with a report of every bad row.

        `malformed` are rows the caller could not even parse; they are reported with the rest.
        """
        if not ctx.actor.may_write:
            raise NotAllowed(f"{ctx.actor.role.value} {ctx.actor.subject} may not log practice",
                             role=ctx.actor.role.value)
        problems = list(malformed)
        forbidden = False
        records: dict[str, TrainingRecord] = {}
        entries = []
        students: dict[str, StudentFacts] = {}  # a student's placements are read once per batch, not per row
        for row in rows:
            try:
                student = students.get(row.student_id) or self.placements.student(row.student_id)
                students[row.student_id] = student
                record = records.get(student.student_id) or self._training_record(student, ctx)
                entry_id = self._log_row(ctx, student, record, row, row.reason)
            except DomainError as error:
                forbidden = forbidden or isinstance(error, NotAllowed)
                problems.append({"line": row.line, "code": getattr(error, "rule", None) or _code(error),
                                 "message": error.message, "details": error.details})
                continue
            records[student.student_id] = record
            entries.append({"line": row.line, "student_id": student.student_id, "entry_id": entry_id})
        if problems:
            problems.sort(key=lambda p: p["line"])
            if forbidden:  # not a question of fixing rows: the caller may not write for some of these students
                raise NotAllowed(f"{ctx.actor.role.value} {ctx.actor.subject} may not log practice for some of these "
                                 "rows; nothing was stored", rows=problems, stored=0)
            refused = BatchInvalid if malformed else BatchRefused
            raise refused(f"{len(problems)} of {len(rows) + len(malformed)} rows are refused; nothing was stored",
                          rows=problems, stored=0)
        if not records:
            return BatchResult(entries=[])
        try:
            recordings = self.save(*records.values())
        except IntegrityError as error:
            raise VersionConflict("a training record changed while the batch was checked; send it again") from error
        position = max((r.notification.id for r in recordings), default=None)
        return BatchResult(entries=entries, records=[
            CommandResult(r.id, r.version, position, (Written(self.context, str(r.id), r.version),))
            for r in records.values()])

    def correct_practice(self, ctx: CommandContext, student_id: UUID, entry_id: str, *, day: date, start: time,
                         end: time, competencies: Sequence[str], description: str, reason: str,
                         expected_version: int | None = None) -> EntryResult:
        """Correct an entry: a new revision that awaits signature again; the earlier ones stay on record."""

        def correct() -> EntryResult:
            student, record, placement = self._entry_context(ctx, student_id, entry_id, expected_version)
            rules = rule_set_in_force(placement.rule_set, day)
            rules_before = self._rules_for_entry(record, placement, entry_id)
            capacity = access.capacity_to_correct(ctx.actor, placement, rules_before, self.today())
            record.correct(entry_id, placement, Practice(day, start, end, tuple(competencies), description),
                           capacity=capacity, rules=rules, rules_before=rules_before, today=self.today(),
                           school_day=self.school_days.is_school_day(student.student_id, day),
                           meta=ctx.meta(reason, business_date=day))
            return self._record_entry(record, entry_id)

        return self.retrying(expected_version, correct)

    def sign_off_practice(self, ctx: CommandContext, student_id: UUID, entry_id: str, *,
                          expected_version: int | None = None) -> EntryResult:
        """The mentor signs the entry's current revision."""

        def sign() -> EntryResult:
            _, record, placement = self._entry_context(ctx, student_id, entry_id, expected_version)
            rules = self._rules_for_entry(record, placement, entry_id)
            access.require_mentor(ctx.actor, placement, rules, self.today(), "sign practice entries")
            record.sign_off(entry_id, placement, rules, ctx.meta(business_date=record.entry(entry_id).current.day))
            return self._record_entry(record, entry_id)

        return self.retrying(expected_version, sign)

    def countersign_practice(self, ctx: CommandContext, student_id: UUID, entry_id: str, *,
                             expected_version: int | None = None) -> EntryResult:
        """A teacher or coordinator of the school countersigns what the mentor signed."""

        def countersign() -> EntryResult:
            student, record, placement = self._entry_context(ctx, student_id, entry_id, expected_version)
            access.capacity_at_school(ctx.actor, student.school_id, "countersign practice entries of this student")
            record.countersign(entry_id, placement, ctx.meta(business_date=record.entry(entry_id).current.day))
            return self._record_entry(record, entry_id)

        return self.retrying(expected_version, countersign)

    def reject_practice(self, ctx: CommandContext, student_id: UUID, entry_id: str, *, reason: str,
                        expected_version: int | None = None) -> EntryResult:
        """Send an entry back with a reason: the mentor before signing, the school before countersigning."""

        def reject() -> EntryResult:
            _, record, placement = self._entry_context(ctx, student_id, entry_id, expected_version)
            rules = self._rules_for_entry(record, placement, entry_id)
            capacity = access.capacity_to_reject(ctx.actor, placement, rules, self.today())
            record.reject(entry_id, reason, capacity,
                          ctx.meta(reason, business_date=record.entry(entry_id).current.day))
            return self._record_entry(record, entry_id)

        return self.retrying(expected_version, reject)

    # -- assessments ------------------------------------------------------------------------------
    def assess_competency(self, ctx: CommandContext, student_id: UUID, placement_id: str, *, competency: str,
                          result: float, evidence: str, assessed_on: date | None = None,
                          expected_version: int | None = None) -> CommandResult:
        """An enterprise expert (a mentor of the centre) or a teacher of the school assesses a competency."""

        def assess() -> CommandResult:
            student = self.placements.student(str(student_id))
            access.require_may_act_for(ctx.actor, student)
            placement = self._placement(student, placement_id)
            day = assessed_on or self.today()
            rules = rule_set_in_force(placement.rule_set, day)
            assessor = access.assessor_of(ctx.actor, placement, rules, self.today())
            record = self._training_record(student, ctx, expected_version)
            if placement_id not in record.plans:
                self._draw_up(record, placement, ctx)
            record.assess(placement, competency=competency, assessor=assessor, result=result, evidence=evidence,
                          assessed_on=day, today=self.today(), rules=rules, meta=ctx.meta(business_date=day))
            return self.record(record)

        return self.retrying(expected_version, assess)

    # -- reading ----------------------------------------------------------------------------------
    def get_training_record(self, ctx: CommandContext, student_id: UUID) -> TrainingRecord | None:
        """A student's training record as the event store knows it now (those who may read the student); None
        while nothing was logged, planned or assessed for them."""
        student = self.placements.student(str(student_id))
        access.require_may_read_training(ctx.actor, student, self.today())
        try:
            return self.repository.get(training_record_id(student.student_id))
        except AggregateNotFoundError:
            return None

    # -- helpers ----------------------------------------------------------------------------------
    def _training_record(self, student: StudentFacts, ctx: CommandContext,
                expected_version: int | None = None) -> TrainingRecord:
        try:
            record: TrainingRecord = self.repository.get(training_record_id(student.student_id))
        except AggregateNotFoundError:
            if expected_version is not None:
                raise NotFound(f"student {student.student_id} has no training record yet") from None
            return TrainingRecord.open(student_id=student.student_id, school_id=student.school_id,
                                       major=student.major, meta=ctx.meta())
        if expected_version is not None and record.version != expected_version:
            raise VersionConflict(f"the training record of student {student.student_id} is at version "
                                  f"{record.version}, not {expected_version}", version=record.version,
                                  expected_version=expected_version)
        return record

    def _entry_context(self, ctx: CommandContext, student_id: UUID, entry_id: str,
                       expected_version: int | None) -> tuple[StudentFacts, TrainingRecord, PlacementFacts]:
        student = self.placements.student(str(student_id))
        access.require_may_act_for(ctx.actor, student)
        record = self._training_record(student, ctx, expected_version)
        entry = record.entry(entry_id)
        return student, record, self._placement(student, entry.placement_id)

    @staticmethod
    def _placement(student: StudentFacts, placement_id: str) -> PlacementFacts:
        placement = student.placement(placement_id)
        if placement is None:
            raise NotFound(f"student {student.student_id} has no placement {placement_id}", placement_id=placement_id)
        return placement

    @staticmethod
    def _placement_for(ctx: CommandContext, student: StudentFacts, row: PracticeRow) -> PlacementFacts:
        if row.placement_id:
            return TrainingApplication._placement(student, row.placement_id)
        enterprise = ctx.actor.enterprise_id if ctx.actor.role is Role.MENTOR else None
        found = student.placement_on(row.day, enterprise)
        if found is None and enterprise is not None and enterprise not in student.enterprise_ids:
            raise NotAllowed(f"mentor {ctx.actor.subject} may not log practice for student {student.student_id}: "
                             "your enterprise does not host them", student_id=student.student_id)
        if found is None:
            raise RuleViolated("placement-not-running", f"no placement held student {student.student_id} on "
                               f"{row.day}" + (" at your enterprise" if enterprise else ""), day=str(row.day))
        return found

    @staticmethod
    def _rules_for_entry(record: TrainingRecord, placement: PlacementFacts, entry_id: str) -> RuleSet:
        return rule_set_in_force(placement.rule_set, record.entry(entry_id).current.day)

    def _record_entry(self, record: TrainingRecord, entry_id: str) -> EntryResult:
        result = self.record(record)
        return EntryResult(result.id, result.version, result.position, result.written, entry_id=entry_id)


def _code(error: DomainError) -> str:
    return {NotFound: "not-found", VersionConflict: "version-conflict"}.get(type(error), "forbidden")


__all__ = ["BatchResult", "Capacity", "EntryResult", "PracticeRow", "TrainingApplication"]

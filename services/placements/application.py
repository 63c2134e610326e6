"""Command handlers of the placements context: load, decide, save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast
from uuid import UUID

from services.common.application import CommandResult, DualtrackApplication, retried_when_blind
from services.common.errors import NotAllowed, NotFound
from services.common.identity import CommandContext, Role, is_school_staff, speaks_for_student
from services.common.rules import RuleSet, rule_set_in_force
from services.placements.access import (
    refuse_self_grant,
    require_admin,
    require_may_manage_enterprise,
    require_may_read_student,
    require_may_register_enterprise,
    require_school_or_enterprise_staff,
    require_school_staff,
    require_student_or_guardian,
)
from services.placements.domain import Enterprise, School, Student, TrainingCentre
from services.placements.domain.guardians import GuardianToAsk, guardian_to_ask
from services.placements.erasure import Erasure
from services.placements.roster import Registrations


@dataclass(frozen=True)
class PlacementResult(CommandResult):
    """A command on a placement: the student's record it belongs to, and the placement."""

    placement_id: str = ""


class PlacementsApplication(Erasure, Registrations, DualtrackApplication):
    """Enterprises and centres, schools, students and their placements; who is registered (`roster()`)."""

    context = "placements"
    snapshotting_intervals = {Student: 50, TrainingCentre: 100}  # long streams load from a snapshot

    def register_enterprise(
        self, ctx: CommandContext, *, name: str, registration_number: str | None = None
    ) -> CommandResult:
        """Register an enterprise that will host apprentices."""
        require_may_register_enterprise(ctx.actor)
        enterprise = Enterprise.register(name=name, registration_number=registration_number, meta=ctx.meta())
        return self.record(enterprise)

    def open_centre(
        self,
        ctx: CommandContext,
        *,
        enterprise_id: UUID,
        name: str,
        address: str,
        capacity: int,
        specialities: list[str],
    ) -> CommandResult:
        """Open a training centre of an enterprise."""
        enterprise = self.load(Enterprise, enterprise_id)
        require_may_manage_enterprise(ctx.actor, str(enterprise.id))
        centre = TrainingCentre.open(
            enterprise_id=enterprise.id,
            name=name,
            address=address,
            capacity=capacity,
            specialities=specialities,
            meta=ctx.meta(),
        )
        return self.record(centre)

    @retried_when_blind
    def change_centre_capacity(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        capacity: int,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Change how many students a centre hosts at once."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.change_capacity(capacity, ctx.meta(reason))
        return self.record(centre)

    @retried_when_blind
    def assign_mentor(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        mentor_id: str,
        name: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Assign an enterprise mentor to a centre."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        refuse_self_grant(ctx.actor, mentor_id)
        centre.assign_mentor(mentor_id, name, ctx.meta())
        return self.record(centre)

    @retried_when_blind
    def withdraw_mentor(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        mentor_id: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Withdraw a mentor from a centre."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.withdraw_mentor(mentor_id, ctx.meta(reason))
        return self.record(centre)

    @retried_when_blind
    def close_centre(
        self, ctx: CommandContext, centre_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """Close a centre: it takes no new placements."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.close(ctx.meta(reason))
        return self.record(centre)

    def get_enterprise(self, enterprise_id: UUID) -> Enterprise:
        return self.load(Enterprise, enterprise_id)

    def get_centre(self, centre_id: UUID) -> TrainingCentre:
        return self.load(TrainingCentre, centre_id)

    def _centre_to_manage(
        self, ctx: CommandContext, centre_id: UUID, expected_version: int | None
    ) -> TrainingCentre:
        centre: TrainingCentre = self.load(TrainingCentre, centre_id, expected_version)
        require_may_manage_enterprise(ctx.actor, centre.enterprise_id)
        return centre

    # -- schools and students ---------------------------------------------------------------------
    def register_school(self, ctx: CommandContext, *, name: str, code: str, rule_set: str = "default") -> CommandResult:
        """Register a school and the rule set its placements follow (admins)."""
        require_admin(ctx.actor, "register schools (admins only)")
        return self.record(School.register(name=name, code=code, rule_set=rule_set, meta=ctx.meta()))

    def enrol_student(
        self, ctx: CommandContext, school_id: UUID, *, name: str, major: str, cohort: int, enrolment_date: date,
        date_of_birth: date, guardian_name: str | None = None, guardian_contact: str | None = None,
    ) -> CommandResult:
        """Enrol a student at a school (its coordinators); a minor needs a guardian."""
        school: School = self.read_only(School, school_id)
        require_school_staff(ctx.actor, str(school.id), f"enrol students at school {school.id}")
        rules = rule_set_in_force(school.rule_set, enrolment_date)
        student = Student.enrol(
            school_id=str(school.id), name=name, major=major, cohort=cohort, enrolment_date=enrolment_date,
            date_of_birth=date_of_birth, guardian_name=guardian_name, guardian_contact=guardian_contact,
            adult_age=rules.adult_age, meta=ctx.meta(), student_id=UUID(self.subject_keys.new_subject()),
        )
        return self.record(student)

    def find_student(self, student_id: str) -> Student:
        """The student whose id is given as text, as the other contexts hold it; NotFound for anything else."""
        try:
            key = UUID(str(student_id))
        except ValueError:
            raise NotFound(f"no student with id {student_id}", id=str(student_id)) from None
        return cast(Student, self.load(Student, key))

    def get_school(self, school_id: UUID) -> School:
        return self.load(School, school_id)

    def get_student(self, ctx: CommandContext, student_id: UUID) -> Student:
        student: Student = self.load(Student, student_id)
        # A mentor reads a student their enterprise hosts or is asked to host; a withdrawn proposal ends that.
        enterprises = {p.enterprise_id for p in student.placements.values() if p.status != "withdrawn"}
        require_may_read_student(ctx.actor, student.school_id, str(student.id), enterprises)
        return student

    # -- placements -------------------------------------------------------------------------------
    @retried_when_blind
    def propose_placement(
        self, ctx: CommandContext, student_id: UUID, *, centre_id: UUID, start: date, planned_end: date, post: str,
        weekly_hours: int, kind: str = "post", speciality_override_reason: str | None = None,
        capacity_override_justification: str | None = None, expected_version: int | None = None,
    ) -> PlacementResult:
        """Propose placing a student at a centre for a period (the student's school's coordinators)."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, f"propose placements for student {student.id}")
        centre = self.load(TrainingCentre, centre_id).as_host()
        placement_id = student.propose_placement(
            centre=centre, kind=kind, start=start, planned_end=planned_end, post=post, weekly_hours=weekly_hours,
            rules=self._rules(student, start), speciality_override_reason=speciality_override_reason,
            capacity_override_justification=capacity_override_justification, meta=ctx.meta(),
        )
        return self._record_placement(placement_id, student)

    @retried_when_blind
    def approve_placement_as_school(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, expected_version: int | None = None
    ) -> PlacementResult:
        """The school approves the placement's terms (its coordinators)."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "approve placements for the school")
        centre = self._centre_of(student, placement_id)
        student.approve_as_school(placement_id, ctx.meta())
        return self._settle_places(ctx, student, placement_id, centre)

    @retried_when_blind
    def approve_placement_as_enterprise(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, mentor_id: str,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """The enterprise approves the terms and names the mentor (its enterprise admins, or admins)."""
        student = self._student(student_id, expected_version)
        centre = self._centre_of(student, placement_id)
        require_may_manage_enterprise(ctx.actor, centre.enterprise_id)
        refuse_self_grant(ctx.actor, mentor_id)
        student.approve_as_enterprise(placement_id, mentor_id, centre.as_host(), ctx.meta())
        return self._settle_places(ctx, student, placement_id, centre)

    @retried_when_blind
    def confirm_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, confirmed_by: str = "student",
        guardian_name: str | None = None, expected_version: int | None = None,
    ) -> PlacementResult:
        """The student confirms, or their guardian (for a minor where the rule set asks for it): a guardian with
        their own credential (a guardian's account, or a code mailed to the enrolled guardian contact), never the
        student "as guardian"."""
        student = self._student(student_id, expected_version)
        require_student_or_guardian(ctx.actor, str(student.id), "confirm another student's placement")
        if ctx.actor.role is Role.GUARDIAN:
            confirmed_by, guardian_name = "guardian", student.guardian_name
        elif confirmed_by == "guardian":
            raise NotAllowed("a student confirms as themself: their guardian confirms with their own account or "
                             "code", role=ctx.actor.role.value, student_id=str(student.id))
        placement = student.placement(placement_id)
        centre = self._centre_of(student, placement_id)
        student.confirm(placement_id, confirmed_by=confirmed_by, guardian_name=guardian_name,
                        rules=self._rules(student, placement.terms.start), meta=ctx.meta())
        return self._settle_places(ctx, student, placement_id, centre)

    def guardian_to_ask(self, ctx: CommandContext, student_id: UUID, placement_id: str) -> GuardianToAsk:
        """Whom to mail a guardian's code for this placement (the student, or their school's coordinators, ask)."""
        student = self._student(student_id, None)
        if not (speaks_for_student(ctx.actor, str(student.id)) or is_school_staff(ctx.actor, student.school_id)):
            raise NotAllowed(f"{ctx.actor.role.value} {ctx.actor.subject} may not ask for a guardian's code",
                             role=ctx.actor.role.value, student_id=str(student.id))
        return guardian_to_ask(student, placement_id)

    @retried_when_blind
    def activate_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, on: date | None = None,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """Start an agreed placement on or after its start date (school or enterprise staff)."""
        student, _ = self._placement_for_staff(ctx, student_id, placement_id, expected_version, "activate placements")
        student.activate(placement_id, on or self.today(), self.today(), ctx.meta())
        return self._record_placement(placement_id, student)

    @retried_when_blind
    def pause_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, reason: str, on: date | None = None,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """Pause an active placement, with a reason (school or enterprise staff)."""
        student, _ = self._placement_for_staff(ctx, student_id, placement_id, expected_version, "pause placements")
        student.pause(placement_id, on or self.today(), self.today(), ctx.meta(reason))
        return self._record_placement(placement_id, student)

    @retried_when_blind
    def resume_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, on: date | None = None,
        reason: str | None = None, expected_version: int | None = None,
    ) -> PlacementResult:
        """Resume a paused placement (school or enterprise staff)."""
        student, _ = self._placement_for_staff(ctx, student_id, placement_id, expected_version, "resume placements")
        student.resume(placement_id, on or self.today(), self.today(), ctx.meta(reason))
        return self._record_placement(placement_id, student)

    @retried_when_blind
    def stop_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, on: date, reason_code: str,
        reason_text: str | None = None, expected_version: int | None = None,
    ) -> PlacementResult:
        """End a placement early, with a reason from the list (the school's coordinators)."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "stop placements")
        centre = self._centre_of(student, placement_id)
        student.stop(placement_id, on, reason_code, reason_text, self.today(), ctx.meta(reason_text or reason_code))
        centre.release_place(placement_id, on + timedelta(days=1), ctx.meta())
        return self._record_placement(placement_id, student, centre)

    @retried_when_blind
    def complete_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, on: date | None = None,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """Mark a placement completed (the school's coordinators)."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "complete placements")
        centre = self._centre_of(student, placement_id)
        day = on or self.today()
        student.complete(placement_id, day, self.today(), ctx.meta())
        centre.release_place(placement_id, day + timedelta(days=1), ctx.meta())
        return self._record_placement(placement_id, student, centre)

    @retried_when_blind
    def withdraw_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, reason: str,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """Withdraw a placement that has not started (the school's coordinators)."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "withdraw placements")
        centre = self._centre_of(student, placement_id)
        start = student.placement(placement_id).terms.start
        student.withdraw(placement_id, ctx.meta(reason))
        centre.release_place(placement_id, start, ctx.meta(reason))
        return self._record_placement(placement_id, student, centre)

    @retried_when_blind
    def transfer_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, to_centre_id: UUID, on: date, reason: str,
        post: str | None = None, weekly_hours: int | None = None, speciality_override_reason: str | None = None,
        capacity_override_justification: str | None = None, expected_version: int | None = None,
    ) -> PlacementResult:
        """Move the student to another centre from a date: a new linked placement, the record carried over."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "transfer placements")
        old_centre = self._centre_of(student, placement_id)
        to_centre = self.load(TrainingCentre, to_centre_id).as_host()
        new_id = student.transfer(
            placement_id, to_centre=to_centre, on=on, post=post, weekly_hours=weekly_hours,
            rules=self._rules(student, on), speciality_override_reason=speciality_override_reason,
            capacity_override_justification=capacity_override_justification, meta=ctx.meta(reason),
        )
        old_centre.release_place(placement_id, on, ctx.meta(reason))
        return self._record_placement(new_id, student, old_centre)

    @retried_when_blind
    def amend_placement(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, *, start: date, planned_end: date, post: str,
        weekly_hours: int, reason: str, capacity_override_justification: str | None = None,
        expected_version: int | None = None,
    ) -> PlacementResult:
        """Propose new terms for an agreed placement; school and enterprise approve them again."""
        student = self._student(student_id, expected_version)
        require_school_staff(ctx.actor, student.school_id, "amend placements")
        student.amend_terms(placement_id, start=start, planned_end=planned_end, post=post, weekly_hours=weekly_hours,
                            rules=self._rules(student, start), centre=self._centre_of(student, placement_id).as_host(),
                            capacity_override_justification=capacity_override_justification, meta=ctx.meta(reason))
        return self._record_placement(placement_id, student)

    # -- helpers ----------------------------------------------------------------------------------
    def _student(self, student_id: UUID, expected_version: int | None) -> Student:
        return self.load(Student, student_id, expected_version)

    def _rules(self, student: Student, on: date) -> RuleSet:
        school: School = self.load(School, UUID(student.school_id))
        return rule_set_in_force(school.rule_set, on)

    def _centre_of(self, student: Student, placement_id: str) -> TrainingCentre:
        return self.load(TrainingCentre, UUID(student.placement(placement_id).centre_id))

    def _placement_for_staff(
        self, ctx: CommandContext, student_id: UUID, placement_id: str, expected_version: int | None, what: str
    ) -> tuple[Student, str]:
        student = self._student(student_id, expected_version)
        placement = student.placement(placement_id)
        require_school_or_enterprise_staff(ctx.actor, student.school_id, placement.enterprise_id, what)
        return student, placement_id

    def _settle_places(
        self, ctx: CommandContext, student: Student, placement_id: str, centre: TrainingCentre
    ) -> PlacementResult:
        """After an approval: an agreed placement books its place; agreed amended terms move it."""
        placement = student.placement(placement_id)
        booking = centre.bookings.get(placement_id)
        if placement.status == "agreed" and booking is None:
            centre.book_place(
                placement_id=placement_id, student_id=str(student.id), start=placement.terms.start,
                end=placement.terms.planned_end,
                override_justification=placement.capacity_override_justification,
                justified_by=placement.proposed_by, meta=ctx.meta(),
            )
        elif booking is not None and placement.pending_terms is None and (
            (booking.start, booking.end) != (placement.terms.start, placement.terms.planned_end)
        ):
            centre.reschedule_place(
                placement_id=placement_id, start=placement.terms.start, end=placement.terms.planned_end,
                override_justification=placement.capacity_override_justification,
                justified_by=placement.proposed_by, meta=ctx.meta(),
            )
        return self._record_placement(placement_id, student, centre)

    def _record_placement(self, placement_id: str, student: Student, *others: TrainingCentre) -> PlacementResult:
        result = self.record(student, *others)
        return PlacementResult(result.id, result.version, result.position, result.written, placement_id=placement_id)

"""A student's record: enrolment and every placement, from proposal to its end. Placements are entities of the
student's aggregate, so the rules about one student (no two placements overlapping, at most one active) are decided in
one consistency boundary and a transfer keeps the whole record; one placement's terms and rules are in placement.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events.base import ERASED, EventMeta
from events.placements import (
    PlacementActivated,
    PlacementAgreed,
    PlacementAmendmentAgreed,
    PlacementAmendmentProposed,
    PlacementApprovedByEnterprise,
    PlacementApprovedBySchool,
    PlacementCompleted,
    PlacementConfirmedByStudent,
    PlacementPaused,
    PlacementProposed,
    PlacementResumed,
    PlacementStopped,
    PlacementTransferred,
    PlacementWithdrawn,
    SpecialityMismatchOverridden,
    StudentEnrolled,
    StudentErased,
)
from services.common.errors import NotFound, RuleViolated
from services.common.rules import RuleSet, age_on
from services.common.snapshots import StateSnapshot
from services.common.vocabulary import PLACEMENT_KINDS, STOP_REASONS
from services.placements.domain.enterprise import HostCentre
from services.placements.domain.placement import (
    Placement,
    Terms,
    check_amendment_fits_start,
    check_eligibility,
    check_no_overlap,
    check_not_in_future,
    check_terms,
    check_within_running_period,
)


class Student(Aggregate):
    """A student of a school, with their placements."""

    Snapshot = StateSnapshot
    erased = False  # their personal data was erased: what was sealed with their key reads as erased

    def __init__(
        self, *, school_id: str, name: str, major: str, cohort: int, enrolment_date: date, date_of_birth: date,
        guardian_name: str | None, guardian_contact: str | None, meta: EventMeta,
    ) -> None:
        self.school_id, self.name, self.major, self.cohort = school_id, name, major, cohort
        self.enrolment_date = enrolment_date
        self.date_of_birth: date | None = date_of_birth  # None once erased
        self.guardian_name, self.guardian_contact = guardian_name, guardian_contact
        self.placements: dict[str, Placement] = {}

    @classmethod
    def enrol(
        cls, *, school_id: str, name: str, major: str, cohort: int, enrolment_date: date, date_of_birth: date,
        guardian_name: str | None, guardian_contact: str | None, adult_age: int, meta: EventMeta,
        student_id: UUID | None = None,
    ) -> Student:
        if date_of_birth >= enrolment_date:
            raise RuleViolated("date-of-birth-before-enrolment", "the date of birth must be before the enrolment date")
        guardian_name = (guardian_name or "").strip() or None
        guardian_contact = (guardian_contact or "").strip() or None
        if age_on(date_of_birth, enrolment_date) < adult_age and not (guardian_name and guardian_contact):
            raise RuleViolated("guardian-required", "a minor is enrolled with a guardian (name and contact)",
                               age=age_on(date_of_birth, enrolment_date))
        return cls._create(
            StudentEnrolled, id=student_id or uuid4(), school_id=school_id, name=name, major=major, cohort=cohort,
            enrolment_date=enrolment_date, date_of_birth=date_of_birth, guardian_name=guardian_name,
            guardian_contact=guardian_contact, meta=meta,
        )

    # -- queries ----------------------------------------------------------------------------------
    def placement(self, placement_id: str) -> Placement:
        if (found := self.placements.get(placement_id)) is None:
            raise NotFound(f"student {self.id} has no placement {placement_id}", placement_id=placement_id)
        return found

    def active_placement(self) -> Placement | None:
        return next((p for p in self.placements.values() if p.status in ("active", "paused")), None)

    def is_minor_on(self, day: date, rules: RuleSet) -> bool:  # an erased birth date is nobody's minor
        return self.date_of_birth is not None and age_on(self.date_of_birth, day) < rules.adult_age

    def erase(self, meta: EventMeta) -> None:  # once; the keys are destroyed by whoever erases
        if not self.erased:
            self.trigger_event(StudentErased, meta=meta)

    # -- commands ---------------------------------------------------------------------------------
    def propose_placement(
        self, *, centre: HostCentre, kind: str, start: date, planned_end: date, post: str, weekly_hours: int,
        rules: RuleSet, speciality_override_reason: str | None, capacity_override_justification: str | None,
        meta: EventMeta, transferred_from: str | None = None,
    ) -> str:
        """Propose a placement at a centre; returns its id. Refusals name the rule broken."""
        check_terms(start, planned_end, weekly_hours, rules)
        if kind not in PLACEMENT_KINDS:
            raise RuleViolated("placement-kind", f"kind must be one of {PLACEMENT_KINDS}", kind=kind)
        if centre.is_closed:
            raise RuleViolated("centre-closed", f"centre {centre.id} is closed: it takes no new placements",
                               centre_id=str(centre.id))
        check_eligibility(self.date_of_birth, self.enrolment_date, kind, start, rules)
        check_no_overlap(self.placements.values(), start, planned_end, excluding=transferred_from)
        centre.check_room(start, planned_end, override_justification=capacity_override_justification)
        specialities = list(centre.specialities)
        mismatch = self.major not in specialities
        if mismatch and not (speciality_override_reason or "").strip():
            raise RuleViolated(
                "major-not-trained-at-centre",
                f"the student's major {self.major!r} is not among the centre's specialities {specialities}; "
                "give a speciality override reason to go ahead",
                major=self.major, specialities=specialities, centre_id=str(centre.id),
            )
        placement_id = str(uuid4())
        self.trigger_event(
            PlacementProposed, placement_id=placement_id, centre_id=str(centre.id),
            enterprise_id=centre.enterprise_id, kind=kind, start=start, planned_end=planned_end, post=post,
            weekly_hours=weekly_hours, transferred_from=transferred_from,
            capacity_override_justification=(capacity_override_justification or "").strip() or None, meta=meta,
        )
        if mismatch:
            self.trigger_event(
                SpecialityMismatchOverridden, placement_id=placement_id, major=self.major,
                specialities=specialities, meta=replace(meta, reason=speciality_override_reason),
            )
        return placement_id

    def approve_as_school(self, placement_id: str, meta: EventMeta) -> None:
        placement = self._awaiting_approval(placement_id)
        if placement.school_approved == placement.awaited_terms.version:
            raise RuleViolated("already-approved", "the school already approved these terms", placement_id=placement_id)
        self.trigger_event(PlacementApprovedBySchool, placement_id=placement_id,
                           terms_version=placement.awaited_terms.version, meta=meta)
        self._agree_if_complete(placement, meta)

    def approve_as_enterprise(self, placement_id: str, mentor_id: str, centre: HostCentre, meta: EventMeta) -> None:
        placement = self._awaiting_approval(placement_id)
        if placement.enterprise_approved == placement.awaited_terms.version:
            raise RuleViolated("already-approved", "the enterprise already approved these terms",
                               placement_id=placement_id)
        if mentor_id not in centre.mentors:
            raise RuleViolated("mentor-not-at-centre", f"mentor {mentor_id} is not assigned to centre {centre.id}",
                               mentor_id=mentor_id, centre_id=str(centre.id), mentors=sorted(centre.mentors))
        self.trigger_event(PlacementApprovedByEnterprise, placement_id=placement_id,
                           terms_version=placement.awaited_terms.version, mentor_id=mentor_id, meta=meta)
        self._agree_if_complete(placement, meta)

    def confirm(self, placement_id: str, *, confirmed_by: str, guardian_name: str | None, rules: RuleSet,
                meta: EventMeta) -> None:
        """The student (or, for a minor under rules that ask for it, the guardian) confirms."""
        placement = self.placement(placement_id)
        if placement.status != "proposed":
            raise RuleViolated("not-awaiting-confirmation", f"placement {placement_id} is {placement.status}",
                               placement_id=placement_id, status=placement.status)
        if placement.confirmed_by:
            raise RuleViolated("already-confirmed", "the placement is already confirmed", placement_id=placement_id)
        if confirmed_by == "guardian":
            if not self.guardian_name or not guardian_name or guardian_name.strip() != self.guardian_name:
                raise RuleViolated("guardian-mismatch", "the confirming guardian is not the enrolled guardian",
                                   placement_id=placement_id)
        elif rules.guardian_confirms_for_minors and self.is_minor_on(placement.terms.start, rules):
            raise RuleViolated(
                "guardian-consent-required",
                f"the student is under {rules.adult_age} on {placement.terms.start}: their guardian confirms",
                placement_id=placement_id, rule_set=rules.name,
            )
        self.trigger_event(PlacementConfirmedByStudent, placement_id=placement_id, confirmed_by=confirmed_by,
                           guardian_name=guardian_name if confirmed_by == "guardian" else None, meta=meta)
        self._agree_if_complete(placement, meta)

    def activate(self, placement_id: str, on: date, today: date, meta: EventMeta) -> None:
        placement = self._in_status(placement_id, ("agreed",), "activate")
        if on < placement.terms.start or on > placement.terms.planned_end:
            raise RuleViolated("activation-within-period", f"activation on {on} is outside the placement period "
                               f"{placement.terms.start}..{placement.terms.planned_end}", placement_id=placement_id)
        check_not_in_future(on, today)
        other = self.active_placement()
        if other is not None:
            raise RuleViolated("one-active-placement", f"the student already has an active placement {other.id}",
                               placement_id=placement_id, conflicting_placements=[other.id])
        self.trigger_event(PlacementActivated, placement_id=placement_id, on=on, meta=meta)

    def pause(self, placement_id: str, on: date, today: date, meta: EventMeta) -> None:
        placement = self._in_status(placement_id, ("active",), "pause")
        check_within_running_period(placement, on)
        if placement.resumed_on and on < placement.resumed_on:
            raise RuleViolated("pause-after-resume", f"cannot pause on {on}, before the last resumption on "
                               f"{placement.resumed_on}", placement_id=placement_id)
        check_not_in_future(on, today)
        self.trigger_event(PlacementPaused, placement_id=placement_id, on=on, meta=meta)

    def resume(self, placement_id: str, on: date, today: date, meta: EventMeta) -> None:
        placement = self._in_status(placement_id, ("paused",), "resume")
        if placement.paused_on and on < placement.paused_on:
            raise RuleViolated("resume-after-pause", f"cannot resume on {on}, before the pause on "
                               f"{placement.paused_on}", placement_id=placement_id)
        check_within_running_period(placement, on)
        check_not_in_future(on, today)
        self.trigger_event(PlacementResumed, placement_id=placement_id, on=on, meta=meta)

    def stop(self, placement_id: str, on: date, reason_code: str, reason_text: str | None, today: date,
             meta: EventMeta) -> None:
        """Record that the placement ended early on a day that has come (the student left)."""
        placement = self._in_status(placement_id, ("active", "paused"), "stop")
        check_not_in_future(on, today)
        if reason_code not in STOP_REASONS:
            raise RuleViolated("stop-reason", f"reason must be one of {STOP_REASONS}", reason_code=reason_code)
        if reason_code == "other" and not (reason_text or "").strip():
            raise RuleViolated("stop-reason-text", "a stop for reason 'other' needs a free-text explanation")
        check_within_running_period(placement, on)
        self.trigger_event(PlacementStopped, placement_id=placement_id, on=on, reason_code=reason_code,
                           reason_text=reason_text, meta=meta)

    def complete(self, placement_id: str, on: date, today: date, meta: EventMeta) -> None:
        placement = self._in_status(placement_id, ("active",), "complete")
        check_within_running_period(placement, on)
        check_not_in_future(on, today)
        self.trigger_event(PlacementCompleted, placement_id=placement_id, on=on, meta=meta)

    def withdraw(self, placement_id: str, meta: EventMeta) -> None:
        self._in_status(placement_id, ("proposed", "agreed"), "withdraw")
        self.trigger_event(PlacementWithdrawn, placement_id=placement_id, meta=meta)

    def transfer(
        self, placement_id: str, *, to_centre: HostCentre, on: date, post: str | None, weekly_hours: int | None,
        rules: RuleSet, speciality_override_reason: str | None, capacity_override_justification: str | None,
        meta: EventMeta,
    ) -> str:
        """Move the student to another centre from `on`: this placement ends the day before, a linked one is
        proposed for the rest of the period (it needs the usual approvals). Returns the new placement's id."""
        placement = self._in_status(placement_id, ("active", "paused"), "transfer")
        if to_centre.id == placement.centre_id or str(to_centre.id) == placement.centre_id:
            raise RuleViolated("transfer-to-another-centre", "a transfer goes to another centre",
                               placement_id=placement_id)
        if not (placement.activated_on or placement.terms.start) < on <= placement.terms.planned_end:
            raise RuleViolated("transfer-within-period", f"a transfer date must be after the day the placement started "
                               f"and not after its planned end ({placement.activated_on or placement.terms.start}.."
                               f"{placement.terms.planned_end})",
                               placement_id=placement_id)
        new_id = self.propose_placement(
            centre=to_centre, kind=placement.kind, start=on, planned_end=placement.terms.planned_end,
            post=post or placement.terms.post, weekly_hours=weekly_hours or placement.terms.weekly_hours,
            rules=rules, speciality_override_reason=speciality_override_reason,
            capacity_override_justification=capacity_override_justification, meta=meta,
            transferred_from=placement_id,
        )
        self.trigger_event(PlacementTransferred, placement_id=placement_id, on=on, to_placement_id=new_id, meta=meta)
        return new_id

    def amend_terms(self, placement_id: str, *, start: date, planned_end: date, post: str, weekly_hours: int,
                    rules: RuleSet, centre: HostCentre, capacity_override_justification: str | None,
                    meta: EventMeta) -> None:
        """Propose new terms; an amendment still awaiting approval is replaced by this one (the history keeps it)."""
        placement = self._in_status(placement_id, ("agreed", "active", "paused"), "amend")
        check_terms(start, planned_end, weekly_hours, rules)
        check_eligibility(self.date_of_birth, self.enrolment_date, placement.kind, start, rules)
        check_amendment_fits_start(placement, start, planned_end)
        check_no_overlap(self.placements.values(), start, planned_end, excluding=placement_id)
        justification = (capacity_override_justification or "").strip() or placement.capacity_override_justification
        if centre.holds_place_for(placement.id):  # refuse now what the centre could not take at agreement
            centre.check_room(start, planned_end, override_justification=justification, excluding=placement_id)
        self.trigger_event(PlacementAmendmentProposed, placement_id=placement_id,
                           terms_version=placement.awaited_terms.version + 1, start=start, planned_end=planned_end,
                           post=post, weekly_hours=weekly_hours, capacity_override_justification=justification,
                           meta=meta)

    # -- rules ------------------------------------------------------------------------------------
    def _awaiting_approval(self, placement_id: str) -> Placement:
        placement = self.placement(placement_id)
        if not placement.is_live or (placement.status != "proposed" and placement.pending_terms is None):
            raise RuleViolated("nothing-to-approve", f"placement {placement_id} is {placement.status} with no "
                               "amendment pending", placement_id=placement_id, status=placement.status)
        if placement.pending_terms is not None:
            check_amendment_fits_start(placement, placement.pending_terms.start,
                                             placement.pending_terms.planned_end)
        return placement

    def _agree_if_complete(self, placement: Placement, meta: EventMeta) -> None:
        awaited = placement.awaited_terms.version
        both = placement.school_approved == awaited and placement.enterprise_approved == awaited
        if placement.pending_terms is not None and both:
            self.trigger_event(PlacementAmendmentAgreed, placement_id=placement.id, terms_version=awaited, meta=meta)
        elif placement.status == "proposed" and both and placement.confirmed_by:
            self.trigger_event(PlacementAgreed, placement_id=placement.id, meta=meta)

    def _in_status(self, placement_id: str, allowed: tuple[str, ...], action: str) -> Placement:
        placement = self.placement(placement_id)
        if placement.status not in allowed:
            raise RuleViolated("placement-status", f"cannot {action} a placement that is {placement.status}",
                               placement_id=placement_id, status=placement.status, allowed=list(allowed))
        return placement

    # -- state ------------------------------------------------------------------------------------
    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the student's record."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: StudentErased) -> None:
        self.erased = True  # and a record kept in memory forgets what was sealed with the key destroyed:
        self.name, self.date_of_birth, self.guardian_name, self.guardian_contact = ERASED, None, ERASED, ERASED

    @when.register
    def _(self, e: PlacementProposed) -> None:
        terms = Terms(1, e.start, e.planned_end, e.post, e.weekly_hours)
        self.placements[e.placement_id] = Placement(
            e.placement_id, e.centre_id, e.enterprise_id, e.kind, terms, e.transferred_from,
            capacity_override_justification=e.capacity_override_justification, proposed_by=e.meta.subject,
        )

    @when.register
    def _(self, e: SpecialityMismatchOverridden) -> None:
        pass  # on record; nothing changes

    @when.register
    def _(self, e: PlacementApprovedBySchool) -> None:
        self.placements[e.placement_id].school_approved = e.terms_version

    @when.register
    def _(self, e: PlacementApprovedByEnterprise) -> None:
        placement = self.placements[e.placement_id]
        placement.enterprise_approved = e.terms_version
        placement.mentor_id = e.mentor_id

    @when.register
    def _(self, e: PlacementConfirmedByStudent) -> None:
        self.placements[e.placement_id].confirmed_by = e.confirmed_by

    @when.register
    def _(self, e: PlacementAgreed) -> None:
        self.placements[e.placement_id].status = "agreed"

    @when.register
    def _(self, e: PlacementActivated) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.activated_on = "active", e.on

    @when.register
    def _(self, e: PlacementPaused) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.paused_on = "paused", e.on
        placement.pauses.append((e.on, None))

    @when.register
    def _(self, e: PlacementResumed) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.paused_on, placement.resumed_on = "active", None, e.on
        if placement.pauses:
            placement.pauses[-1] = (placement.pauses[-1][0], e.on)

    @when.register
    def _(self, e: PlacementStopped) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.ended_on, placement.pending_terms = "stopped", e.on, None

    @when.register
    def _(self, e: PlacementCompleted) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.ended_on, placement.pending_terms = "completed", e.on, None

    @when.register
    def _(self, e: PlacementTransferred) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.ended_on = "transferred", e.on - timedelta(days=1)
        placement.pending_terms = None
        placement.transferred_to = e.to_placement_id

    @when.register
    def _(self, e: PlacementWithdrawn) -> None:
        placement = self.placements[e.placement_id]
        placement.status, placement.pending_terms = "withdrawn", None

    @when.register
    def _(self, e: PlacementAmendmentProposed) -> None:
        placement = self.placements[e.placement_id]
        placement.pending_terms = Terms(e.terms_version, e.start, e.planned_end, e.post, e.weekly_hours)
        placement.pending_override_justification = e.capacity_override_justification

    @when.register
    def _(self, e: PlacementAmendmentAgreed) -> None:
        placement = self.placements[e.placement_id]
        if placement.pending_terms is not None:
            placement.terms, placement.pending_terms = placement.pending_terms, None
            placement.capacity_override_justification = placement.pending_override_justification


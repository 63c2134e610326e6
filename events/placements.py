"""Events of the placements context: enterprises and centres, schools, students and their placements."""

from __future__ import annotations

from datetime import date

from events.base import DomainCreated, DomainEvent


class EnterpriseRegistered(DomainCreated):
    """An enterprise joined dualtrack as a host of apprentices."""

    name: str
    registration_number: str | None


class CentreOpened(DomainCreated):
    """An enterprise opened a practical training centre."""

    enterprise_id: str
    name: str
    address: str
    capacity: int
    specialities: list[str]


class CentreCapacityChanged(DomainEvent):
    """A training centre's capacity (students hosted at once) was changed."""

    capacity: int
    previous_capacity: int


class MentorAssigned(DomainEvent):
    """An enterprise mentor was assigned to a training centre."""

    mentor_id: str
    name: str


class MentorWithdrawn(DomainEvent):
    """A mentor stopped mentoring at a training centre."""

    mentor_id: str


class CentreClosed(DomainEvent):
    """A training centre closed and takes no new placements."""


# -- schools and students -------------------------------------------------------------------------


class SchoolRegistered(DomainCreated):
    """A vocational school joined dualtrack, following a named rule set."""

    name: str
    code: str
    rule_set: str


class StudentEnrolled(DomainCreated):
    """A student was enrolled at a school in a major and cohort (a guardian is named for minors)."""

    school_id: str
    name: str
    major: str
    cohort: int
    enrolment_date: date
    date_of_birth: date
    guardian_name: str | None
    guardian_contact: str | None


class StudentErased(DomainEvent):
    """The student's personal data was erased at their (or their guardian's) request: the key their personal fields
    were sealed with was destroyed. Their history still replays; every name, birth date, contact and free text about
    them reads as erased from now on. The reason (in the metadata) says on whose request, never about the person."""


# -- a student's placements (entities of the student's record) -------------------------------------


class PlacementProposed(DomainEvent):
    """A coordinator proposed placing the student at a training centre for a period."""

    placement_id: str
    centre_id: str
    enterprise_id: str
    kind: str
    start: date
    planned_end: date
    post: str
    weekly_hours: int
    transferred_from: str | None
    capacity_override_justification: str | None


class SpecialityMismatchOverridden(DomainEvent):
    """A placement goes ahead although the student's major is not among the centre's specialities."""

    placement_id: str
    major: str
    specialities: list[str]


class PlacementApprovedBySchool(DomainEvent):
    """The school approved the placement's current terms."""

    placement_id: str
    terms_version: int


class PlacementApprovedByEnterprise(DomainEvent):
    """The enterprise approved the placement's current terms and named the mentor."""

    placement_id: str
    terms_version: int
    mentor_id: str


class PlacementConfirmedByStudent(DomainEvent):
    """The student, or the guardian of a minor, confirmed the placement."""

    placement_id: str
    confirmed_by: str
    guardian_name: str | None


class PlacementAgreed(DomainEvent):
    """School, enterprise and student have all agreed: the placement holds a place at the centre."""

    placement_id: str


class PlacementActivated(DomainEvent):
    """The placement started."""

    placement_id: str
    on: date


class PlacementPaused(DomainEvent):
    """The placement was paused (a break in learning)."""

    placement_id: str
    on: date


class PlacementResumed(DomainEvent):
    """A paused placement resumed."""

    placement_id: str
    on: date


class PlacementStopped(DomainEvent):
    """The placement ended early, with a reason from the list (free text for "other")."""

    placement_id: str
    on: date
    reason_code: str
    reason_text: str | None


class PlacementCompleted(DomainEvent):
    """The placement ended as planned."""

    placement_id: str
    on: date


class PlacementTransferred(DomainEvent):
    """The placement ended on the day before `on` because the student moved to another centre."""

    placement_id: str
    on: date
    to_placement_id: str


class PlacementWithdrawn(DomainEvent):
    """A placement that never started was withdrawn."""

    placement_id: str


class PlacementAmendmentProposed(DomainEvent):
    """New terms for an agreed placement; school and enterprise approve them again."""

    placement_id: str
    terms_version: int
    start: date
    planned_end: date
    post: str
    weekly_hours: int
    capacity_override_justification: str | None


class PlacementAmendmentAgreed(DomainEvent):
    """Both parties approved the amended terms: they are now in force."""

    placement_id: str
    terms_version: int


# -- a centre's places ---------------------------------------------------------------------------


class PlaceBooked(DomainEvent):
    """An agreed placement holds one of the centre's places for its period."""

    placement_id: str
    student_id: str
    start: date
    end: date


class PlaceRescheduled(DomainEvent):
    """A booked place's period changed (amended terms)."""

    placement_id: str
    start: date
    end: date


class PlaceReleased(DomainEvent):
    """A booked place is free again from a date (the placement stopped, completed, moved or was withdrawn)."""

    placement_id: str
    from_date: date


class CapacityOverrideGranted(DomainEvent):
    """A place was booked beyond the centre's capacity, with a recorded justification."""

    placement_id: str
    capacity: int
    occupancy: int
    justification: str
    justified_by: str
    """Who gave the justification (the proposer); the event's own actor is whose action booked the place."""

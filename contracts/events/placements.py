"""Payloads published on `dualtrack.placements`."""

from __future__ import annotations

from marshmallow import Schema, fields

CONTEXT = "placements"


class EnterpriseRegisteredV1(Schema):
    """An enterprise joined dualtrack."""

    name = fields.String(required=True)
    registration_number = fields.String(allow_none=True)


class CentreOpenedV1(Schema):
    """An enterprise opened a practical training centre."""

    enterprise_id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    capacity = fields.Integer(required=True)
    specialities = fields.List(fields.String(), required=True)


class CentreCapacityChangedV1(Schema):
    """A centre's capacity changed."""

    capacity = fields.Integer(required=True)
    previous_capacity = fields.Integer(required=True)


class MentorAssignedV1(Schema):
    """A mentor was assigned to a centre."""

    mentor_id = fields.String(required=True)
    name = fields.String(required=True)


class MentorWithdrawnV1(Schema):
    """A mentor was withdrawn from a centre."""

    mentor_id = fields.String(required=True)


class CentreClosedV1(Schema):
    """A centre closed."""


class SchoolRegisteredV1(Schema):
    """A school joined dualtrack under a rule set."""

    name = fields.String(required=True)
    code = fields.String(required=True)
    rule_set = fields.String(required=True)


class StudentEnrolledV1(Schema):
    """A student was enrolled. Personal data (name, date of birth, guardian) is not published: the event
    store keeps it, the topic carries only what read models and other contexts need."""

    school_id = fields.String(required=True)
    major = fields.String(required=True)
    cohort = fields.Integer(required=True)
    enrolment_date = fields.Date(required=True)


class StudentErasedV1(Schema):
    """The student's personal data was erased (their key destroyed): read models show them as erased and forget
    anything personal they kept about them. No payload: the event's subject is the student."""


class PlacementProposedV1(Schema):
    """A placement of a student at a centre was proposed."""

    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    kind = fields.String(required=True)
    start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    post = fields.String(required=True)
    weekly_hours = fields.Integer(required=True)
    transferred_from = fields.String(allow_none=True)
    capacity_override_justification = fields.String(allow_none=True)


class PlacementRefV1(Schema):
    """An event about one placement and nothing more."""

    placement_id = fields.String(required=True)


class SpecialityMismatchOverriddenV1(PlacementRefV1):
    major = fields.String(required=True)
    specialities = fields.List(fields.String(), required=True)


class PlacementApprovedBySchoolV1(PlacementRefV1):
    terms_version = fields.Integer(required=True)


class PlacementApprovedByEnterpriseV1(PlacementRefV1):
    terms_version = fields.Integer(required=True)
    mentor_id = fields.String(required=True)


class PlacementConfirmedByStudentV1(PlacementRefV1):
    confirmed_by = fields.String(required=True)


class PlacementDatedV1(PlacementRefV1):
    """An event about one placement on a given day."""

    on = fields.Date(required=True)


class PlacementStoppedV1(PlacementDatedV1):
    reason_code = fields.String(required=True)
    reason_text = fields.String(allow_none=True)


class PlacementTransferredV1(PlacementDatedV1):
    to_placement_id = fields.String(required=True)


class PlacementAmendmentProposedV1(PlacementRefV1):
    terms_version = fields.Integer(required=True)
    start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    post = fields.String(required=True)
    weekly_hours = fields.Integer(required=True)
    capacity_override_justification = fields.String(allow_none=True)


class PlacementAmendmentAgreedV1(PlacementRefV1):
    terms_version = fields.Integer(required=True)


class PlaceBookedV1(PlacementRefV1):
    """A centre's place is held by an agreed placement (the subject is the centre)."""

    student_id = fields.String(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class PlaceRescheduledV1(PlacementRefV1):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class PlaceReleasedV1(PlacementRefV1):
    from_date = fields.Date(required=True)


class CapacityOverrideGrantedV1(PlacementRefV1):
    capacity = fields.Integer(required=True)
    occupancy = fields.Integer(required=True)
    justification = fields.String(required=True)
    justified_by = fields.String(required=True)


PUBLISHED = {
    "events.placements:EnterpriseRegistered": ("EnterpriseRegistered", 1, EnterpriseRegisteredV1),
    "events.placements:CentreOpened": ("CentreOpened", 1, CentreOpenedV1),
    "events.placements:CentreCapacityChanged": ("CentreCapacityChanged", 1, CentreCapacityChangedV1),
    "events.placements:MentorAssigned": ("MentorAssigned", 1, MentorAssignedV1),
    "events.placements:MentorWithdrawn": ("MentorWithdrawn", 1, MentorWithdrawnV1),
    "events.placements:CentreClosed": ("CentreClosed", 1, CentreClosedV1),
    "events.placements:SchoolRegistered": ("SchoolRegistered", 1, SchoolRegisteredV1),
    "events.placements:StudentEnrolled": ("StudentEnrolled", 1, StudentEnrolledV1),
    "events.placements:StudentErased": ("StudentErased", 1, StudentErasedV1),
    "events.placements:PlacementProposed": ("PlacementProposed", 1, PlacementProposedV1),
    "events.placements:SpecialityMismatchOverridden": (
        "SpecialityMismatchOverridden", 1, SpecialityMismatchOverriddenV1),
    "events.placements:PlacementApprovedBySchool": ("PlacementApprovedBySchool", 1, PlacementApprovedBySchoolV1),
    "events.placements:PlacementApprovedByEnterprise": (
        "PlacementApprovedByEnterprise", 1, PlacementApprovedByEnterpriseV1),
    "events.placements:PlacementConfirmedByStudent": (
        "PlacementConfirmedByStudent", 1, PlacementConfirmedByStudentV1),
    "events.placements:PlacementAgreed": ("PlacementAgreed", 1, PlacementRefV1),
    "events.placements:PlacementActivated": ("PlacementActivated", 1, PlacementDatedV1),
    "events.placements:PlacementPaused": ("PlacementPaused", 1, PlacementDatedV1),
    "events.placements:PlacementResumed": ("PlacementResumed", 1, PlacementDatedV1),
    "events.placements:PlacementStopped": ("PlacementStopped", 1, PlacementStoppedV1),
    "events.placements:PlacementCompleted": ("PlacementCompleted", 1, PlacementDatedV1),
    "events.placements:PlacementTransferred": ("PlacementTransferred", 1, PlacementTransferredV1),
    "events.placements:PlacementWithdrawn": ("PlacementWithdrawn", 1, PlacementRefV1),
    "events.placements:PlacementAmendmentProposed": ("PlacementAmendmentProposed", 1, PlacementAmendmentProposedV1),
    "events.placements:PlacementAmendmentAgreed": ("PlacementAmendmentAgreed", 1, PlacementAmendmentAgreedV1),
    "events.placements:PlaceBooked": ("PlaceBooked", 1, PlaceBookedV1),
    "events.placements:PlaceRescheduled": ("PlaceRescheduled", 1, PlaceRescheduledV1),
    "events.placements:PlaceReleased": ("PlaceReleased", 1, PlaceReleasedV1),
    "events.placements:CapacityOverrideGranted": ("CapacityOverrideGranted", 1, CapacityOverrideGrantedV1),
}
"""Stored event topic -> (published name, version, payload schema)."""

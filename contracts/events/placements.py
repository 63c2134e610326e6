"""Payloads published on `dualtrack.placements`.

No person's name, date of birth or contact and no free text: a mentor is named by person id, a justification or a
stop's free text only by whether there is one (read it through the placements API).
"""

from __future__ import annotations

from marshmallow import Schema, fields

from contracts.events.references import present_of

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


class MentorAssignedV2(Schema):
    """A mentor was assigned to a centre (their name is not published: v1 carried it)."""

    mentor_id = fields.String(required=True)


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


class PlacementProposedV2(Schema):
    """A placement of a student at a centre was proposed (the capacity override's justification is not published:
    v1 carried it)."""

    placement_id = fields.String(required=True)
    centre_id = fields.String(required=True)
    enterprise_id = fields.String(required=True)
    kind = fields.String(required=True)
    start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    post = fields.String(required=True)
    weekly_hours = fields.Integer(required=True)
    transferred_from = fields.String(allow_none=True)
    capacity_override_justified = present_of(
        "capacity_override_justification", "Whether the proposal justified exceeding the centre's capacity.")


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


class PlacementStoppedV2(PlacementDatedV1):
    """The placement ended early, with a reason from the list (its free text is not published: v1 carried it)."""

    reason_code = fields.String(required=True)
    reason_text_given = present_of("reason_text", "Whether a free text came with the reason code.")


class PlacementTransferredV1(PlacementDatedV1):
    to_placement_id = fields.String(required=True)


class PlacementAmendmentProposedV2(PlacementRefV1):
    """New terms for an agreed placement (the capacity override's justification is not published: v1 carried it)."""

    terms_version = fields.Integer(required=True)
    start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    post = fields.String(required=True)
    weekly_hours = fields.Integer(required=True)
    capacity_override_justified = present_of(
        "capacity_override_justification", "Whether the new terms justified exceeding the centre's capacity.")


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


class CapacityOverrideGrantedV2(PlacementRefV1):
    """A place was booked beyond the centre's capacity (the justification is not published: v1 carried it; read it
    through the placements API)."""

    capacity = fields.Integer(required=True)
    occupancy = fields.Integer(required=True)
    justified_by = fields.String(required=True, metadata={"description": "Who justified it (person id)."})


PUBLISHED = {
    "events.placements:EnterpriseRegistered": ("EnterpriseRegistered", 1, EnterpriseRegisteredV1),
    "events.placements:CentreOpened": ("CentreOpened", 1, CentreOpenedV1),
    "events.placements:CentreCapacityChanged": ("CentreCapacityChanged", 1, CentreCapacityChangedV1),
    "events.placements:MentorAssigned": ("MentorAssigned", 2, MentorAssignedV2),
    "events.placements:MentorWithdrawn": ("MentorWithdrawn", 1, MentorWithdrawnV1),
    "events.placements:CentreClosed": ("CentreClosed", 1, CentreClosedV1),
    "events.placements:SchoolRegistered": ("SchoolRegistered", 1, SchoolRegisteredV1),
    "events.placements:StudentEnrolled": ("StudentEnrolled", 1, StudentEnrolledV1),
    "events.placements:StudentErased": ("StudentErased", 1, StudentErasedV1),
    "events.placements:PlacementProposed": ("PlacementProposed", 2, PlacementProposedV2),
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
    "events.placements:PlacementStopped": ("PlacementStopped", 2, PlacementStoppedV2),
    "events.placements:PlacementCompleted": ("PlacementCompleted", 1, PlacementDatedV1),
    "events.placements:PlacementTransferred": ("PlacementTransferred", 1, PlacementTransferredV1),
    "events.placements:PlacementWithdrawn": ("PlacementWithdrawn", 1, PlacementRefV1),
    "events.placements:PlacementAmendmentProposed": ("PlacementAmendmentProposed", 2, PlacementAmendmentProposedV2),
    "events.placements:PlacementAmendmentAgreed": ("PlacementAmendmentAgreed", 1, PlacementAmendmentAgreedV1),
    "events.placements:PlaceBooked": ("PlaceBooked", 1, PlaceBookedV1),
    "events.placements:PlaceRescheduled": ("PlaceRescheduled", 1, PlaceRescheduledV1),
    "events.placements:PlaceReleased": ("PlaceReleased", 1, PlaceReleasedV1),
    "events.placements:CapacityOverrideGranted": ("CapacityOverrideGranted", 2, CapacityOverrideGrantedV2),
}
"""Stored event topic -> (published name, version, payload schema)."""

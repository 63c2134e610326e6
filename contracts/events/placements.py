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


PUBLISHED = {
    "events.placements:EnterpriseRegistered": ("EnterpriseRegistered", 1, EnterpriseRegisteredV1),
    "events.placements:CentreOpened": ("CentreOpened", 1, CentreOpenedV1),
    "events.placements:CentreCapacityChanged": ("CentreCapacityChanged", 1, CentreCapacityChangedV1),
    "events.placements:MentorAssigned": ("MentorAssigned", 1, MentorAssignedV1),
    "events.placements:MentorWithdrawn": ("MentorWithdrawn", 1, MentorWithdrawnV1),
    "events.placements:CentreClosed": ("CentreClosed", 1, CentreClosedV1),
}
"""Stored event topic -> (published name, version, payload schema)."""

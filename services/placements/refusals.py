"""What a caller is told of the placements context's refusals: only what they may see.

A `centre-capacity` refusal names the placements holding the centre's places in the period (the domain names them
all: `HostCentre.check_room`). An answer names only those whose student the caller may see (their school's, their
enterprise's, their own; toolkit/http/sight.py decides); the others are counted, not named.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask

from services.common.errors import NotFound, RuleViolated
from services.common.scope import Sight
from toolkit.http.context import current_actor, deployment
from toolkit.http.errors import scope_refusal
from toolkit.http.sight import StudentSight


def capacity_refusal_seen(error: RuleViolated) -> dict[str, Any]:
    """The details of a centre-capacity refusal as the caller may see them: `conflicting_placements` lists their
    own; `other_placements` counts the rest."""
    details = dict(error.details)
    held = [str(p) for p in details.pop("conflicting_placements", [])]
    try:
        bookings = deployment().app("placements").get_centre(UUID(str(details.get("centre_id")))).bookings
    except (NotFound, ValueError):
        bookings = {}
    sight = StudentSight(current_actor())
    shown = [p for p in held if p in bookings and sight.of(str(bookings[p].student_id)) is not Sight.NONE]
    return {**details, "conflicting_placements": shown, "other_placements": len(held) - len(shown)}


def register_refusal_scopes(app: Flask) -> None:
    scope_refusal(app, "centre-capacity", capacity_refusal_seen)

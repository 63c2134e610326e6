"""HTTP commands of the placements context: enterprises, training centres, mentors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError, CommandAccepted
from contracts.http.placements import (
    AssignMentorRequest,
    ChangeCapacityRequest,
    CloseCentreRequest,
    EnterpriseSchema,
    OpenCentreRequest,
    RegisterEnterpriseRequest,
    WithdrawMentorRequest,
)
from dualtrack.web.context import command_context, container, current_actor, expected_version
from services.common.application import CommandResult

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/api/v1",
    description="Enterprises and their practical training centres (commands).",
)

_ERRORS = {401: "no or invalid token", 403: "role or scope does not allow it", 404: "unknown id",
           409: "a rule refuses it, or the version changed"}


def _alt(blueprint_fn: Any) -> Any:
    for status, description in _ERRORS.items():
        blueprint_fn = blp.alt_response(status, schema=ApiError, description=description)(blueprint_fn)
    return blueprint_fn


def accepted(result: CommandResult, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    return (
        {"id": result.id, "version": result.version, "position": result.position},
        status,
        {"ETag": f'"{result.version}"'},
    )


@blp.route("/enterprises")
class Enterprises(MethodView):
    @blp.arguments(RegisterEnterpriseRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any]) -> Any:
        """Register an enterprise (admins)."""
        return accepted(container().placements.register_enterprise(command_context(), **body), 201)


@blp.route("/enterprises/<uuid:enterprise_id>")
class EnterpriseById(MethodView):
    @blp.response(200, EnterpriseSchema)
    @_alt
    def get(self, enterprise_id: UUID) -> Any:
        """One enterprise as its event store knows it now."""
        current_actor()
        enterprise = container().placements.get_enterprise(enterprise_id)
        return {
            "id": enterprise.id,
            "name": enterprise.name,
            "registration_number": enterprise.registration_number,
            "version": enterprise.version,
        }


@blp.route("/enterprises/<uuid:enterprise_id>/centres")
class EnterpriseCentres(MethodView):
    @blp.arguments(OpenCentreRequest)
    @blp.response(201, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], enterprise_id: UUID) -> Any:
        """Open a training centre of this enterprise (admins, the enterprise's own mentors)."""
        result = container().placements.open_centre(command_context(), enterprise_id=enterprise_id, **body)
        return accepted(result, 201)


@blp.route("/centres/<uuid:centre_id>/capacity")
class CentreCapacity(MethodView):
    @blp.arguments(ChangeCapacityRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def put(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Change the centre's capacity. Send If-Match with the version you saw to avoid lost updates."""
        result = container().placements.change_centre_capacity(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/mentors")
class CentreMentors(MethodView):
    @blp.arguments(AssignMentorRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Assign a mentor to the centre."""
        result = container().placements.assign_mentor(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/mentors/<string:mentor_id>/withdrawal")
class MentorWithdrawal(MethodView):
    @blp.arguments(WithdrawMentorRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID, mentor_id: str) -> Any:
        """Withdraw a mentor from the centre."""
        result = container().placements.withdraw_mentor(
            command_context(), centre_id, mentor_id=mentor_id, expected_version=expected_version(), **body
        )
        return accepted(result)


@blp.route("/centres/<uuid:centre_id>/closure")
class CentreClosure(MethodView):
    @blp.arguments(CloseCentreRequest)
    @blp.response(200, CommandAccepted)
    @_alt
    def post(self, body: dict[str, Any], centre_id: UUID) -> Any:
        """Close the centre (a reason is required)."""
        result = container().placements.close_centre(
            command_context(), centre_id, expected_version=expected_version(), **body
        )
        return accepted(result)

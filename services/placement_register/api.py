"""HTTP queries on the placement register: lists, one placement with its history, a student's placements."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError, FreshnessQuery
from contracts.http.placement_register import (
    CurrentPlacementSchema,
    PlacementFilter,
    PlacementSchema,
    PlacementWithHistorySchema,
)
from services.common.identity import Actor
from services.common.scope import Scope
from services.placement_register.views import PlacementRegisterView
from toolkit.http.context import current_actor, deployment
from toolkit.http.freshness import await_read_model
from toolkit.http.read_recording import record_read

blp = Blueprint(
    "placement_register", __name__, url_prefix="/api/v1",
    description="Placements as the placement register shows them (read model): each caller sees what is theirs "
    "— a coordinator their school's, a mentor their enterprise's, a student their own; admins and auditors all.",
)


def view() -> PlacementRegisterView:
    """The placement register read model's queries, from the deployment."""
    return deployment().view("placement_register")


def scope_of(actor: Actor) -> Scope:
    return Scope.of(actor)


@blp.route("/placements")
class Placements(MethodView):
    @blp.arguments(PlacementFilter, location="query")
    @blp.response(200, PlacementSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """List placements by school, centre, student, status and period (from/to); paginated (X-Pagination)."""
        ids = {k: str(filters[k]) if filters.get(k) else None for k in ("school_id", "centre_id", "student_id")}
        page = view().placements_matching(
            scope_of(current_actor()), status=filters.get("status"), period_from=filters.get("period_from"),
            period_to=filters.get("period_to"), page=pagination_parameters.page,
            page_size=pagination_parameters.page_size, **ids,
        )
        pagination_parameters.item_count = page.total
        return page.items


@blp.route("/placements/<uuid:placement_id>")
class PlacementById(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, PlacementWithHistorySchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], placement_id: UUID) -> Any:
        """One placement with its approvals and its history (every event: what, when, who, why); wait_for: a
        command's wait_token, to see your own write."""
        register = view()
        await_read_model(register, query)
        placement = register.placement_with_history(scope_of(current_actor()), str(placement_id))
        record_read(placement["student_id"], "placement")
        return placement


@blp.route("/students/<uuid:student_id>/placements")
class StudentPlacements(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, PlacementSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """A student's placement history, oldest first (transfers keep the whole record)."""
        await_read_model(view(), query)
        placements = view().placements_of_student(scope_of(current_actor()), str(student_id))
        if placements:  # the scope filters rows: an empty list showed nothing of the student
            record_read(student_id, "placements")
        return placements


@blp.route("/students/<uuid:student_id>/current-placement")
class CurrentPlacement(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, CurrentPlacementSchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """Where the student is now (active or paused), else the next agreed placement; null when none."""
        await_read_model(view(), query)
        placement = view().current_placement(scope_of(current_actor()), str(student_id))
        if placement is not None:  # the scope filters rows: nothing shown, nothing read
            record_read(student_id, "current-placement")
        return {"placement": placement}

"""HTTP queries on the centres read model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.centres import (
    CentreFilter,
    CentreSchema,
    ExpectedOccupancyFilter,
    ExpectedWeekSchema,
    HoursDeliveredSchema,
    HoursFilter,
)
from contracts.http.common import ApiError, FreshnessQuery
from contracts.http.placement_register import (
    CapacityOverrideSchema,
    HostedStudentSchema,
    OccupancyFilter,
    OccupancySchema,
)
from services.centres.views import CentresView
from services.common.errors import NotAllowed
from services.common.identity import ENTERPRISE_SIDE, STUDENT_SIDE, Actor, Role
from toolkit.http.context import current_actor, deployment
from toolkit.http.freshness import await_read_model

blp = Blueprint(
    "centres",
    __name__,
    url_prefix="/api/v1",
    description="Training centres as they stand now (the centres read model; every authenticated user).",
)


def view() -> CentresView:
    """The centres read model's queries, from the deployment."""
    return deployment().view("centres")


@blp.route("/centres")
class Centres(MethodView):
    @blp.arguments(CentreFilter, location="query")
    @blp.response(200, CentreSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """List training centres, filtered by enterprise, status or speciality; paginated (X-Pagination)."""
        current_actor()
        enterprise_id = filters.get("enterprise_id")
        page = view().centres_matching(
            enterprise_id=str(enterprise_id) if enterprise_id else None,
            status=filters.get("status"),
            speciality=filters.get("speciality"),
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = page.total
        return [_with_mentor_names(c) for c in page.items]


@blp.route("/centres/<uuid:centre_id>")
class CentreById(MethodView):
    @blp.arguments(FreshnessQuery, location="query")
    @blp.response(200, CentreSchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], centre_id: Any) -> Any:
        """One training centre with its mentors (wait_for: a command's wait_token, to see your own write)."""
        current_actor()
        await_read_model(view(), query)
        return _with_mentor_names(view().centre_by_id(str(centre_id)))


def _with_mentor_names(centre: dict[str, Any]) -> dict[str, Any]:
    """A mentor's name is not on the topics (docs/published-fields.md): the placements application, which keeps it,
    names the centre's mentors (one assigned since the read model caught up and already withdrawn goes unnamed)."""
    if not centre["mentors"]:
        return centre
    names = deployment().app("placements").get_centre(UUID(centre["id"])).mentors
    return {**centre, "mentors": [{**m, "name": names.get(m["mentor_id"])} for m in centre["mentors"]]}


@blp.route("/centres/<uuid:centre_id>/hours-delivered")
class CentreHoursDelivered(MethodView):
    @blp.arguments(HoursFilter, location="query")
    @blp.response(200, HoursDeliveredSchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(403, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], centre_id: Any) -> Any:
        """Practice hours delivered at the centre per week and per competency, signed and not yet signed
        (staff of every kind and auditors; not students, since a small centre's figures are a person's)."""
        actor = current_actor()
        if actor.role in STUDENT_SIDE:
            raise NotAllowed("students read their own hours in their progress, not a centre's",
                             role=actor.role.value)
        await_read_model(view(), query)
        end = query.get("period_to") or deployment().today()
        start = query.get("period_from") or end - timedelta(weeks=12)
        if start > end or (end - start).days > 3 * 366:
            from werkzeug.exceptions import UnprocessableEntity

            raise UnprocessableEntity("ask for a period whose start is not after its end, of at most three years")
        return view().hours_delivered(str(centre_id), start, end)


@blp.route("/centres/<uuid:centre_id>/expected-occupancy")
class CentreExpectedOccupancy(MethodView):
    @blp.arguments(ExpectedOccupancyFilter, location="query")
    @blp.response(200, ExpectedWeekSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(403, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    @blp.alt_response(503, schema=ApiError, description="the read model did not reach wait_for in time")
    def get(self, query: dict[str, Any], centre_id: Any) -> Any:
        """Students expected per ISO week by the published rotation plans (distinct students an enterprise block
        puts at the centre that week) against capacity, with each plan's share; default from this week, 26 weeks
        on (staff of every kind and auditors; not students, like the hours delivered)."""
        actor = current_actor()
        if actor.role in STUDENT_SIDE:
            raise NotAllowed("a centre's expected occupancy is for staff and auditors", role=actor.role.value)
        await_read_model(view(), query)
        half_a_year = timedelta(weeks=26) - timedelta(days=1)
        start, end = query.get("period_from"), query.get("period_to")
        if start is None:
            start = end - half_a_year if end is not None else deployment().today()
        end = end or start + half_a_year
        if start > end or (end - start).days > 3 * 366:
            from werkzeug.exceptions import UnprocessableEntity

            raise UnprocessableEntity("ask for a period whose start is not after its end, of at most three years")
        return view().expected_occupancy(str(centre_id), start, end)


@blp.route("/centres/<uuid:centre_id>/occupancy")
class CentreOccupancy(MethodView):
    @blp.arguments(OccupancyFilter, location="query")
    @blp.response(200, OccupancySchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    def get(self, period: dict[str, Any], centre_id: Any) -> Any:
        """Places held per week (agreed, active and paused placements) against capacity, between from and to."""
        current_actor()
        if (period["period_to"] - period["period_from"]).days > 3 * 366:
            from werkzeug.exceptions import UnprocessableEntity

            raise UnprocessableEntity("ask for at most three years of weeks at a time")
        actor = current_actor()
        centres = view()
        occupancy = centres.occupancy_by_week(str(centre_id), period["period_from"], period["period_to"])
        if not _sees_who_is_hosted(actor, centres.centre_by_id(str(centre_id))):
            for week in occupancy["weeks"]:
                week["placements"] = []  # counts for everyone; which placements, for those who host them
        return occupancy


@blp.route("/centres/<uuid:centre_id>/students")
class CentreStudents(MethodView):
    @blp.response(200, HostedStudentSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(403, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    def get(self, centre_id: Any) -> Any:
        """The students hosted over time: each place held, by whom and for which period (admins, auditors and
        the enterprise's own mentors)."""
        return _view_of_who_is_hosted(str(centre_id)).students_hosted(str(centre_id))


@blp.route("/centres/<uuid:centre_id>/capacity-overrides")
class CentreCapacityOverrides(MethodView):
    @blp.response(200, CapacityOverrideSchema(many=True))
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(403, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    def get(self, centre_id: Any) -> Any:
        """Every place booked beyond capacity, with its justification and who gave it (admins, auditors and
        the enterprise's own mentors)."""
        return _view_of_who_is_hosted(str(centre_id)).capacity_overrides(str(centre_id))


def _sees_who_is_hosted(actor: Actor, centre: dict[str, Any]) -> bool:
    """Who holds a centre's places is the enterprise's business (and the auditors'); others see counts."""
    return actor.role in (Role.ADMIN, Role.AUDITOR) or (
        actor.role in ENTERPRISE_SIDE and actor.enterprise_id == centre["enterprise"]["id"])


def _view_of_who_is_hosted(centre_id: str) -> Any:
    """The centres view, once the caller is known to be allowed to see who holds the centre's places."""
    centres = view()
    actor, centre = current_actor(), centres.centre_by_id(centre_id)
    if not _sees_who_is_hosted(actor, centre):
        raise NotAllowed(f"{actor.role.value} {actor.subject} may not see who is hosted at centre {centre['id']}; "
                         "the placement register shows your own", role=actor.role.value)
    return centres

"""HTTP queries on the centres read model."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.centres import CentreFilter, CentreSchema
from contracts.http.common import ApiError
from dualtrack.web.context import container, current_actor

blp = Blueprint(
    "centres",
    __name__,
    url_prefix="/api/v1",
    description="Training centres as they stand now (the centres read model; every authenticated user).",
)


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
        page = container().centres_view.centres_matching(
            enterprise_id=str(enterprise_id) if enterprise_id else None,
            status=filters.get("status"),
            speciality=filters.get("speciality"),
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = page.total
        return page.items


@blp.route("/centres/<uuid:centre_id>")
class CentreById(MethodView):
    @blp.response(200, CentreSchema)
    @blp.alt_response(401, schema=ApiError)
    @blp.alt_response(404, schema=ApiError)
    def get(self, centre_id: Any) -> Any:
        """One training centre with its mentors."""
        current_actor()
        return container().centres_view.centre_by_id(str(centre_id))

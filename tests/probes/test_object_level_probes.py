"""Object-level probes: for every route with a student, placement, centre or audited aggregate id in its path (read
from the OpenAPI document, so a route added tomorrow is probed tomorrow), a caller of another tenant gets the same
answer for a real id of school A's student Liu Yang (placed at CRRC's rail base) as for an id that names nothing:
the same status and the same body but for the id. A 403 for one and a 404 for the other would tell them which ids
exist; a 2xx that differs would hand them another tenant's data (or let them change it). Only the centres' directory
(CENTRES_SEEN_BY_STAFF) answers them for a real id."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dualtrack.demo.world import person_id
from services.common.identity import Role
from tests.conftest import bearer
from tests.probes.routes import Route, demo_values, document, fresh_uuid, routes, sample
from tests.support.pages import PageSite

pytestmark = pytest.mark.api

TENANT_PARAMS = ("student_id", "placement_id", "centre_id", "aggregate_id")
"""The path parameters that name a tenant's object."""

CENTRES_SEEN_BY_STAFF = {
    "GET /api/v1/centres/{centre_id}",
    "GET /api/v1/centres/{centre_id}/calendar",
    "GET /api/v1/centres/{centre_id}/calendar.ics",
    "GET /api/v1/centres/{centre_id}/expected-occupancy",
    "GET /api/v1/centres/{centre_id}/hours-delivered",
}
"""Training centres are a directory every school and enterprise reads (where to place, how busy a centre is): a real
centre answers there for a caller of another tenant. A new route reading another tenant's object is a conscious
decision: it is listed here, or the probe fails."""


@pytest.fixture(scope="module")
def probed(site: PageSite) -> list[Route]:
    return [r for r in routes(document(site.app.test_client())) if set(r.names) & set(TENANT_PARAMS)]


OUTSIDERS = {
    # (role, handle, scope): callers of other tenants than Liu Yang's school (A) and host (CRRC)
    "coordinator of school B": (Role.COORDINATOR, "coordinator-huang", "school_id", 1),
    "teacher of school B": (Role.TEACHER, "teacher-lin", "school_id", 1),
    "mentor of Mindray": (Role.MENTOR, "mentor-sun", "enterprise_id", 2),
    "enterprise admin of Mindray": (Role.ENTERPRISE_ADMIN, "enterprise-admin-ma", "enterprise_id", 2),
    "student He Xiaoyu (school B)": (Role.STUDENT, "student-he", "student_id", 3),
}


def outsider(ids: Any, name: str) -> dict[str, str]:
    role, handle, scope, index = OUTSIDERS[name]
    of = {"school_id": ids.schools, "enterprise_id": ids.enterprises, "student_id": ids.students}[scope]
    return bearer(role, person_id(handle), **{scope: of[index]})


def ask(site: PageSite, route: Route, values: dict[str, Any], headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if route.body is not None:
        kwargs["json"] = sample(route.body)
    return site.app.test_client().open(route.url(values), method=route.method, **kwargs)


def said(answer: Any, ids: list[Any]) -> tuple[int, str]:
    """The answer as compared: its status and its body, the ids named in the path written <id>."""
    text = answer.get_data(as_text=True)
    try:
        body = json.loads(text)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body["error"].pop("correlation_id", None)
        text = json.dumps(body, sort_keys=True)
    except ValueError:
        pass
    for one in ids:
        text = text.replace(str(one), "<id>")
    return answer.status_code, re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_given_a_caller_of_another_tenant_when_they_name_a_real_object_of_school_a_then_the_answer_is_the_unknown_ids(
        site: PageSite, probed: list[Route], caller: str) -> None:
    real, headers = demo_values(site.ids), outsider(site.ids, caller)
    differing, compared = [], 0
    for route in probed:
        unknown = {**real, **{name: fresh_uuid() for name in TENANT_PARAMS}}
        named = [real[n] for n in TENANT_PARAMS] + [unknown[n] for n in TENANT_PARAMS]
        for_real = said(ask(site, route, real, headers), named)
        for_unknown = said(ask(site, route, unknown, headers), named)
        compared += 1
        if for_real != for_unknown and not (for_real[0] < 300 and str(route) in CENTRES_SEEN_BY_STAFF):
            differing.append(f"{route}\n  real id:    {for_real[0]} {for_real[1][:400]}\n"
                             f"  unknown id: {for_unknown[0]} {for_unknown[1][:400]}")
    assert not differing, f"{caller} tells real ids from unknown ones:\n" + "\n".join(differing)
    assert compared >= 50, f"only {compared} of {len(probed)} routes were compared"


def test_given_the_openapi_document_then_the_object_level_probe_covers_the_routes_of_every_context(
        probed: list[Route]) -> None:
    prefixes = {r.path.split("/")[3] for r in probed}
    assert {"students", "centres", "placements", "audit"} <= prefixes, prefixes
    assert len(probed) >= 50, len(probed)
    assert any(r.command for r in probed) and any(not r.command for r in probed)

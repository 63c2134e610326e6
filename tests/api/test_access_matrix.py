"""Every centres route against every role: who may, who may not."""

from __future__ import annotations

import pytest

from services.common.identity import Role
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")


@pytest.fixture
def world(client):
    own = client.post("/api/v1/enterprises", json={"name": "Own"}, headers=ADMIN).json["id"]
    other = client.post("/api/v1/enterprises", json={"name": "Other"}, headers=ADMIN).json["id"]
    centre = client.post(f"/api/v1/enterprises/{own}/centres", headers=ADMIN, json={
        "name": "W", "address": "A", "capacity": 5, "specialities": ["x"]}).json["id"]
    client.post(f"/api/v1/centres/{centre}/mentors", json={"mentor_id": "m-0", "name": "Zero"}, headers=ADMIN)
    return {"own": own, "other": other, "centre": centre}


CALLERS = {
    "admin": lambda w: bearer(Role.ADMIN, "admin-2"),
    "mentor of the enterprise": lambda w: bearer(Role.MENTOR, "m-own", enterprise_id=w["own"]),
    "mentor of another enterprise": lambda w: bearer(Role.MENTOR, "m-other", enterprise_id=w["other"]),
    "enterprise admin of the enterprise": lambda w: bearer(Role.ENTERPRISE_ADMIN, "ea-own", enterprise_id=w["own"]),
    "enterprise admin of another enterprise": lambda w: bearer(Role.ENTERPRISE_ADMIN, "ea-other",
                                                               enterprise_id=w["other"]),
    "coordinator": lambda w: bearer(Role.COORDINATOR, "co", school_id="school-1"),
    "auditor": lambda w: bearer(Role.AUDITOR, "aud"),
    "student": lambda w: bearer(Role.STUDENT, "st", student_id="st"),
    "guardian": lambda w: bearer(Role.GUARDIAN, "gu", student_id="st"),
}

ROUTES = {
    "register enterprise": ("post", lambda w: "/api/v1/enterprises", {"name": "New"}),
    "open centre": ("post", lambda w: f"/api/v1/enterprises/{w['own']}/centres",
                    {"name": "N", "address": "A", "capacity": 2, "specialities": ["x"]}),
    "change capacity": ("put", lambda w: f"/api/v1/centres/{w['centre']}/capacity", {"capacity": 9}),
    "assign mentor": ("post", lambda w: f"/api/v1/centres/{w['centre']}/mentors", {"mentor_id": "m-9", "name": "N"}),
    "withdraw mentor": ("post", lambda w: f"/api/v1/centres/{w['centre']}/mentors/m-0/withdrawal", {}),
    "close centre": ("post", lambda w: f"/api/v1/centres/{w['centre']}/closure", {"reason": "r"}),
}

ALLOWED = {
    "register enterprise": {"admin"},
    # The enterprise's side is run by its enterprise admins (and admins); its mentors mentor, they manage nothing.
    **{route: {"admin", "enterprise admin of the enterprise"} for route in ROUTES if route != "register enterprise"},
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_given_a_caller_and_a_command_route_then_only_the_allowed_ones_succeed(client, world, caller, route) -> None:
    method, path, body = ROUTES[route]
    before = client.container.placements.max_position()
    response = getattr(client, method)(path(world), json=body, headers=CALLERS[caller](world))
    if caller in ALLOWED[route]:
        assert response.status_code in (200, 201), response.json
        assert client.container.placements.max_position() == before + 1
    else:
        assert response.status_code == 403, response.json
        assert client.container.placements.max_position() == before


@pytest.mark.parametrize("caller", CALLERS)
def test_given_any_authenticated_caller_then_they_read_the_centres(client, world, caller) -> None:
    client.project()
    listing = client.get("/api/v1/centres", headers=CALLERS[caller](world))
    assert listing.status_code == 200 and [c["id"] for c in listing.json] == [world["centre"]]
    one = client.get(f"/api/v1/centres/{world['centre']}", headers=CALLERS[caller](world))
    assert one.status_code == 200 and one.json["mentors"][0]["name"] == "Zero"


def test_given_a_mentor_of_the_enterprise_when_they_assign_themself_to_its_centre_then_403_as_they_manage_nothing(
        client, world) -> None:
    before = client.container.placements.max_position()
    response = client.post(f"/api/v1/centres/{world['centre']}/mentors", json={"mentor_id": "m-own", "name": "Me"},
                           headers=CALLERS["mentor of the enterprise"](world))
    assert response.status_code == 403, response.json
    assert client.container.placements.max_position() == before


def test_given_an_enterprise_admin_when_they_assign_themself_mentor_then_409_no_self_grant_and_nothing_recorded(
        client, world) -> None:
    before = client.container.placements.max_position()
    response = client.post(f"/api/v1/centres/{world['centre']}/mentors", json={"mentor_id": "ea-own", "name": "Me"},
                           headers=CALLERS["enterprise admin of the enterprise"](world))
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "no-self-grant"
    assert client.container.placements.max_position() == before
    by_another = client.post(f"/api/v1/centres/{world['centre']}/mentors", json={"mentor_id": "ea-own", "name": "Me"},
                             headers=bearer(Role.ENTERPRISE_ADMIN, "ea-colleague", enterprise_id=world["own"]))
    assert by_another.status_code in (200, 201), by_another.json

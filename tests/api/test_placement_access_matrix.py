"""Every placement route against every kind of caller: who may, who may not (403, nothing recorded)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role
from tests.conftest import bearer, make_settings

pytestmark = pytest.mark.api

ADMIN = CommandContext(Actor("admin", Role.ADMIN), "setup")


class World:
    """Two schools, two enterprises (centres of the first, one with a mentor), a student of the first school (an adult
    enrolled with a guardian, Liu Jun)."""

    def __init__(self, tmp_path: Path) -> None:
        self.container = Container(make_settings(tmp_path / "var"))
        app = self.app = self.container.placements
        enterprise = app.register_enterprise(ADMIN, name="Own").id
        self.enterprise = str(enterprise)
        self.other_enterprise = str(app.register_enterprise(ADMIN, name="Other").id)
        self.centre = app.open_centre(ADMIN, enterprise_id=enterprise, name="A", address="a", capacity=5,
                                      specialities=["mech"]).id
        self.other_centre = app.open_centre(ADMIN, enterprise_id=enterprise, name="B", address="b", capacity=5,
                                            specialities=["mech"]).id
        app.assign_mentor(ADMIN, self.centre, mentor_id="m-own", name="Own Mentor")
        school = app.register_school(ADMIN, name="S", code="S").id
        self.school = str(school)
        self.other_school = str(app.register_school(ADMIN, name="T", code="T").id)
        self.student_id = app.enrol_student(ADMIN, school, name="Liu", major="mech", cohort=2024,
                                             enrolment_date=date(2024, 9, 1), date_of_birth=date(2005, 1, 1),
                                             guardian_name="Liu Jun", guardian_contact="liu.jun@family.example").id
        self.student = str(self.student_id)
        self.placement = ""

    def placement_in(self, state: str) -> None:
        """Bring a placement of the student to the state the route under test needs."""
        if state == "none":
            return
        app, s = self.app, self.student_id
        self.placement = app.propose_placement(ADMIN, s, centre_id=self.centre, start=date(2026, 3, 2),
                                               planned_end=date(2026, 10, 30), post="fitter",
                                               weekly_hours=40).placement_id
        if state == "proposed":
            return
        app.approve_placement_as_school(ADMIN, s, self.placement)
        app.approve_placement_as_enterprise(ADMIN, s, self.placement, mentor_id="m-own")
        app.confirm_placement(CommandContext(Actor("liu", Role.STUDENT, student_id=self.student), "x"), s, self.placement)
        if state == "agreed":
            return
        app.activate_placement(ADMIN, s, self.placement, on=date(2026, 3, 2))
        if state == "paused":
            app.pause_placement(ADMIN, s, self.placement, on=date(2026, 4, 1), reason="ill")


CALLERS: dict[str, Callable[[World], dict[str, str]]] = {
    "admin": lambda w: bearer(Role.ADMIN, "admin-2"),
    "coordinator of the school": lambda w: bearer(Role.COORDINATOR, "co", school_id=w.school),
    "coordinator of another school": lambda w: bearer(Role.COORDINATOR, "co2", school_id=w.other_school),
    "mentor of the enterprise": lambda w: bearer(Role.MENTOR, "m-own", enterprise_id=w.enterprise),
    "mentor of another enterprise": lambda w: bearer(Role.MENTOR, "m-x", enterprise_id=w.other_enterprise),
    "enterprise admin of the enterprise": lambda w: bearer(Role.ENTERPRISE_ADMIN, "ea-own", enterprise_id=w.enterprise),
    "enterprise admin of another enterprise": lambda w: bearer(Role.ENTERPRISE_ADMIN, "ea-x",
                                                               enterprise_id=w.other_enterprise),
    "the student": lambda w: bearer(Role.STUDENT, "liu", student_id=w.student),
    "a guardian of the student": lambda w: bearer(Role.GUARDIAN, "liu-jun", student_id=w.student),
    "another student": lambda w: bearer(Role.STUDENT, "zhou", student_id="someone-else"),
    "a guardian of another student": lambda w: bearer(Role.GUARDIAN, "zhou-lan", student_id="someone-else"),
    "auditor": lambda w: bearer(Role.AUDITOR, "aud"),
}

SCHOOL = {"admin", "coordinator of the school"}
MANAGERS = {"admin", "enterprise admin of the enterprise"}
"""Who approves for the enterprise, naming the mentor: its enterprise admins and admins, not its mentors."""
STAFF = SCHOOL | {"mentor of the enterprise", "enterprise admin of the enterprise"}
SPEAKS_FOR_THE_STUDENT = {"the student", "a guardian of the student"}

# route -> (state needed, path, body, who may)
ROUTES: dict[str, tuple[str, Callable[[World], str], Callable[[World], dict[str, Any]], set[str]]] = {
    "register school": ("none", lambda w: "/api/v1/schools", lambda w: {"name": "N", "code": "N"}, {"admin"}),
    "enrol student": ("none", lambda w: f"/api/v1/schools/{w.school}/students", lambda w: {
        "name": "Ma", "major": "mech", "cohort": 2024, "enrolment_date": "2024-09-01",
        "date_of_birth": "2005-02-02"}, SCHOOL),
    "propose": ("none", lambda w: f"/api/v1/students/{w.student}/placements", lambda w: {
        "centre_id": str(w.centre), "start": "2026-03-02", "planned_end": "2026-06-30", "post": "fitter",
        "weekly_hours": 40}, SCHOOL),
    "school approval": ("proposed", lambda w: f"{_p(w)}/school-approval", lambda w: {}, SCHOOL),
    "enterprise approval": ("proposed", lambda w: f"{_p(w)}/enterprise-approval", lambda w: {"mentor_id": "m-own"},
                            MANAGERS),
    "confirmation": ("proposed", lambda w: f"{_p(w)}/confirmation", lambda w: {}, SPEAKS_FOR_THE_STUDENT),
    "withdrawal": ("proposed", lambda w: f"{_p(w)}/withdrawal", lambda w: {"reason": "r"}, SCHOOL),
    "activation": ("agreed", lambda w: f"{_p(w)}/activation", lambda w: {"on": "2026-03-02"}, STAFF),
    "pause": ("active", lambda w: f"{_p(w)}/pause", lambda w: {"reason": "ill", "on": "2026-04-01"}, STAFF),
    "resumption": ("paused", lambda w: f"{_p(w)}/resumption", lambda w: {"on": "2026-04-10"}, STAFF),
    "stop": ("active", lambda w: f"{_p(w)}/stop", lambda w: {"on": "2026-05-01", "reason_code": "health"}, SCHOOL),
    "completion": ("active", lambda w: f"{_p(w)}/completion", lambda w: {"on": "2026-10-30"}, SCHOOL),
    "transfer": ("active", lambda w: f"{_p(w)}/transfer", lambda w: {
        "centre_id": str(w.other_centre), "on": "2026-06-01", "reason": "rotation"}, SCHOOL),
    "amendment": ("active", lambda w: f"{_p(w)}/amendment", lambda w: {
        "start": "2026-03-02", "planned_end": "2026-11-20", "post": "fitter", "weekly_hours": 36,
        "reason": "extended"}, SCHOOL),
}


def _p(w: World) -> str:
    return f"/api/v1/students/{w.student}/placements/{w.placement}"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_given_a_caller_and_a_placement_route_then_only_the_allowed_ones_succeed(
    tmp_path, app_for, route, caller
) -> None:
    state, path, body, allowed = ROUTES[route]
    world = World(tmp_path)
    world.placement_in(state)
    client = app_for(world.container).test_client()
    before = world.app.max_position()
    response = client.post(path(world), json=body(world), headers=CALLERS[caller](world))
    if caller in allowed:
        assert response.status_code in (200, 201), response.json
        assert world.app.max_position() > before
    else:
        assert response.status_code == 403, response.json
        assert world.app.max_position() == before
    world.container.close()


@pytest.mark.parametrize("caller", CALLERS)
def test_given_placements_in_the_register_then_each_caller_sees_only_theirs(tmp_path, app_for, caller) -> None:
    from dualtrack.bootstrap import PROJECTION_CLASSES

    world = World(tmp_path)
    world.placement_in("active")
    for name in PROJECTION_CLASSES:
        world.container.projector(name, embedded=True).catch_up()
    client = app_for(world.container).test_client()
    listing = client.get("/api/v1/placements", headers=CALLERS[caller](world))
    assert listing.status_code == 200
    sees = caller in {"admin", "auditor", "coordinator of the school", "mentor of the enterprise",
                      "enterprise admin of the enterprise", "the student", "a guardian of the student"}
    assert [p["id"] for p in listing.json] == ([world.placement] if sees else [])
    one = client.get(f"/api/v1/placements/{world.placement}", headers=CALLERS[caller](world))
    assert one.status_code == (200 if sees else 404)
    world.container.close()


@pytest.mark.parametrize("caller", CALLERS)
def test_given_a_hosted_student_then_who_holds_the_centres_places_is_shown_only_to_its_enterprise_and_auditors(
    tmp_path, app_for, caller
) -> None:
    from dualtrack.bootstrap import PROJECTION_CLASSES

    world = World(tmp_path)
    world.placement_in("active")
    for name in PROJECTION_CLASSES:
        world.container.projector(name, embedded=True).catch_up()
    client = app_for(world.container).test_client()
    headers = CALLERS[caller](world)
    sees = caller in {"admin", "auditor", "mentor of the enterprise", "enterprise admin of the enterprise"}
    hosted = client.get(f"/api/v1/centres/{world.centre}/students", headers=headers)
    assert hosted.status_code == (200 if sees else 403)
    overrides = client.get(f"/api/v1/centres/{world.centre}/capacity-overrides", headers=headers)
    assert overrides.status_code == (200 if sees else 403)
    weeks = client.get(f"/api/v1/centres/{world.centre}/occupancy?from=2026-03-02&to=2026-03-08", headers=headers)
    assert weeks.status_code == 200 and weeks.json["weeks"][0]["held"] == 1
    assert weeks.json["weeks"][0]["placements"] == ([world.placement] if sees else [])
    world.container.close()


# -- nobody names themself mentor; a guardian confirms with their own account ---------------------------------------
def test_given_an_enterprise_admin_when_approving_a_placement_naming_themself_mentor_then_409_no_self_grant(
    tmp_path, app_for
) -> None:
    world = World(tmp_path)
    world.placement_in("proposed")
    world.app.assign_mentor(ADMIN, world.centre, mentor_id="ea-own", name="Also A Mentor")
    client = app_for(world.container).test_client()
    before = world.app.max_position()
    himself = bearer(Role.ENTERPRISE_ADMIN, "ea-own", enterprise_id=world.enterprise)
    response = client.post(f"{_p(world)}/enterprise-approval", json={"mentor_id": "ea-own"}, headers=himself)
    assert response.status_code == 409, response.json
    assert (response.json["error"]["code"], world.app.max_position()) == ("no-self-grant", before)
    approved = client.post(f"{_p(world)}/enterprise-approval", json={"mentor_id": "m-own"}, headers=himself)
    assert approved.status_code == 200, approved.json
    world.container.close()


def test_given_a_student_when_confirming_as_guardian_then_403_and_their_guardians_own_confirmation_is_200(
    tmp_path, app_for
) -> None:
    world = World(tmp_path)
    world.placement_in("proposed")
    client = app_for(world.container).test_client()
    before = world.app.max_position()
    as_guardian = client.post(f"{_p(world)}/confirmation", json={"confirmed_by": "guardian", "guardian_name": "Liu Jun"},
                              headers=CALLERS["the student"](world))
    assert as_guardian.status_code == 403, as_guardian.json
    assert world.app.max_position() == before
    confirmed = client.post(f"{_p(world)}/confirmation", json={}, headers=CALLERS["a guardian of the student"](world))
    assert confirmed.status_code == 200, confirmed.json
    assert world.app.get_student(ADMIN, world.student_id).placements[world.placement].confirmed_by == "guardian"
    world.container.close()

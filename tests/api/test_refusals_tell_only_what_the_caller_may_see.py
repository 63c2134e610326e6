"""Refusals tell only what the caller may see (issue 18): a centre-capacity 409 names only the caller's own
placements, a student-of-another-school 409 names no school, a student id the caller may not see is refused as an
unknown one is, every authentication failure is one 401 text, and /readyz tells only admins why.

Two schools (A, B), one enterprise with a one-place workshop, a student of school A holding its place."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role
from tests.conftest import TEST_SECRET, bearer, make_settings
from tests.support.web import lent_app
from toolkit.http.context import NOT_AUTHENTICATED
from toolkit.http.keys import key_of_secret

pytestmark = pytest.mark.api

SETUP = CommandContext(Actor("admin", Role.ADMIN), "setup")
START, END = date(2026, 3, 2), date(2026, 6, 30)


class World:
    def __init__(self, container: Container) -> None:
        app = self.placements = container.placements
        enterprise = app.register_enterprise(SETUP, name="Haier").id
        self.workshop = str(app.open_centre(SETUP, enterprise_id=enterprise, name="Workshop", address="1 Road",
                                            capacity=1, specialities=["mech"]).id)
        app.assign_mentor(SETUP, UUID(self.workshop), mentor_id="m-1", name="Mentor")
        self.school_a = str(app.register_school(SETUP, name="A", code="A").id)
        self.school_b = str(app.register_school(SETUP, name="B", code="B").id)
        self.holder, self.a2, self.b1 = (self.enrol(s, n) for s, n in (
            (self.school_a, "Liu"), (self.school_a, "Zhou"), (self.school_b, "Wang")))
        self.held = self.agreed(self.holder)

    def enrol(self, school: str, name: str) -> str:
        return str(self.placements.enrol_student(SETUP, UUID(school), name=name, major="mech", cohort=2024,
                                                 enrolment_date=date(2024, 9, 1), date_of_birth=date(2005, 1, 1)).id)

    def agreed(self, student_id: str) -> str:
        app, student = self.placements, UUID(student_id)
        placement = app.propose_placement(SETUP, student, centre_id=UUID(self.workshop), start=START, planned_end=END,
                                          post="fitter", weekly_hours=40).placement_id
        app.approve_placement_as_school(SETUP, student, placement)
        app.approve_placement_as_enterprise(SETUP, student, placement, mentor_id="m-1")
        app.confirm_placement(CommandContext(Actor(student_id, Role.STUDENT, student_id=student_id), "c"), student,
                              placement)
        return str(placement)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    container = Container(make_settings(Path(tmp_path_factory.mktemp("refusals")) / "var"))
    try:
        built = World(container)
        with lent_app(container) as app:
            built.http = app.test_client()
            yield built
    finally:
        container.close()


def propose(world: Any, student: str, headers: dict[str, str]) -> Any:
    return world.http.post(f"/api/v1/students/{student}/placements", headers=headers, json={
        "centre_id": world.workshop, "start": START.isoformat(), "planned_end": END.isoformat(), "post": "fitter",
        "weekly_hours": 40})


def test_given_a_full_centre_when_school_b_proposes_there_then_the_409_counts_school_a_s_placement_without_naming_it(
        world: Any) -> None:
    answer = propose(world, world.b1, bearer(Role.COORDINATOR, "co-b", school_id=world.school_b))
    assert answer.status_code == 409 and answer.json["error"]["code"] == "centre-capacity"
    details = answer.json["error"]["details"]
    assert (details["conflicting_placements"], details["other_placements"]) == ([], 1)
    assert world.held not in answer.get_data(as_text=True) and world.holder not in answer.get_data(as_text=True)


def test_given_a_full_centre_when_school_a_or_an_admin_proposes_there_then_the_409_names_school_a_s_placement(
        world: Any) -> None:
    for headers in (bearer(Role.COORDINATOR, "co-a", school_id=world.school_a), bearer(Role.ADMIN, "admin-1")):
        details = propose(world, world.a2, headers).json["error"]["details"]
        assert (details["conflicting_placements"], details["other_placements"]) == ([world.held], 0)


def shown(answer: Any, student: str) -> str:
    """The answer's body as a caller compares it: the student's id and the request's correlation id left out."""
    body = answer.json
    if isinstance(body, dict) and "error" in body:
        body = {**body, "error": {k: v for k, v in body["error"].items() if k != "correlation_id"}}
    return json.dumps(body, sort_keys=True).replace(student, "<id>")


def test_given_a_coordinator_of_school_b_when_they_name_school_a_s_student_or_an_unknown_id_then_the_same_403(
        world: Any) -> None:
    coordinator, unknown = bearer(Role.COORDINATOR, "co-b", school_id=world.school_b), str(uuid4())
    for path in ("", "/logbook", "/progress", "/credit-account", "/calendar", "/reads", "/placements"):
        real = world.http.get(f"/api/v1/students/{world.holder}{path}", headers=coordinator)
        nobody = world.http.get(f"/api/v1/students/{unknown}{path}", headers=coordinator)
        assert real.status_code == nobody.status_code == (200 if path == "/placements" else 403), path
        assert shown(real, world.holder) == shown(nobody, unknown), path
        assert world.school_a not in real.get_data(as_text=True)
    assert world.http.get(f"/api/v1/students/{unknown}", headers=bearer(Role.ADMIN, "a")).status_code == 404, \
        "an admin may see every student: an unknown one is not found"


def _token(**changed: Any) -> str:
    key, now = key_of_secret(TEST_SECRET), int(time.time())
    claims = {"iss": "dualtrack", "aud": "dualtrack-api", "sub": "admin-1", "role": "admin", "jti": "j",
              "iat": now, "exp": now + 600, **changed}
    return jwt.encode(claims, changed.pop("secret", key.secret), algorithm="HS256", headers={"kid": key.kid})


def test_given_any_authentication_failure_then_the_401_says_the_same_and_never_the_token_library_s_reason(
        world: Any) -> None:
    now = int(time.time())
    sent = {"none": {}, "garbage": {"Authorization": "Bearer x.y.z"},
            "expired": {"Authorization": f"Bearer {_token(iat=now - 7200, exp=now - 3600)}"},
            "another audience": {"Authorization": f"Bearer {_token(aud='elsewhere')}"},
            "forged": {"Authorization": f"Bearer {_token(secret='forged-secret-of-at-least-32-bytes!!')}"}}
    answers = {what: world.http.post("/api/v1/enterprises", json={"name": "X"}, headers=h) for what, h in sent.items()}
    assert {(a.status_code, a.json["error"]["message"]) for a in answers.values()} == {(401, NOT_AUTHENTICATED)}
    assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers.values())
    said = " ".join(a.get_data(as_text=True) for a in answers.values()).lower()
    assert "expired" not in said and "signature" not in said and "audience" not in said


def test_given_readyz_then_only_an_admin_is_shown_the_checks_and_everyone_else_whether_it_is_ready(
        world: Any) -> None:
    anonymous = world.http.get("/readyz")
    coordinator = world.http.get("/readyz", headers=bearer(Role.COORDINATOR, "co-a", school_id=world.school_a))
    admin = world.http.get("/readyz", headers=bearer(Role.ADMIN, "admin-1"))
    assert anonymous.status_code == coordinator.status_code == admin.status_code == 200
    assert anonymous.json == coordinator.json == {"ready": True}
    assert admin.json["ready"] is True and "placements" in admin.json["checks"]["database"]["contexts"]

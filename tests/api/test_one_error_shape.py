"""One error shape for clients: every field problem is a 422 naming the field under `error.fields.<location>`
(whether a schema or a rule of the domain found it), a body that is not sent as JSON is a 415 naming the content
type, and a query parameter the route does not take is a 400 naming it — never silently ignored.
"""

from __future__ import annotations

import json
from uuid import UUID, uuid4

import pytest

from services.common.identity import Role
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")
MENTOR = bearer(Role.MENTOR, "m-wang", enterprise_id=str(uuid4()))
COORDINATOR_SCHOOL = str(uuid4())
COORDINATOR = bearer(Role.COORDINATOR, "c-li", school_id=COORDINATOR_SCHOOL)


def test_given_a_json_body_sent_without_its_content_type_then_415_names_the_content_type(client) -> None:
    answer = client.post("/api/v1/enterprises", data=json.dumps({"name": "Haier"}), headers=ADMIN,
                         content_type="text/plain")
    assert answer.status_code == 415
    error = answer.json["error"]
    assert error["code"] == "unsupported-media-type" and "text/plain" in error["message"]
    assert "Content-Type" in error["fields"]["headers"]


def test_given_practice_whose_end_is_before_its_start_then_422_names_the_end(client) -> None:
    answer = client.post(f"/api/v1/students/{uuid4()}/practice-entries", headers=MENTOR, json={
        "day": "2026-11-23", "start": "12:00", "end": "08:00", "competencies": ["M1"], "description": "assembly"})
    assert answer.status_code == 422
    assert "end" in answer.json["error"]["fields"]["json"]


def test_given_a_placement_planned_to_end_before_it_starts_then_422_names_the_planned_end(client) -> None:
    answer = client.post(f"/api/v1/students/{uuid4()}/placements", headers=COORDINATOR, json={
        "centre_id": str(uuid4()), "start": "2027-03-01", "planned_end": "2027-02-01", "post": "welder",
        "weekly_hours": 40})
    assert answer.status_code == 422
    assert "planned_end" in answer.json["error"]["fields"]["json"]


@pytest.mark.parametrize("path", ["/api/v1/placements?student_name=Liu", "/api/v1/centres?colour=red",
                                  f"/api/v1/students/{UUID(int=1)}/progress?wait=1"])  # ids alike on every xdist worker
def test_given_a_query_parameter_the_route_does_not_take_then_400_names_it(client, path: str) -> None:
    answer = client.get(path, headers=ADMIN)
    assert answer.status_code == 400
    name = path.split("?")[1].split("=")[0]
    assert name in answer.json["error"]["fields"]["query"]


def test_given_the_query_parameters_a_route_takes_then_they_are_answered(client) -> None:
    assert client.get("/api/v1/centres?page=1&page_size=5", headers=ADMIN).status_code == 200


def test_given_a_plan_whose_content_a_rule_of_the_domain_finds_wrong_then_the_field_is_named_like_a_schema_error(
        client) -> None:
    school = client.post("/api/v1/schools", headers=ADMIN, json={"name": "JVC", "code": "JVC"}).json["id"]
    coordinator = bearer(Role.COORDINATOR, "c-li", school_id=school)
    answer = client.post("/api/v1/rotation-plans", headers=coordinator, json={
        "school_id": school, "cohort": "2024", "title": "Winter", "content": {
            "term": {"start": "2027-03-01", "end": "2027-02-01"}, "groups": [], "blocks": []}})
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "invalid-input"
    assert error["fields"]["json"] == {error["details"]["field"]: [error["message"]]}

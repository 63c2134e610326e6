"""The audit's history, timeline and as-of routes over HTTP, on the demo world: their answers, who may read them
(auditors and admins everything; coordinators their school's students), and their refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, person_id
from dualtrack.web.app import create_app
from services.common.identity import Role
from services.training.domain import training_record_id
from tests.conftest import bearer
from tests.support.demo import Template, copy_of_template

pytestmark = pytest.mark.api

AUDITOR = bearer(Role.AUDITOR, "auditor-1")


class DemoApi:
    """The demo world once per module (every audit route only reads), and a client of its API."""

    def __init__(self, container: Container, ids: DemoIds) -> None:
        self.container, self.ids, self.http = container, ids, create_app(container).test_client()

    def get(self, path: str, headers: dict[str, str] | None = None, **query: Any) -> Any:
        return self.http.get(path, headers=AUDITOR if headers is None else headers, query_string=query)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sqlite_demo_template: Template) -> Iterator[DemoApi]:
    """A copy of the demo seeded once (tests/conftest.py), shared by the module's tests: they only read."""
    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("audit-api"))
    try:
        yield DemoApi(container, sqlite_demo_template.ids)
    finally:
        container.close()


def test_given_an_auditor_when_reading_liu_s_history_timeline_progress_and_a_centre_s_record_then_each_answers(
        api: DemoApi) -> None:
    liu, rail = api.ids.students[0], api.ids.centres[2]

    history = api.get(f"/api/v1/audit/aggregates/placements/{liu}/history", limit=5)
    timeline = api.get(f"/api/v1/audit/students/{liu}/timeline")
    progress = api.get(f"/api/v1/audit/students/{liu}/progress", on="2026-11-27")
    record = api.get(f"/api/v1/audit/centres/{rail}/record", on="2026-11-27")

    assert history.status_code == 200, history.json
    assert [e["version"] for e in history.json["events"]] == [1, 2, 3, 4, 5]
    assert history.json["next_from_version"] == 6 and history.json["events"][0]["state_before"] is None
    assert history.json["events"][1]["state_after"]["placements"][api.ids.placements[0]]["status"] == "proposed"
    assert timeline.status_code == 200 and timeline.json["items"][0]["type"] == "StudentEnrolled"
    assert {i["context"] for i in timeline.json["items"]} == {"placements", "training", "credentials", "schedules"}
    assert progress.status_code == 200, progress.json
    assert progress.json["on"] == "2026-11-27" and progress.json["progress"]["student_id"] == liu
    assert progress.json["progress"]["current_placement"]["placement_id"] == api.ids.placements[1]
    assert record.status_code == 200, record.json
    assert record.json["centre"]["name"] == "High-Speed Train Maintenance Base"
    assert [h["student_id"] for h in record.json["hosted_on_day"]] == [liu]
    assert (record.json["from"], record.json["to"]) == ("2026-10-30", "2026-12-25")
    assert record.json["hours_on_day"]["signed_hours"] == 3.0


def test_given_the_correction_of_liu_s_thursday_entry_when_her_friday_and_thursday_are_asked_as_known_before_it_and_today_then_the_hours_differ(
        api: DemoApi) -> None:
    liu = api.ids.students[0]
    items = api.get(f"/api/v1/audit/students/{liu}/timeline").json["items"]
    corrected = datetime.fromisoformat(next(i["recorded_at"] for i in items if i["type"] == "PracticeCorrected"))
    before = (corrected - timedelta(microseconds=1)).isoformat()

    def day(on: str, known_at: str | None = None) -> dict[str, Any]:
        query = {"on": on, **({"known_at": known_at} if known_at else {})}
        answer = api.get(f"/api/v1/audit/students/{liu}/progress", **query)
        assert answer.status_code == 200, answer.json
        return {k: answer.json["hours_on_day"][k] for k in ("signed_hours", "pending_hours", "rejected_hours")}

    assert day("2026-11-27", before) == {"signed_hours": 0.0, "pending_hours": 0.0, "rejected_hours": 0.0}
    assert day("2026-11-27") == {"signed_hours": 3.0, "pending_hours": 3.0, "rejected_hours": 0.0}
    assert day("2026-11-26", before) == {"signed_hours": 0.0, "pending_hours": 0.0, "rejected_hours": 3.0}
    assert day("2026-11-26") == {"signed_hours": 0.0, "pending_hours": 4.0, "rejected_hours": 0.0}


def test_given_a_moment_without_a_timezone_when_asked_as_known_then_it_is_taken_as_utc(api: DemoApi) -> None:
    answer = api.get(f"/api/v1/audit/students/{api.ids.students[0]}/progress", on="2026-11-27",
                     known_at="2099-01-01T00:00:00")

    assert answer.status_code == 200 and answer.json["known_at"] == "2099-01-01T00:00:00+00:00"


# -- who may read it --------------------------------------------------------------------------------------------
CALLERS = {
    "admin": lambda ids: bearer(Role.ADMIN, "admin-1"),
    "auditor": lambda ids: AUDITOR,
    "coordinator of her school": lambda ids: bearer(Role.COORDINATOR, person_id("coordinator-chen"),
                                                    school_id=ids.schools[0]),
    "coordinator of another school": lambda ids: bearer(Role.COORDINATOR, person_id("coordinator-huang"),
                                                        school_id=ids.schools[1]),
    "teacher of her school": lambda ids: bearer(Role.TEACHER, person_id("teacher-gao"), school_id=ids.schools[0]),
    "mentor of her enterprise": lambda ids: bearer(Role.MENTOR, person_id("mentor-zhao"),
                                                   enterprise_id=ids.enterprises[1]),
    "enterprise admin of her enterprise": lambda ids: bearer(Role.ENTERPRISE_ADMIN, person_id("enterprise-admin-qian"),
                                                             enterprise_id=ids.enterprises[1]),
    "enterprise admin of another enterprise": lambda ids: bearer(Role.ENTERPRISE_ADMIN,
                                                                 person_id("enterprise-admin-zhou"),
                                                                 enterprise_id=ids.enterprises[0]),
    "the student herself": lambda ids: bearer(Role.STUDENT, person_id("student-liu"), student_id=ids.students[0]),
    "a guardian of hers": lambda ids: bearer(Role.GUARDIAN, "guardian-of-liu", student_id=ids.students[0]),
    "a guardian of another student": lambda ids: bearer(Role.GUARDIAN, person_id("guardian-he"),
                                                        student_id=ids.students[3]),
    "nobody": lambda ids: {},
}
ROUTES = {
    "her student aggregate's history": lambda ids: f"/api/v1/audit/aggregates/placements/{ids.students[0]}/history",
    "her training record's history":
        lambda ids: f"/api/v1/audit/aggregates/training/{training_record_id(ids.students[0])}/history",
    "her school's rotation plan's history": lambda ids: f"/api/v1/audit/aggregates/schedules/{ids.plans[0]}/history",
    "a centre's history": lambda ids: f"/api/v1/audit/aggregates/placements/{ids.centres[2]}/history",
    "her timeline": lambda ids: f"/api/v1/audit/students/{ids.students[0]}/timeline",
    "her progress as of": lambda ids: f"/api/v1/audit/students/{ids.students[0]}/progress?on=2026-11-27",
    "a centre's record as of": lambda ids: f"/api/v1/audit/centres/{ids.centres[2]}/record?on=2026-11-27",
}
OF_HER_SCHOOL = {route for route in ROUTES if not route.startswith("a centre")}


def expected_status(caller: str, route: str) -> int:
    if caller == "nobody":
        return 401
    if caller in ("admin", "auditor") or (caller == "coordinator of her school" and route in OF_HER_SCHOOL):
        return 200
    return 403


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("caller", CALLERS)
def test_given_a_caller_when_reading_an_audit_route_then_only_auditors_admins_and_her_school_s_coordinators_may(
        api: DemoApi, caller: str, route: str) -> None:
    response = api.http.get(ROUTES[route](api.ids), headers=CALLERS[caller](api.ids))

    assert response.status_code == expected_status(caller, route), response.json
    if response.status_code == 403:
        assert response.json["error"]["code"] == "forbidden"


def test_given_a_coordinator_when_asking_for_a_student_that_does_not_exist_then_the_same_403_as_for_another_schools(
        api: DemoApi) -> None:
    coordinator, unknown = CALLERS["coordinator of another school"](api.ids), f"{'0' * 8}-0000-0000-0000-{'0' * 12}"
    liu = api.ids.students[0]

    nobody = api.get(f"/api/v1/audit/students/{unknown}/timeline", headers=coordinator)
    not_hers = api.get(f"/api/v1/audit/students/{liu}/timeline", headers=coordinator)

    assert nobody.status_code == not_hers.status_code == 403, "a coordinator is not told which student ids exist"
    assert nobody.json["error"]["message"].replace(unknown, "<id>") == \
        not_hers.json["error"]["message"].replace(liu, "<id>")


# -- what is unknown, and what is malformed -------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/api/v1/audit/aggregates/placements/00000000-0000-0000-0000-000000000007/history",
    "/api/v1/audit/aggregates/payroll/{liu}/history",
    "/api/v1/audit/students/00000000-0000-0000-0000-000000000007/timeline",
    "/api/v1/audit/students/00000000-0000-0000-0000-000000000007/progress",
    "/api/v1/audit/students/{centre}/progress",
    "/api/v1/audit/centres/00000000-0000-0000-0000-000000000007/record",
    "/api/v1/audit/centres/{liu}/record",
])
def test_given_an_unknown_id_or_context_when_audited_then_404(api: DemoApi, path: str) -> None:
    response = api.get(path.format(liu=api.ids.students[0], centre=api.ids.centres[0]))

    assert response.status_code == 404, response.json


def test_given_a_moment_before_the_student_was_enrolled_when_her_progress_is_asked_as_known_then_404(
        api: DemoApi) -> None:
    response = api.get(f"/api/v1/audit/students/{api.ids.students[0]}/progress", known_at="2000-01-01T00:00:00Z")

    assert response.status_code == 404 and "was not known at 2000-01-01" in response.json["error"]["message"]


@pytest.mark.parametrize("route, query, field", [
    ("progress", {"known_at": "yesterday"}, "known_at"),
    ("progress", {"known_at": "9999-12-31T23:00:00-05:00"}, "known_at"),
    ("progress", {"on": "2026-02-30"}, "on"),
    ("record", {"from": "2026-12-01", "to": "2026-11-01"}, None),
    ("record", {"from": "2020-01-01", "to": "2026-11-01"}, None),
    ("history", {"limit": 0}, "limit"),
    ("history", {"from_version": -1}, "from_version"),
])
def test_given_a_malformed_query_when_audited_then_422(api: DemoApi, route: str, query: dict[str, Any],
                                                       field: str | None) -> None:
    path = {"progress": f"/api/v1/audit/students/{api.ids.students[0]}/progress",
            "record": f"/api/v1/audit/centres/{api.ids.centres[2]}/record",
            "history": f"/api/v1/audit/aggregates/placements/{api.ids.students[0]}/history"}[route]

    response = api.get(path, **query)

    assert response.status_code == 422, response.json
    if field is not None:
        assert field in response.json["error"]["fields"]["query"]


def test_given_wu_hao_proposed_for_crrc_s_order_class_and_declined_when_his_timeline_is_read_then_both_are_in_it(
        api: DemoApi) -> None:
    wu_hao = api.ids.spring_cohort[0]

    items = api.get(f"/api/v1/audit/students/{wu_hao}/timeline").json["items"]

    orders = [i for i in items if i["context"] == "credentials" and "order class" in i["summary"]]
    assert [i["type"] for i in orders] == ["StudentsProposedForOrder", "StudentsDeclinedForOrder"]
    assert orders[0]["summary"].startswith("Students proposed for an order class: ")
    assert orders[1]["summary"].startswith("Students declined for an order class: ")

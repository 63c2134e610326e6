"""A placement's journey through HTTP, the relay, Kafka and the projectors, with the centres' occupancy
following each step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import Processes

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

ADMIN = bearer(Role.ADMIN, "admin")


def eventually(read: Callable[[], Any], expected: Callable[[Any], bool], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while not expected(value):
        assert time.monotonic() < deadline, f"timed out waiting for {what}; last seen: {value!r}"
        time.sleep(0.05)
        value = read()
    return value


def test_given_a_placement_proposed_approved_activated_paused_resumed_and_transferred_then_the_views_follow(
    e2e_settings, processes: Processes
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    http = create_app(container).test_client()
    processes.start("relay", "placements")
    processes.start("project", "centres")
    processes.start("project", "placement_register")

    def post(path: str, body: dict, headers: dict) -> dict:
        response = http.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), response.json
        return response.json

    def get(path: str, headers: dict = ADMIN) -> Any:
        response = http.get(f"/api/v1{path}", headers=headers)
        return response.json if response.status_code == 200 else None

    enterprise = post("/enterprises", {"name": "Haier"}, ADMIN)["id"]
    first = post(f"/enterprises/{enterprise}/centres", {"name": "Qingdao", "address": "1 Road", "capacity": 2,
                                                        "specialities": ["mechatronics"]}, ADMIN)["id"]
    second = post(f"/enterprises/{enterprise}/centres", {"name": "Hefei", "address": "2 Road", "capacity": 2,
                                                         "specialities": ["mechatronics"]}, ADMIN)["id"]
    for centre in (first, second):
        post(f"/centres/{centre}/mentors", {"mentor_id": "mentor-wang", "name": "Wang Fang"}, ADMIN)
    school = post("/schools", {"name": "Qingdao Technician College", "code": "QTC"}, ADMIN)["id"]
    coordinator = bearer(Role.COORDINATOR, "coordinator-chen", school_id=school)
    mentor = bearer(Role.MENTOR, "mentor-wang", enterprise_id=enterprise)
    enterprise_admin = bearer(Role.ENTERPRISE_ADMIN, "enterprise-admin-zhou", enterprise_id=enterprise)
    student = post(f"/schools/{school}/students", {"name": "Liu Yang", "major": "mechatronics", "cohort": 2024,
                                                   "enrolment_date": "2024-09-01", "date_of_birth": "2005-04-12"},
                   coordinator)["id"]
    me = bearer(Role.STUDENT, "liu", student_id=student)

    def weeks(centre: str) -> list[int]:
        occupancy = get(f"/centres/{centre}/occupancy?from=2026-03-02&to=2026-10-25")
        return [w["held"] for w in occupancy["weeks"]] if occupancy else []

    def status(placement: str) -> str | None:
        found = get(f"/placements/{placement}")
        return found["status"] if found else None

    placement = post(f"/students/{student}/placements", {
        "centre_id": first, "start": "2026-03-02", "planned_end": "2026-10-30", "post": "assembly technician",
        "weekly_hours": 40}, coordinator)["placement_id"]
    base = f"/students/{student}/placements/{placement}"
    assert eventually(lambda: status(placement), lambda s: s == "proposed", "the proposal") == "proposed"
    assert set(eventually(lambda: weeks(first), bool, "the centre in the centres view")) == {0}, \
        "a proposal holds no place yet"

    post(f"{base}/enterprise-approval", {"mentor_id": "mentor-wang"}, enterprise_admin)
    post(f"{base}/confirmation", {}, me)
    post(f"{base}/school-approval", {}, coordinator)
    eventually(lambda: status(placement), lambda s: s == "agreed", "the agreement")
    approvals = get(f"/placements/{placement}")["approvals"]
    assert approvals["school"] and approvals["enterprise"] and approvals["student"]
    assert set(eventually(lambda: weeks(first), lambda w: set(w) == {1}, "the first centre's place")) == {1}

    post(f"{base}/activation", {"on": "2026-03-02"}, coordinator)
    eventually(lambda: status(placement), lambda s: s == "active", "the activation")
    post(f"{base}/pause", {"on": "2026-04-06", "reason": "hand injury"}, mentor)
    eventually(lambda: status(placement), lambda s: s == "paused", "the pause")
    post(f"{base}/resumption", {"on": "2026-04-20"}, mentor)
    eventually(lambda: status(placement), lambda s: s == "active", "the resumption")

    moved = post(f"{base}/transfer", {"centre_id": second, "on": "2026-07-06", "reason": "rotation"},
                 coordinator)["placement_id"]
    moved_base = f"/students/{student}/placements/{moved}"
    post(f"{moved_base}/school-approval", {}, coordinator)
    post(f"{moved_base}/enterprise-approval", {"mentor_id": "mentor-wang"}, enterprise_admin)
    post(f"{moved_base}/confirmation", {}, me)
    eventually(lambda: status(moved), lambda s: s == "agreed", "the new placement's agreement")
    first_weeks = eventually(lambda: weeks(first), lambda w: w and w[-1] == 0, "the first centre's place freed")
    second_weeks = eventually(lambda: weeks(second), lambda w: w and w[-1] == 1, "the second centre's place")
    transfer_week = 18  # 2026-07-06 is the 19th Monday from 2026-03-02
    assert first_weeks[:transfer_week] == [1] * transfer_week and set(first_weeks[transfer_week:]) == {0}
    assert set(second_weeks[:transfer_week]) == {0} and set(second_weeks[transfer_week:]) == {1}

    assert status(placement) == "transferred"
    history = get(f"/students/{student}/placements", me)
    assert [p["id"] for p in history] == [placement, moved]
    assert history[1]["transferred_from"] == placement
    events = [h["event"] for h in get(f"/placements/{placement}")["history"]]
    assert events == ["PlacementProposed", "PlacementApprovedByEnterprise", "PlacementConfirmedByStudent",
                      "PlacementApprovedBySchool", "PlacementAgreed", "PlacementActivated", "PlacementPaused",
                      "PlacementResumed", "PlacementTransferred"]
    hosted = get(f"/centres/{second}/students")
    assert [h["student_id"] for h in hosted] == [student]
    container.close()

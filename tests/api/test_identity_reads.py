"""What the two new roles read in the demo world, signed in with the demo's own accounts: a guardian reads their
minor's records and nobody else's; an enterprise admin reads their enterprise's placements and hosted students,
not other enterprises', and not the schools' credit statements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from tests.support.demo import copy_of_template

pytestmark = pytest.mark.api


class Demo:
    def __init__(self, http: Any, ids: Any) -> None:
        self.http, self.ids = http, ids
        self.liu, self.he = ids.students[0], ids.students[3]

    def as_(self, handle: str, email: str) -> dict[str, str]:
        answer = self.http.post("/api/v1/auth/tokens", json={"login": email, "password": self.ids.sign_ins[handle]})
        assert answer.status_code == 201, answer.get_json()
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    def status(self, path: str, who: dict[str, str]) -> int:
        return self.http.get(path, headers=who).status_code


@pytest.fixture(scope="module")
def demo(sqlite_demo_template, tmp_path_factory, request) -> Iterator[Demo]:
    from tests.support.web import lent_app

    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("reads"))
    try:
        for name in PROJECTION_CLASSES:
            container.projector(name, embedded=True).catch_up()
        with lent_app(container) as app:
            yield Demo(app.test_client(), sqlite_demo_template.ids)
    finally:
        container.close()


def test_given_the_guardian_of_the_minor_then_they_read_her_records_and_nobody_elses(demo: Demo) -> None:
    guardian = demo.as_("guardian-he", "he.jianguo@family.example")
    for path in ("progress", "calendar", "logbook", "credit-account"):
        assert demo.status(f"/api/v1/students/{demo.he}/{path}", guardian) == 200, path
        assert demo.status(f"/api/v1/students/{demo.liu}/{path}", guardian) in (403, 404), path
    assert demo.http.get(f"/api/v1/students/{demo.he}/placements", headers=guardian).get_json()
    assert demo.http.get(f"/api/v1/students/{demo.liu}/placements", headers=guardian).get_json() == [], \
        "the register's rows are filtered by scope: none of Liu's"
    assert demo.http.get(f"/api/v1/students/{demo.he}/current-placement", headers=guardian).get_json()["placement"]
    assert demo.http.get(f"/api/v1/students/{demo.liu}/current-placement",
                         headers=guardian).get_json() == {"placement": None}
    register = demo.http.get("/api/v1/placements", headers=guardian).get_json()
    assert register and {p["student_id"] for p in register} == {demo.he}
    assert demo.status(f"/api/v1/centres/{demo.ids.centres[3]}/hours-delivered", guardian) == 403
    logged = demo.http.post(f"/api/v1/students/{demo.he}/practice-entries", headers=guardian, json={
        "placement_id": demo.ids.placements[5], "day": "2026-11-27", "start": "08:00", "end": "10:00",
        "competencies": ["ELE-01"], "description": "a guardian writing the logbook"})
    assert logged.status_code == 403, ("guardians confirm placements; they write no practice", logged.get_json())


def test_given_an_enterprise_admin_then_they_read_their_enterprises_placements_and_not_anothers(demo: Demo) -> None:
    qian = demo.as_("enterprise-admin-qian", "qian.bo@crrc.example")
    crrc = demo.ids.enterprises[1]
    register = demo.http.get("/api/v1/placements", headers=qian).get_json()
    assert register and {p["enterprise_id"] for p in register} == {crrc}
    rail = demo.ids.centres[2]
    assert demo.status(f"/api/v1/centres/{rail}/students", qian) == 200
    assert demo.status(f"/api/v1/centres/{demo.ids.centres[0]}/students", qian) == 403  # Haier's
    assert demo.status(f"/api/v1/students/{demo.he}/progress", qian) in (403, 404)  # at Mindray
    assert demo.status(f"/api/v1/students/{demo.liu}/credit-statement", qian) == 403

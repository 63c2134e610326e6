"""Every rotation-plan route against every kind of caller: who may, who may not (403, nothing recorded).

The world is built once per module through the applications' command handlers and copied (its SQLite files) for
each test, so every test starts from the same state and the whole matrix stays fast. Two plans of the school place
students at Haier's workshop (mentor m-wang): one published (revisions 1 and 2) with Liu Yang, one still a draft with
Ma Lin (mentors read published plans only). Zhou Min studies at the same school and is in no plan; CRRC's depot (mentor m-zhao) is in none either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Role
from tests.api.conftest import CopiedWorld, copy_of
from tests.conftest import bearer, make_settings
from tests.service.placement_world import TODAY
from tests.service.schedule_world import build_schedule_world

pytestmark = pytest.mark.api


@dataclass(frozen=True)
class Ids:
    """What the template world holds, by id."""

    school: str
    other_school: str
    haier: str
    crrc: str
    workshop: str
    """Haier's centre (mentor m-wang), where both plans place their student."""
    student: str
    """Liu Yang: in the published plan."""
    drafted_student: str
    """Ma Lin: in the draft."""
    other_student: str
    """Zhou Min: a student of the school in no plan."""
    published: str
    """Published, then revised (enterprise weeks of 36 hours): revisions 1 and 2."""
    draft: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ids]:
    data_dir = tmp_path_factory.mktemp("schedules-matrix") / "var"
    container = Container(make_settings(data_dir))
    sw = build_schedule_world(container)
    liu, ma = sw.placed("Liu Yang"), sw.placed("Ma Lin")
    zhou = sw.enrol("Zhou Min")
    published = sw.draft(sw.alternating([liu]))
    sw.publish(published)
    sw.revise(published, sw.alternating([liu], hours=36))
    draft = sw.draft(sw.alternating([ma]), title="Ma Lin, spring 2027")
    ids = Ids(school=str(sw.school), other_school=str(sw.other_school), haier=str(sw.haier), crrc=str(sw.crrc),
              workshop=str(sw.workshop),
              student=str(liu), drafted_student=str(ma), other_student=str(zhou), published=str(published),
              draft=str(draft))
    container.close()
    return data_dir, ids


World = CopiedWorld


@pytest.fixture
def world(template: tuple[Path, Ids], tmp_path: Path) -> Iterator[World]:
    source, ids = template
    with copy_of(source, tmp_path, ids, TODAY) as copied:
        yield copied


ADMIN = "admin"
COORDINATOR = "coordinator of the school"
OTHER_COORDINATOR = "coordinator of another school"
TEACHER = "teacher of the school"
MENTOR = "mentor of a centre the plans use"
OTHER_MENTOR = "mentor of another centre"
ENTERPRISE_ADMIN = "enterprise admin of the enterprise the plans use"
OTHER_ENTERPRISE_ADMIN = "enterprise admin of another enterprise"
STUDENT = "the student"
GUARDIAN = "a guardian of the student"
OTHER_STUDENT = "another student"
OTHER_GUARDIAN = "a guardian of another student"
AUDITOR = "auditor"

CALLERS: dict[str, Callable[[Ids], dict[str, str]]] = {
    ADMIN: lambda i: bearer(Role.ADMIN, "admin-2"),
    COORDINATOR: lambda i: bearer(Role.COORDINATOR, "coord-chen", school_id=i.school),
    OTHER_COORDINATOR: lambda i: bearer(Role.COORDINATOR, "coord-jinan", school_id=i.other_school),
    TEACHER: lambda i: bearer(Role.TEACHER, "teacher-li", school_id=i.school),
    MENTOR: lambda i: bearer(Role.MENTOR, "m-wang", enterprise_id=i.haier),
    OTHER_MENTOR: lambda i: bearer(Role.MENTOR, "m-zhao", enterprise_id=i.crrc),
    ENTERPRISE_ADMIN: lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-zhou", enterprise_id=i.haier),
    OTHER_ENTERPRISE_ADMIN: lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-qian", enterprise_id=i.crrc),
    STUDENT: lambda i: bearer(Role.STUDENT, "liu-yang", student_id=i.student),
    GUARDIAN: lambda i: bearer(Role.GUARDIAN, "liu-jun", student_id=i.student),
    OTHER_STUDENT: lambda i: bearer(Role.STUDENT, "zhou-min", student_id=i.other_student),
    OTHER_GUARDIAN: lambda i: bearer(Role.GUARDIAN, "zhou-lan", student_id=i.other_student),
    AUDITOR: lambda i: bearer(Role.AUDITOR, "auditor-1"),
}

EVERYONE = set(CALLERS)
PLANNERS = {ADMIN, COORDINATOR}
"""Draft, replace, publish and revise: the school's coordinators and admins."""
READERS = {ADMIN, AUDITOR, COORDINATOR, TEACHER, MENTOR}
"""Of a published plan: the school's staff, admins, auditors, and a mentor of a centre (of their enterprise) its
current revision places students at; drafts are the school's own. Students (and their guardians) read their
calendars (another read model), not plans; an enterprise admin is no mentor by being one (schedules/access.py)."""


def _plan(plan: str, path: str = "") -> str:
    return f"/api/v1/rotation-plans/{plan}{path}"


def _content(i: Ids, students: list[str], hours: int = 40) -> dict[str, Any]:
    """The plan's content as a client sends it: school, the workshop (29 March-23 April), school."""
    def block(block_id: str, kind: str, start: str, end: str) -> dict[str, Any]:
        at = [{"student_id": s, "centre_id": i.workshop} for s in students] if kind == "enterprise" else []
        return {"id": block_id, "group": "A", "kind": kind, "start": start, "end": end,
                "hours_per_week": hours if kind == "enterprise" else None, "assignments": at}

    return {"term": {"start": "2027-03-01", "end": "2027-05-23"},
            "calendar": {"holidays": [], "exam_weeks": []},
            "groups": [{"name": "A", "students": students}],
            "blocks": [block("A1", "school", "2027-03-01", "2027-03-26"),
                       block("A2", "enterprise", "2027-03-29", "2027-04-23"),
                       block("A3", "school", "2027-04-26", "2027-05-21")]}


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[Ids], str]
    allowed: set[str]
    json: Callable[[Ids], dict[str, Any]] | None = None


ROUTES: dict[str, Route] = {
    "list the plans": Route("get", lambda i: "/api/v1/rotation-plans", EVERYONE),
    "draft a plan by hand": Route(
        "post", lambda i: "/api/v1/rotation-plans", PLANNERS,
        json=lambda i: {"school_id": i.school, "cohort": "mechatronics-2024", "title": "Liu Yang, summer",
                        "content": _content(i, [i.student])}),
    "generate a plan from a pattern": Route(
        "post", lambda i: "/api/v1/rotation-plans/generated", PLANNERS,
        json=lambda i: {"school_id": i.school, "cohort": "mechatronics-2024", "title": "Generated", "pattern": {
            "start": "2027-03-01", "school_weeks": 2, "enterprise_weeks": 2, "cycles": 3, "groups": 1,
            "students": [i.student]}}),
    "read a plan": Route("get", lambda i: _plan(i.published), READERS),
    "replace a draft": Route("put", lambda i: _plan(i.draft, "/draft"), PLANNERS,
                             json=lambda i: {"content": _content(i, [i.drafted_student], hours=32)}),
    "check a plan": Route("get", lambda i: _plan(i.published, "/conflicts"), READERS),
    "publish a draft": Route("post", lambda i: _plan(i.draft, "/publication"), PLANNERS,
                             json=lambda i: {"overrides": []}),
    "revise a plan": Route("post", lambda i: _plan(i.published, "/revisions"), PLANNERS,
                           json=lambda i: {"content": _content(i, [i.student], hours=32),
                                                 "reason": "the workshop cut its shifts"}),
    "read the revisions": Route("get", lambda i: _plan(i.published, "/revisions"), READERS),
    "read a revision": Route("get", lambda i: _plan(i.published, "/revisions/2"), READERS),
    "read the changes": Route("get", lambda i: _plan(i.published, "/changes?from=1&to=2"), READERS),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_given_a_caller_and_a_rotation_plan_route_then_only_the_allowed_ones_succeed_and_refusals_record_nothing(
    world: World, route: str, caller: str
) -> None:
    spec, ids = ROUTES[route], world.ids
    headers = CALLERS[caller](ids)
    before = world.container.schedules.max_position()
    if spec.json is not None:
        response = getattr(world.client, spec.method)(spec.path(ids), json=spec.json(ids),
                                                      headers=headers)
    else:
        response = getattr(world.client, spec.method)(spec.path(ids), headers=headers)
    if caller in spec.allowed:
        assert response.status_code in (200, 201), response.json
        if spec.method != "get":
            assert world.container.schedules.max_position() > before
    else:
        assert response.status_code == 403, response.json
        assert response.json["error"]["code"] == "forbidden"
        assert world.container.schedules.max_position() == before


@pytest.mark.parametrize("caller, sees", [
    (ADMIN, {"published", "draft"}), (AUDITOR, {"published", "draft"}), (COORDINATOR, {"published", "draft"}),
    (TEACHER, {"published", "draft"}), (MENTOR, {"published"}), (OTHER_COORDINATOR, set()),
    (OTHER_MENTOR, set()), (ENTERPRISE_ADMIN, set()), (OTHER_ENTERPRISE_ADMIN, set()), (STUDENT, set()),
    (GUARDIAN, set()), (OTHER_STUDENT, set()), (OTHER_GUARDIAN, set()),
])
def test_given_a_published_plan_and_a_draft_when_a_caller_lists_the_plans_then_they_see_only_those_they_may_read(
    world: World, caller: str, sees: set[str]
) -> None:
    ids = world.ids
    names = {ids.published: "published", ids.draft: "draft"}
    for query in ("", f"?school_id={ids.school}"):
        response = world.client.get(f"/api/v1/rotation-plans{query}", headers=CALLERS[caller](ids))
        assert response.status_code == 200, response.json
        assert {names[p["id"]] for p in response.json} == sees
    by_id = {p["id"]: (p["status"], p["revision"]) for p in world.client.get(
        "/api/v1/rotation-plans", headers=CALLERS[ADMIN](ids)).json}
    assert by_id == {ids.published: ("published", 2), ids.draft: ("draft", 0)}


def test_given_plans_of_one_school_when_listed_for_another_school_then_nobody_sees_them_there(world: World) -> None:
    ids = world.ids
    for caller in (ADMIN, AUDITOR, OTHER_COORDINATOR):
        response = world.client.get(f"/api/v1/rotation-plans?school_id={ids.other_school}",
                                    headers=CALLERS[caller](ids))
        assert (response.status_code, response.json) == (200, [])


def test_given_a_draft_placing_a_student_at_the_workshop_when_its_mentor_reads_it_then_403_until_it_is_published(
    world: World
) -> None:
    ids, mentor = world.ids, CALLERS[MENTOR](world.ids)
    assert world.client.get(_plan(ids.draft), headers=mentor).status_code == 403
    assert world.client.get(_plan(ids.draft, "/conflicts"), headers=mentor).status_code == 403
    published = world.client.post(_plan(ids.draft, "/publication"), json={}, headers=CALLERS[COORDINATOR](ids))
    assert published.status_code == 200, published.json
    plan = world.client.get(_plan(ids.draft), headers=mentor)
    assert (plan.status_code, plan.json["status"]) == (200, "published")
    assert world.client.get(_plan(ids.draft), headers=CALLERS[OTHER_MENTOR](ids)).status_code == 403


def test_given_a_mentor_of_the_workshop_when_their_token_names_another_enterprise_then_they_read_no_plan(
    world: World
) -> None:
    ids = world.ids
    headers = bearer(Role.MENTOR, "m-wang", enterprise_id=ids.crrc)
    assert world.client.get(_plan(ids.published), headers=headers).status_code == 403
    assert world.client.get("/api/v1/rotation-plans", headers=headers).json == []

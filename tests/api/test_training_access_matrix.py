"""Every training and progress route against every kind of caller: who may, who may not (403, nothing recorded).

The world is built once per module through the applications' command handlers and copied (its SQLite files) for
each test, so every test starts from the same state and the whole matrix stays fast. The student studies at the
vocational school, whose rule set has dual sign-off, so a countersignature has something to countersign.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from services.common.identity import Role
from tests.api.conftest import CopiedWorld, copy_of
from tests.conftest import bearer, make_settings
from tests.service.placement_world import TODAY
from tests.service.training_world import MONDAY, build_training_world

pytestmark = pytest.mark.api

TUESDAY = MONDAY + timedelta(days=1)
THURSDAY = MONDAY + timedelta(days=3)


@dataclass(frozen=True)
class Ids:
    """What the template world holds, by id."""

    school: str
    """The student's school (vocational: dual sign-off)."""
    other_school: str
    haier: str
    crrc: str
    student: str
    other_student: str
    placement: str
    """Active at the workshop (mentor m-wang), with a training plan."""
    next_placement: str
    """Agreed, starting 2027-02-01, no plan yet."""
    draft: str
    """Pending: drafted by the student on MONDAY 08:00-12:00."""
    signed: str
    """Logged and signed by m-wang on TUESDAY 08:00-12:00: awaiting countersignature."""
    request: str
    """A coordinator's pending request to revise M2's target in the mechatronics catalogue."""


def _catch_up(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ids]:
    data_dir = tmp_path_factory.mktemp("training-matrix") / "var"
    container = Container(make_settings(data_dir))
    tw = build_training_world(container, workshop_capacity=3)
    w = tw.world
    line = w.app.open_centre(w.admin, enterprise_id=w.haier, name="Yantai Line", address="2 Haier Road",
                             capacity=2, specialities=["mechatronics"]).id
    w.app.assign_mentor(w.admin, line, mentor_id="m-sun", name="Sun Li")
    student, placement = tw.placed("Liu Yang", school=w.vocational_school)
    next_placement = w.agree(student, w.workshop, date(2027, 2, 1), date(2027, 6, 30))
    other_student = w.enrol("Zhou Min", school=w.vocational_school)
    draft = tw.log(student, MONDAY, by=w.student(student)).entry_id
    signed = tw.log(student, TUESDAY).entry_id
    tw.sign(student, signed)
    assert tw.entry(student, signed).status == "awaiting-countersignature"
    request = tw.training.request_catalogue_change(
        w.vocational_coordinator, "mechatronics", change="revise-target", code="M2", target_hours=90,
        effective_from=date(2027, 1, 1), reason="the PLC module grew").request_id
    _catch_up(container)
    ids = Ids(school=str(w.vocational_school), other_school=str(w.school), haier=str(w.haier), crrc=str(w.crrc),
              student=str(student), other_student=str(other_student), placement=placement,
              next_placement=next_placement, draft=draft, signed=signed, request=request)
    container.close()
    return data_dir, ids


World = CopiedWorld


@pytest.fixture
def world(template: tuple[Path, Ids], tmp_path: Path) -> Iterator[World]:
    source, ids = template
    with copy_of(source, tmp_path, ids, TODAY) as copied:
        yield copied


CALLERS: dict[str, Callable[[Ids], dict[str, str]]] = {
    "admin": lambda i: bearer(Role.ADMIN, "admin-2"),
    "coordinator of the student's school": lambda i: bearer(Role.COORDINATOR, "coord-huang", school_id=i.school),
    "coordinator of another school": lambda i: bearer(Role.COORDINATOR, "coord-chen", school_id=i.other_school),
    "teacher of the student's school": lambda i: bearer(Role.TEACHER, "teacher-li", school_id=i.school),
    "teacher of another school": lambda i: bearer(Role.TEACHER, "teacher-gao", school_id=i.other_school),
    "mentor assigned to the student's centre": lambda i: bearer(Role.MENTOR, "m-wang", enterprise_id=i.haier),
    "mentor of the same enterprise not assigned to the centre": lambda i: bearer(Role.MENTOR, "m-sun",
                                                                                  enterprise_id=i.haier),
    "mentor of another enterprise": lambda i: bearer(Role.MENTOR, "m-zhao", enterprise_id=i.crrc),
    "enterprise admin of the student's host": lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-zhou",
                                                               enterprise_id=i.haier),
    "enterprise admin of another enterprise": lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-qian", enterprise_id=i.crrc),
    "the student": lambda i: bearer(Role.STUDENT, "liu-yang", student_id=i.student),
    "a guardian of the student": lambda i: bearer(Role.GUARDIAN, "liu-jun", student_id=i.student),
    "another student": lambda i: bearer(Role.STUDENT, "zhou-min", student_id=i.other_student),
    "a guardian of another student": lambda i: bearer(Role.GUARDIAN, "zhou-lan", student_id=i.other_student),
    "auditor": lambda i: bearer(Role.AUDITOR, "auditor-1"),
}

ADMIN = "admin"
COORDINATOR = "coordinator of the student's school"
OTHER_COORDINATOR = "coordinator of another school"
TEACHER = "teacher of the student's school"
MENTOR = "mentor assigned to the student's centre"
SAME_ENTERPRISE_MENTOR = "mentor of the same enterprise not assigned to the centre"
OTHER_MENTOR = "mentor of another enterprise"
ENTERPRISE_ADMIN = "enterprise admin of the student's host"
STUDENT = "the student"
GUARDIAN = "a guardian of the student"
AUDITOR = "auditor"

SCHOOL = {TEACHER, COORDINATOR}
READERS = {ADMIN, AUDITOR, COORDINATOR, TEACHER, MENTOR, STUDENT, GUARDIAN}
"""A mentor reads a student's training while mentoring them: assigned to the centre the student is placed at; a
guardian reads what the student reads of their own records. An enterprise admin is no mentor by being one: the
logbook is not theirs (training/access.py require_may_read_training)."""


def _student(i: Ids) -> str:
    return f"/api/v1/students/{i.student}"


def _entry(i: Ids, entry: str, command: str) -> str:
    return f"{_student(i)}/practice-entries/{entry}/{command}"


def _batch(i: Ids) -> str:
    return ("student_id,date,start,end,competencies,description\n"
            f"{i.student},{date(2026, 11, 25)},08:00,12:00,M1;M2,fitted a conveyor drive\n")


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[Ids], str]
    allowed: set[str]
    json: Callable[[Ids], dict[str, Any]] | None = None
    csv: Callable[[Ids], str] | None = None
    refused_status: int = 403
    refused_status_of: dict[str, int] = field(default_factory=dict)
    """A caller refused otherwise: one who sees the student but not this (the route's own answer)."""


ROUTES: dict[str, Route] = {
    "define a competency": Route(
        "post", lambda i: "/api/v1/competency-catalogues/mechatronics/competencies", {ADMIN},
        json=lambda i: {"code": "M9", "title": "Hydraulics", "target_hours": 40, "scale": "percent",
                        "effective_from": "2027-01-01"}),
    "revise a competency's target": Route(
        "post", lambda i: "/api/v1/competency-catalogues/mechatronics/competencies/M1/target-revision", {ADMIN},
        json=lambda i: {"target_hours": 100, "effective_from": "2027-01-01", "reason": "new national standard"}),
    "retire a competency": Route(
        "post", lambda i: "/api/v1/competency-catalogues/mechatronics/competencies/M3/retirement", {ADMIN},
        json=lambda i: {"effective_from": "2027-01-01", "reason": "merged into M1"}),
    "request a catalogue change": Route(
        "post", lambda i: "/api/v1/competency-catalogues/mechatronics/change-requests",
        {ADMIN, COORDINATOR, OTHER_COORDINATOR},
        json=lambda i: {"change": "retire", "code": "M3", "effective_from": "2027-01-01", "reason": "merged into M1"}),
    "read a catalogue's change requests": Route(
        "get", lambda i: "/api/v1/competency-catalogues/mechatronics/change-requests",
        {ADMIN, AUDITOR, COORDINATOR, OTHER_COORDINATOR}),
    "approve a catalogue change": Route(
        "post", lambda i: f"/api/v1/competency-catalogues/mechatronics/change-requests/{i.request}/approval", {ADMIN},
        json=lambda i: {}),
    "reject a catalogue change": Route(
        "post", lambda i: f"/api/v1/competency-catalogues/mechatronics/change-requests/{i.request}/rejection",
        {ADMIN}, json=lambda i: {"reason": "one target for every school"}),
    "draw up a training plan": Route(
        "post", lambda i: f"{_student(i)}/placements/{i.next_placement}/training-plan", {ADMIN, COORDINATOR},
        json=lambda i: {}),
    "adjust a plan's target": Route(
        "put", lambda i: f"{_student(i)}/placements/{i.placement}/training-plan/targets/M1", {ADMIN, COORDINATOR},
        json=lambda i: {"target_hours": 99, "reason": "started with prior experience"}),
    "log practice": Route(
        "post", lambda i: f"{_student(i)}/practice-entries", {ADMIN, COORDINATOR, MENTOR, STUDENT},
        json=lambda i: {"day": THURSDAY.isoformat(), "start": "08:00", "end": "12:00", "competencies": ["M1"],
                        "description": "aligned a servo axis"}),
    "read the logbook": Route("get", lambda i: f"{_student(i)}/logbook", READERS),
    "sign off an entry": Route("post", lambda i: _entry(i, i.draft, "sign-off"), {MENTOR}, json=lambda i: {}),
    "countersign an entry": Route("post", lambda i: _entry(i, i.signed, "countersignature"), SCHOOL,
                                  json=lambda i: {}),
    "reject an entry": Route("post", lambda i: _entry(i, i.draft, "rejection"), SCHOOL | {MENTOR},
                             json=lambda i: {"reason": "the times do not match the shift plan"}),
    "correct an entry": Route(
        "post", lambda i: _entry(i, i.draft, "correction"), {ADMIN, COORDINATOR, TEACHER, MENTOR, STUDENT},
        json=lambda i: {"day": MONDAY.isoformat(), "start": "13:00", "end": "17:00", "competencies": ["M1"],
                        "description": "practice", "reason": "it was the afternoon shift"}),
    "log a CSV batch": Route("post", lambda i: "/api/v1/practice-entries/batch", {ADMIN, COORDINATOR, MENTOR, STUDENT},
                             csv=_batch),
    "assess a competency": Route(
        "post", lambda i: f"{_student(i)}/placements/{i.placement}/assessments", SCHOOL | {MENTOR},
        json=lambda i: {"competency": "M2", "result": 75, "evidence": "wired the test rig's PLC unaided"}),
    # Progress is a read model: what is not yours to see is refused as an unknown student is, 403 like every
    # refusal of a student the caller may not see ("not yours to see, or no such student": toolkit/http/sight.py).
    # An enterprise admin follows the progress of the students its enterprise hosts (as it reads their enrolment).
    # A mentor of the host who mentors elsewhere sees the student, not their progress: the view's own 404.
    "read progress": Route("get", lambda i: f"{_student(i)}/progress", READERS | {ENTERPRISE_ADMIN},
                           refused_status_of={SAME_ENTERPRISE_MENTOR: 404}),
    "read my sign-off queue": Route("get", lambda i: "/api/v1/mentors/me/sign-off-queue",
                                    {MENTOR, SAME_ENTERPRISE_MENTOR, OTHER_MENTOR}),
    "read the school's countersignature queue": Route(
        "get", lambda i: f"/api/v1/schools/{i.school}/countersignature-queue", {ADMIN, AUDITOR, COORDINATOR, TEACHER}),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_given_a_caller_and_a_training_route_then_only_the_allowed_ones_succeed_and_refusals_record_nothing(
    world: World, route: str, caller: str
) -> None:
    spec, ids = ROUTES[route], world.ids
    headers = CALLERS[caller](ids)
    before = world.container.training.max_position()
    if spec.csv is not None:
        response = world.client.post(spec.path(ids), data=spec.csv(ids), content_type="text/csv", headers=headers)
    elif spec.json is not None:
        response = getattr(world.client, spec.method)(spec.path(ids), json=spec.json(ids), headers=headers)
    else:
        response = getattr(world.client, spec.method)(spec.path(ids), headers=headers)
    if caller in spec.allowed:
        assert response.status_code in (200, 201), response.json
        if spec.method != "get":
            assert world.container.training.max_position() > before
    else:
        assert response.status_code == spec.refused_status_of.get(caller, spec.refused_status), response.json
        assert world.container.training.max_position() == before


@pytest.mark.parametrize("caller, sees", [
    (MENTOR, True), (SAME_ENTERPRISE_MENTOR, False), (OTHER_MENTOR, False),
])
def test_given_a_pending_draft_when_mentors_read_their_sign_off_queue_then_only_the_assigned_mentor_finds_it(
    world: World, caller: str, sees: bool
) -> None:
    response = world.client.get("/api/v1/mentors/me/sign-off-queue", headers=CALLERS[caller](world.ids))
    assert response.status_code == 200, response.json
    assert [e["entry_id"] for e in response.json] == ([world.ids.draft] if sees else [])


@pytest.mark.parametrize("caller", [ADMIN, AUDITOR, COORDINATOR, TEACHER])
def test_given_a_signed_entry_when_the_school_side_reads_the_countersignature_queue_then_it_is_there(
    world: World, caller: str
) -> None:
    response = world.client.get(f"/api/v1/schools/{world.ids.school}/countersignature-queue",
                                headers=CALLERS[caller](world.ids))
    assert response.status_code == 200, response.json
    assert [e["entry_id"] for e in response.json] == [world.ids.signed]


def test_given_an_auditor_when_they_read_the_logbook_and_progress_then_they_see_both_entries(world: World) -> None:
    headers = CALLERS[AUDITOR](world.ids)
    logbook = world.client.get(f"{_student(world.ids)}/logbook", headers=headers)
    assert logbook.status_code == 200
    assert {e["entry_id"] for e in logbook.json["entries"]} == {world.ids.draft, world.ids.signed}
    progress = world.client.get(f"{_student(world.ids)}/progress", headers=headers)
    assert progress.status_code == 200
    assert [e["entry_id"] for e in progress.json["pending_sign_offs"]] == [world.ids.draft]
    assert [e["entry_id"] for e in progress.json["awaiting_countersignature"]] == [world.ids.signed]

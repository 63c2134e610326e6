"""Read access is recorded: every read of a student's personal data by anyone but the student and their guardian
(auditors, coordinators, teachers, mentors, enterprise admins, admins) is an event of the audit context (who,
what, when); a refused read records nothing. A read that cannot be recorded is not answered (503). The list of
reads is served from the audit application to admins, auditors, the student themself and their guardians.
(Repeated reads within a window, one record with a count: tests/audit/test_read_coalescing.py.)

Every test runs on SQLite and on PostgreSQL (the seeded demo is parametrised), over the demo world: Liu
Yang (school QTC, coordinator Chen Jing) is placed at CRRC's rail base (mentor Zhao Min), holds the junior X-RTM award and
is in the published winter rotation plan. The demo itself records three reads of Liu's data, the coordinator's one
counting five reads, and its windows are over.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, person_id
from services.common.identity import Actor, CommandContext, Role
from tests.api.conftest import Client
from tests.conftest import bearer
from tests.support.demo import Seeded
from toolkit.cloudevents import CloudEventEncoder, decode

pytestmark = pytest.mark.stored

DEMO_READS = 3
"""Recorded reads of Liu's data in the demo (an auditor's two, and a coordinator's counting five reads)."""
DEMO_EVENTS = 5
"""The events of Liu's read log in the demo: opened, three reads and the coordinator's count."""

READS: dict[str, str] = {
    "enrolment": "/api/v1/students/{student}",
    "progress": "/api/v1/students/{student}/progress",
    "placements": "/api/v1/students/{student}/placements",
    "current-placement": "/api/v1/students/{student}/current-placement",
    "placement": "/api/v1/placements/{placement}",
    "logbook": "/api/v1/students/{student}/logbook",
    "calendar": "/api/v1/students/{student}/calendar",
    "calendar-feed": "/api/v1/students/{student}/calendar.ics",
    "eligibility": "/api/v1/students/{student}/eligibility?certificate=X-RTM&level=junior",
    "credit-account": "/api/v1/students/{student}/credit-account",
    "signed-credit-statement": "/api/v1/students/{student}/credit-statement/signed",
    "credit-statement": "/api/v1/students/{student}/credit-statement",
}
"""Every route that answers a student's personal data, by what its recorded read names."""


@dataclass
class World:
    container: Container
    client: Client
    ids: DemoIds

    @property
    def liu(self) -> str:
        return self.ids.students[0]

    def url(self, what: str, student: str | None = None) -> str:
        return READS[what].format(student=student or self.liu, placement=self.ids.placements[1])

    def reads(self, student: str | None = None) -> list[dict[str, Any]]:
        admin = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="test")
        return self.container.audit.reads_of(admin, student or self.liu, page_size=10_000)[1]

    def headers(self, caller: str) -> dict[str, str]:
        scopes = {
            "auditor": lambda: bearer(Role.AUDITOR, "auditor-1"),
            "coordinator": lambda: bearer(Role.COORDINATOR, person_id("coordinator-chen"), school_id=self.ids.schools[0]),
            "coordinator of another school": lambda: bearer(Role.COORDINATOR, person_id("coordinator-huang"),
                                                            school_id=self.ids.schools[1]),
            "the student": lambda: bearer(Role.STUDENT, person_id("student-liu"), student_id=self.liu),
            "another student": lambda: bearer(Role.STUDENT, "student-zhou", student_id=self.ids.students[1]),
            "the student's guardian": lambda: bearer(Role.GUARDIAN, "guardian-of-liu", student_id=self.liu),
            "another student's guardian": lambda: bearer(Role.GUARDIAN, person_id("guardian-he"),
                                                         student_id=self.ids.students[3]),
            "enterprise admin of her host": lambda: bearer(Role.ENTERPRISE_ADMIN, person_id("enterprise-admin-qian"),
                                                           enterprise_id=self.ids.enterprises[1]),
            "mentor": lambda: bearer(Role.MENTOR, person_id("mentor-zhao"), enterprise_id=self.ids.enterprises[1]),
            "teacher": lambda: bearer(Role.TEACHER, "teacher-song", school_id=self.ids.schools[0]),
            "admin": lambda: bearer(Role.ADMIN, "admin-1"),
        }
        return scopes[caller]()


@pytest.fixture
def world(seeded: Seeded, app_for: Any) -> Iterator[World]:
    """The demo seeded once per database kind (`seeded`, tests/conftest.py), copied for each test."""
    client = Client(seeded.container, app_for(seeded.container))
    client.project()
    yield World(seeded.container, client, seeded.ids)


# -- recorded: everyone but the student's side -------------------------------------------------------------
READERS = {"auditor": ("auditor-1", "auditor"), "coordinator": (person_id("coordinator-chen"), "coordinator"),
           "teacher": ("teacher-song", "teacher"), "mentor": (person_id("mentor-zhao"), "mentor"),
           "enterprise admin of her host": (person_id("enterprise-admin-qian"), "enterprise-admin"),
           "admin": ("admin-1", "admin")}
"""Readers whose reads are recorded, by the caller's name in World.headers: their subject and role."""


def test_given_anyone_but_the_students_side_when_they_read_a_students_personal_data_then_each_read_is_an_event_with_who_what_and_when(
        world: World) -> None:
    for caller, (subject, role) in READERS.items():  # one after another, on one copy of the demo
        start = len(world.reads())
        before = datetime.now(UTC)
        requests = {}
        for what in READS:
            answer = world.client.get(world.url(what),
                                      headers={**world.headers(caller), "X-Correlation-ID": f"c-{what}"})
            assert answer.status_code in (200, 403, 404), (caller, what, answer.get_data(as_text=True)[:300])
            if answer.status_code == 200:
                assert answer.headers["X-Client-Correlation-ID"] == f"c-{what}"
                requests[what] = answer.headers["X-Correlation-ID"]
        after = datetime.now(UTC)
        assert {"progress", "enrolment"} <= set(requests), (caller, "they did read the student's data")
        if caller in ("auditor", "coordinator", "admin"):
            assert set(requests) == set(READS), "their school's or everyone's: every route answers them"

        reads = world.reads()[start:]
        assert [r["what"] for r in reads] == list(requests), (caller, "every answered read is on record, in order")
        assert len(set(requests.values())) == len(requests), "the server makes an id of its own for each request"
        for read in reads:
            assert (read["read_by"], read["role"], read["times"]) == (subject, role, 1)
            assert read["correlation_id"] == requests[read["what"]] != f"c-{read['what']}"
            assert read["path"] == world.url(read["what"]).split("?")[0]
            assert before <= read["read_at"] == read["last_read_at"] <= after
        assert [r["number"] for r in reads] == list(range(start + 1, start + len(requests) + 1))


def test_given_recorded_reads_then_they_are_published_as_cloudevents_naming_who_read_what(world: World) -> None:
    answer = world.client.get(world.url("logbook"), headers={**world.headers("auditor"), "X-Correlation-ID": "corr-77"})
    audit = world.container.audit
    records = CloudEventEncoder(audit, "audit").encode_all(audit.notifications(1, 1000))
    events = [decode(r.headers, r.value) for r in records]
    assert events[0].type == "dualtrack.audit.ReadLogOpened.v1" and events[0].data == {"student_id": world.liu}
    last = events[-1]
    assert last.type == "dualtrack.audit.PersonalDataRead.v1"
    assert last.data == {"student_id": world.liu, "what": "logbook", "path": world.url("logbook")}
    assert (last.extensions["actor"], last.extensions["actorrole"]) == ("auditor-1", "auditor")
    assert last.extensions["correlationid"] == answer.headers["X-Correlation-ID"]  # the server's id, not the client's
    assert str(UUID(last.extensions["correlationid"])) == last.extensions["correlationid"]
    assert {e.subject for e in events} == {events[0].subject}, "one read log per student"
    counted = [e for e in events if e.type == "dualtrack.audit.PersonalDataReadRepeated.v1"]
    assert [(e.extensions["actorrole"], e.data["what"], e.data["times"]) for e in counted] == [
        ("coordinator", "progress", 5)], "the demo's coordinator read Liu's progress five times in one window"
    opening = next(e for e in events if e.id == f"{counted[0].subject}:{counted[0].data['read']}")
    assert opening.type == "dualtrack.audit.PersonalDataRead.v1" and opening.extensions["actorrole"] == "coordinator"


# -- not recorded: the student themself and their guardian; refused reads --------------------------------
def test_given_the_student_or_their_guardian_when_they_read_then_nothing_is_recorded(world: World) -> None:
    for caller in ("the student", "the student's guardian"):
        answered = [what for what in READS
                    if world.client.get(world.url(what), headers=world.headers(caller)).status_code == 200]
        assert {"progress", "logbook", "calendar"} <= set(answered), (caller, "they did read the student's data")
    assert len(world.reads()) == DEMO_READS


def test_given_a_coordinator_of_another_school_when_their_reads_are_refused_then_nothing_is_recorded(
        world: World) -> None:
    statuses = {what: world.client.get(world.url(what), headers=world.headers("coordinator of another school"))
                .status_code for what in READS}
    assert 403 in statuses.values(), statuses
    assert statuses["placements"] == 200, "the register shows them no row of the student: nothing was read"
    assert all(s in (200, 403, 404) for s in statuses.values()), statuses
    assert len(world.reads()) == DEMO_READS


def test_given_an_auditor_when_they_read_a_student_nobody_enrolled_then_the_404_records_nothing(world: World) -> None:
    nobody = str(uuid4())
    for what in ("enrolment", "logbook", "credit-account", "eligibility"):
        assert world.client.get(world.url(what, nobody), headers=world.headers("auditor")).status_code == 404
    assert world.container.audit.count_reads(nobody) == 0


# -- a read that cannot be recorded is not answered ----------------------------------------------------
def test_given_the_audit_store_refuses_writes_when_an_auditor_reads_then_the_answer_is_503_without_the_data(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(world.container.audit.recorder, "insert_events", broken)
    for what in ("progress", "credit-account", "calendar-feed"):
        answer = world.client.get(world.url(what), headers=world.headers("auditor"))
        assert answer.status_code == 503, what
        assert answer.json["error"]["code"] == "service-unavailable"
        assert "could not be recorded" in answer.json["error"]["message"]
        assert "balance" not in answer.get_data(as_text=True) and "BEGIN:VCALENDAR" not in answer.get_data(as_text=True)
    assert world.client.get(world.url("progress"), headers=world.headers("the student")).status_code == 200
    monkeypatch.undo()
    assert len(world.reads()) == DEMO_READS


def test_given_the_count_of_a_repeated_read_cannot_be_stored_when_the_reader_reads_again_then_the_answer_is_503(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert world.client.get(world.url("logbook"), headers=world.headers("teacher")).status_code == 200
    windows = world.container.audit.read_windows
    assert windows is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(windows, "repeat", broken)
    answer = world.client.get(world.url("logbook"), headers=world.headers("teacher"))
    assert answer.status_code == 503 and "entries" not in answer.get_data(as_text=True)
    monkeypatch.undo()
    assert world.client.get(world.url("logbook"), headers=world.headers("teacher")).status_code == 200
    assert [r["times"] for r in world.reads()[DEMO_READS:]] == [2], "the read refused is not counted"


# -- the list of reads ---------------------------------------------------------------------------------
def test_given_recorded_reads_when_auditors_admins_the_student_or_their_guardian_list_them_then_they_see_who_read_what_when(
        world: World) -> None:
    world.client.get(world.url("credit-statement"), headers=world.headers("coordinator"))
    auditor, coordinator = person_id("auditor-gao"), person_id("coordinator-chen")
    for caller in ("auditor", "admin", "the student", "the student's guardian"):
        answer = world.client.get(f"/api/v1/students/{world.liu}/reads", headers=world.headers(caller))
        assert answer.status_code == 200, caller
        assert [(r["number"], r["read_by"], r["role"], r["what"], r["times"]) for r in answer.json] == [
            (1, auditor, "auditor", "progress", 1), (2, coordinator, "coordinator", "progress", 5),
            (3, auditor, "auditor", "credit-account", 1), (4, coordinator, "coordinator", "credit-statement", 1)]
        coordinators = answer.json[1]
        assert coordinators["read_at"] <= coordinators["last_read_at"] <= answer.json[2]["read_at"]
        assert answer.json[3]["path"] == world.url("credit-statement")
        assert datetime.fromisoformat(answer.json[3]["read_at"]) >= datetime.fromisoformat(answer.json[2]["read_at"])
    assert len(world.reads()) == DEMO_READS + 1, "listing the reads is not itself recorded"

    page = world.client.get(f"/api/v1/students/{world.liu}/reads?page=2&page_size=3", headers=world.headers("auditor"))
    assert [r["number"] for r in page.json] == [4]
    assert '"total": 4' in page.headers["X-Pagination"]


def test_given_a_caller_other_than_auditors_admins_the_student_and_their_guardian_when_they_list_the_reads_then_403(
        world: World) -> None:
    for caller in ("coordinator", "mentor", "enterprise admin of her host", "teacher", "another student",
                   "another student's guardian"):
        answer = world.client.get(f"/api/v1/students/{world.liu}/reads", headers=world.headers(caller))
        assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden", caller


def test_given_a_student_nobody_enrolled_when_an_auditor_lists_their_reads_then_404(world: World) -> None:
    answer = world.client.get(f"/api/v1/students/{uuid4()}/reads", headers=world.headers("auditor"))
    assert answer.status_code == 404
    assert world.client.get(f"/api/v1/students/{world.ids.students[1]}/reads",
                            headers=world.headers("auditor")).json == []


# -- many readers at once --------------------------------------------------------------------------------
def at_once(*calls: Callable[[], object]) -> list[BaseException]:
    """Run the calls in threads of their own at the same time; what they raised."""
    failures: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=run, args=(call,)) for call in calls]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return failures


def test_given_many_concurrent_reads_of_one_student_from_two_api_processes_then_every_one_is_recorded_once_in_one_order(
        world: World) -> None:
    other_process = Container(world.container.settings)  # its own application over the same store
    apps = [world.container.audit, other_process.audit]
    threads, each = 4, 30  # past the snapshot interval: the log is loaded from a snapshot along the way

    def reader(n: int) -> None:
        ctx = CommandContext(Actor(f"auditor-{n}", Role.AUDITOR), correlation_id=f"t-{n}")
        for i in range(each):
            apps[n % 2].record_read(ctx, UUID(world.liu), what=f"progress-{i}", path="/p")

    try:
        failures = at_once(*(partial(reader, n) for n in range(threads)))
    finally:
        other_process.close()
    assert failures == []
    reads = world.reads()
    assert len(reads) == world.container.audit.count_reads(world.liu) == DEMO_READS + threads * each
    assert [r["number"] for r in reads] == list(range(1, len(reads) + 1))
    for n in range(threads):
        assert [r["what"] for r in reads if r["read_by"] == f"auditor-{n}"] == [f"progress-{i}" for i in range(each)]

"""Reads recorded without the bloat: repeated reads of the same thing by the same person within a window (15 minutes
by default) are one recorded read with a count. The first read is an event at once; the others only count; once the
window is over one more event records the count, so a window costs the student's read log at most two events. A
window nobody comes back to is listed with its count all the same. Two processes count and close windows without
losing or doubling a read, and a closer that died is relieved.

Every test runs on SQLite and on PostgreSQL, over a copy of the demo world (Liu Yang, coordinator Chen Jing, mentor
Zhao Min), with the audit application's windows on a clock the test moves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, person_id
from events.audit import PersonalDataRead, PersonalDataReadRepeated
from services.audit.read_log import read_log_id
from services.audit.read_windows import CLAIM_SECONDS, ReadWindows
from services.common.identity import Actor, CommandContext, Role
from tests.api.conftest import Client
from tests.audit.test_recorded_reads import at_once
from tests.conftest import bearer
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored

WINDOW = 15 * 60


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    container: Container
    client: Client
    ids: DemoIds
    clock: Clock

    @property
    def liu(self) -> str:
        return self.ids.students[0]

    def headers(self, who: str) -> dict[str, str]:
        return {"coordinator": lambda: bearer(Role.COORDINATOR, person_id("coordinator-chen"),
                                              school_id=self.ids.schools[0]),
                "mentor": lambda: bearer(Role.MENTOR, person_id("mentor-zhao"), enterprise_id=self.ids.enterprises[1]),
                "admin": lambda: bearer(Role.ADMIN, "admin-1"),
                "auditor": lambda: bearer(Role.AUDITOR, person_id("auditor-gao"))}[who]()

    def read(self, who: str, what: str = "progress") -> None:
        answer = self.client.get(f"/api/v1/students/{self.liu}/{what}", headers=self.headers(who))
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]

    def listed(self) -> list[dict[str, Any]]:
        """The reads of Liu's data as an auditor lists them."""
        answer = self.client.get(f"/api/v1/students/{self.liu}/reads?page_size=100", headers=self.headers("auditor"))
        assert answer.status_code == 200
        return list(answer.json)

    def log(self, student: str | None = None) -> list[Any]:
        """The events of the student's read log, as stored."""
        return list(self.container.audit.events.get(read_log_id(student or self.liu)))

    def windows(self, container: Container | None = None) -> ReadWindows:
        """A process's windows of reads on the test's clock."""
        c = container or self.container
        return ReadWindows(c.view_db, window=WINDOW, clock=self.clock)


@pytest.fixture
def world(seeded: Seeded, app_for: Any) -> Iterator[World]:
    client = Client(seeded.container, app_for(seeded.container))
    client.project()
    w = World(seeded.container, client, seeded.ids, Clock())
    seeded.container.audit.connect(read_windows=w.windows())
    yield w


def counts(log: list[Any]) -> list[tuple[str, str, int]]:
    return [(e.meta.role, e.what, e.times) for e in log if isinstance(e, PersonalDataReadRepeated)]


# -- the test ------------------------------------------------------------------------------------
def test_given_100_reads_by_one_coordinator_within_the_window_then_they_make_one_recorded_read_with_count_100_and_a_mentors_and_an_admins_reads_are_recorded(
        world: World) -> None:
    before, demo = len(world.log()), len(world.listed())
    for _ in range(100):
        world.read("coordinator")
        world.clock.now += 1
    world.read("mentor")
    world.read("admin")

    listed = world.listed()[demo:]
    assert [(r["role"], r["what"], r["times"]) for r in listed] == [
        ("coordinator", "progress", 100), ("mentor", "progress", 1), ("admin", "progress", 1)]
    assert [r["read_by"] for r in listed] == [person_id("coordinator-chen"), person_id("mentor-zhao"), "admin-1"]
    assert datetime.fromisoformat(listed[0]["last_read_at"]) > datetime.fromisoformat(listed[0]["read_at"])
    assert len(world.log()) - before == 3, "one event per reader so far: the coordinator's 99 other reads only count"

    world.clock.now += WINDOW  # every window is over; listing the reads records what they counted
    assert [(r["role"], r["times"]) for r in world.listed()[demo:]] == [("coordinator", 100), ("mentor", 1),
                                                                         ("admin", 1)]
    grown = world.log()[before:]
    assert len(grown) == 4, "the coordinator's 100 reads are two events: the first read, and the count"
    assert counts(grown) == [("coordinator", "progress", 100)]


def test_given_a_window_that_is_over_when_the_same_coordinator_reads_again_then_a_new_record_is_opened(
        world: World) -> None:
    demo = len(world.listed())
    world.read("coordinator")
    world.clock.now += WINDOW - 1
    world.read("coordinator")
    world.clock.now += 2  # the first window is over, 15 minutes after its first read
    world.read("coordinator")
    world.read("coordinator")

    listed = world.listed()[demo:]
    assert [(r["role"], r["times"], r["number"]) for r in listed] == [("coordinator", 2, demo + 1),
                                                                      ("coordinator", 2, demo + 2)]
    assert counts(world.log())[-1:] == [("coordinator", "progress", 2)], "the first window's count, recorded when the second opened"


def test_given_reads_of_different_things_or_by_different_people_then_each_is_a_record_of_its_own(world: World) -> None:
    demo = len(world.listed())
    for who, what in (("coordinator", "progress"), ("coordinator", "logbook"), ("mentor", "progress"),
                      ("coordinator", "progress"), ("mentor", "logbook"), ("mentor", "progress")):
        world.read(who, what)
    assert [(r["role"], r["what"], r["times"]) for r in world.listed()[demo:]] == [
        ("coordinator", "progress", 2), ("coordinator", "logbook", 1), ("mentor", "progress", 2),
        ("mentor", "logbook", 1)]


# -- a window nobody comes back to --------------------------------------------------------------------------
def test_given_a_window_nobody_comes_back_to_then_its_count_is_listed_and_a_periodic_tick_records_it(
        world: World) -> None:
    for _ in range(3):
        world.read("mentor")
    world.clock.now += 2 * WINDOW
    audit = world.container.audit
    admin = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="t")
    assert audit.count_reads(world.liu) == 4 and audit.reads_of_all(world.liu)[-1]["times"] == 3, \
        "before anything closed it, the list takes the count from the window"
    assert audit.close_windows_over() == 1, "the tick closes every student's windows that are over"
    assert counts(world.log())[-1:] == [("mentor", "progress", 3)]
    assert audit.close_windows_over() == 0
    assert audit.reads_of(admin, world.liu)[1][-1]["times"] == 3, "recorded once, listed once"


# -- several processes, and closers that die ----------------------------------------------------------------
def test_given_two_processes_counting_the_same_readers_reads_at_once_then_every_read_is_counted_once(
        world: World) -> None:
    other_process = Container(world.container.settings)
    other_process.audit.connect(read_windows=world.windows(other_process))
    apps, threads, each = [world.container.audit, other_process.audit], 4, 25

    def reader(n: int) -> None:
        ctx = CommandContext(Actor("auditor-x", Role.AUDITOR), correlation_id=f"t-{n}")
        for _ in range(each):
            apps[n % 2].record_read(ctx, world.liu, what="logbook", path="/l")

    try:
        assert at_once(*(partial(reader, n) for n in range(threads))) == []
        world.clock.now += WINDOW
        closed: list[int] = []
        assert at_once(*(partial(lambda app: closed.append(app.close_windows_over(world.liu)), app)
                         for app in apps)) == []
    finally:
        other_process.close()
    records = [r for r in world.container.audit.reads_of_all(world.liu) if r["read_by"] == "auditor-x"]
    assert sum(r["times"] for r in records) == threads * each, "no read lost, none counted twice"
    assert 1 <= len(records) <= threads, "at most one record per reader racing to open the window"
    opened = [e for e in world.log() if isinstance(e, PersonalDataRead) and e.meta.subject == "auditor-x"]
    assert len(opened) == len(records)
    assert sum(c[2] for c in counts(world.log()) if c[1] == "logbook") == sum(r["times"] for r in records if r["times"] > 1)
    assert sum(closed) == len(records), "each window closed by one process"


def test_given_a_closer_that_died_after_claiming_a_window_then_another_takes_it_over_after_a_while(
        world: World) -> None:
    for _ in range(4):
        world.read("coordinator")
    world.clock.now += WINDOW
    windows = world.container.audit.read_windows
    assert windows is not None
    [window] = windows.over(world.liu)
    assert windows.claim(window) is not None  # ... and the process died here
    assert world.container.audit.close_windows_over() == 0, "a claim is not taken over at once"
    assert world.listed()[-1]["times"] == 4, "listed with its count meanwhile"
    world.clock.now += CLAIM_SECONDS + 1
    assert world.container.audit.close_windows_over() == 1
    assert counts(world.log())[-1:] == [("coordinator", "progress", 4)]


def test_given_a_closer_that_died_after_recording_the_count_then_its_successor_does_not_record_it_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(6):
        world.read("mentor")
    world.clock.now += WINDOW
    windows = world.container.audit.read_windows
    assert windows is not None

    def died(*args: Any) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(windows, "closed", died)
    with pytest.raises(RuntimeError):
        world.container.audit.close_windows_over(world.liu)
    monkeypatch.undo()
    recorded = len(world.log())
    world.clock.now += CLAIM_SECONDS + 1
    assert world.container.audit.close_windows_over() == 1
    assert len(world.log()) == recorded and counts(world.log())[-1:] == [("mentor", "progress", 6)]
    assert windows.of(world.liu) == [], "the window's row is gone"
    assert world.listed()[-1]["times"] == 6


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf", "nan"])
def test_given_a_window_that_is_not_a_positive_number_of_seconds_then_the_deployment_refuses_to_start(value: str) -> None:
    from dualtrack.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="DUALTRACK_READ_WINDOW_SECONDS"):
        Settings.from_env({"DUALTRACK_READ_WINDOW_SECONDS": value})
    assert Settings.from_env({"DUALTRACK_READ_WINDOW_SECONDS": "60"}).read_window_seconds == 60

"""Streams that grow without bound, on SQLite and PostgreSQL: a student's and a centre's are snapshotted, so
loading them reads a snapshot and the events since; a student's read log and the publication register are
append-only logs, so appending to them reads only their last event.

A snapshot must give back exactly the state a full replay gives: every test compares the two.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from services.audit.read_log import read_log_id
from services.common.identity import Actor, CommandContext, Role
from services.common.snapshots import StateSnapshot
from services.placements.domain import Student, TrainingCentre
from services.training.domain import TrainingRecord, training_record_id
from tests.service.placement_world import World, build_world
from tests.service.training_world import MONDAY, build_training_world

pytestmark = pytest.mark.stored


def replayed(app: Any, aggregate_id: UUID) -> Any:
    """The aggregate rebuilt from every one of its events, ignoring snapshots."""
    aggregate = None
    for event in app.events.get(aggregate_id):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_given_a_student_with_more_events_than_the_snapshot_interval_when_loaded_then_it_comes_from_a_snapshot_and_equals_a_full_replay(
        container) -> None:
    world: World = build_world(container)
    student = world.enrol()
    for week in range(30):  # a proposal and a withdrawal each: 60 events after the enrolment
        start = date(2026, 3, 2)
        placement = world.propose(student, start=start, end=date(2026, 6, 30), post=f"post {week}")
        world.app.withdraw_placement(world.coordinator, student, placement, reason=f"plans changed {week}")
    world.agree(student)

    snapshots = list(world.app.snapshots.get(student))
    loaded = world.app.repository.get(student)

    assert snapshots and snapshots[-1].topic == get_topic(Student)
    assert type(snapshots[-1]) is StateSnapshot
    assert isinstance(loaded, Student) and loaded.version > snapshots[-1].originator_version >= 50
    assert vars(loaded) == vars(replayed(world.app, student))
    assert len(loaded.placements) == 31 and sum(p.status == "agreed" for p in loaded.placements.values()) == 1


def test_given_a_centre_with_more_events_than_the_snapshot_interval_when_loaded_then_it_comes_from_a_snapshot_and_equals_a_full_replay(
        container) -> None:
    world: World = build_world(container)
    manager = world.enterprise_admin(world.haier)
    for n in range(105):
        world.app.change_centre_capacity(manager, world.workshop, capacity=2 + n % 2, reason=f"rota {n}")
    student = world.enrol()
    world.agree(student)  # one place booked after the snapshot

    snapshots = list(world.app.snapshots.get(world.workshop))
    loaded = world.app.repository.get(world.workshop)

    assert snapshots and snapshots[-1].topic == get_topic(TrainingCentre)
    assert isinstance(loaded, TrainingCentre) and len(loaded.bookings) == 1
    assert vars(loaded) == vars(replayed(world.app, world.workshop))


def test_given_a_long_read_log_when_a_read_is_recorded_then_it_is_appended_after_the_last_one_and_listed_in_order(
        container) -> None:
    audit = container.audit
    student = "4b0c3a5e-2f0d-4a53-9a57-3c3d2f1f8e21"
    auditor = CommandContext(Actor("auditor-1", Role.AUDITOR), correlation_id="corr-a")
    for n in range(120):
        audit.record_read(auditor, student, what=f"progress {n}", path="/p")

    result = audit.record_read(auditor, UUID(student), what="logbook", path="/l")
    total, second_page = audit.reads_of(auditor, student, page=2, page_size=100)

    assert result is not None and result.id == read_log_id(student) and result.version == 122
    assert total == audit.count_reads(student) == 121
    assert [r["number"] for r in second_page] == list(range(101, 122))
    assert [r["what"] for r in second_page][-2:] == ["progress 119", "logbook"]


def test_given_a_coordinator_or_auditor_when_a_student_nobody_read_is_listed_then_no_reads_and_nothing_is_stored(
        container) -> None:
    audit = container.audit
    before = audit.max_position()
    auditor = CommandContext(Actor("auditor-1", Role.AUDITOR), correlation_id="corr-a")
    assert audit.reads_of(auditor, "7e0b7f1c-9f3e-4c1c-8d7a-0f5b2a6c9d10") == (0, [])
    assert audit.max_position() == before


def test_given_a_training_record_with_more_events_than_the_snapshot_interval_when_loaded_then_it_comes_from_a_snapshot_and_equals_a_full_replay(
        container) -> None:
    tw = build_training_world(container)
    student, _ = tw.placed()
    days = [MONDAY - timedelta(days=7) + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
    for day in days:  # eight one-hour entries a day, each signed: 160 events
        for hour in range(8, 16):
            entry = tw.log(student, day, f"{hour:02d}:00", f"{hour + 1:02d}:00", competencies=("M1", "M2"))
            tw.sign(student, entry.entry_id)

    record_id = training_record_id(str(student))
    snapshots = list(tw.training.snapshots.get(record_id))
    loaded = tw.training.repository.get(record_id)

    assert snapshots and snapshots[-1].topic == get_topic(TrainingRecord)
    assert isinstance(loaded, TrainingRecord) and len(loaded.entries) == 80
    assert vars(loaded) == vars(replayed(tw.training, record_id))

"""Bi-temporal views: a student's progress and a centre's record on a business date as known at a recorded time,
replayed from the event stores (SQLite and PostgreSQL).

The property: for random logbook histories with corrections, rejections and signatures, recorded under a clock the
test controls, every as-of answer (hours on a day and up to it, as known at a moment) is what a brute-force replay
of the training record's events recorded up to that moment gives. The replay the service does (only the
aggregates the answer depends on) is also checked against feeding the whole logs to the projection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds
from services.audit.as_of import CentreRecordAsOf, StudentProgressAsOf, now
from services.audit.history import EventLog
from services.audit.timeline import student_timeline
from services.centres.projection import CentresProjection
from services.centres.views import CentresView
from services.common.errors import DomainError, NotFound
from services.common.projection import Projection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase
from services.progress.projection import ProgressProjection
from services.progress.views import ProgressView
from services.training.domain import training_record_id
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world
from tests.support.demo import Seeded
from toolkit.cloudevents import CloudEventEncoder, ReceivedEvent, decode

pytestmark = pytest.mark.stored

UTC = UTC
STATUS_NAMES = {"signed": "signed_hours", "awaiting-countersignature": "awaiting_countersignature_hours",
                "pending": "pending_hours", "rejected": "rejected_hours"}
WEEK = [MONDAY + timedelta(days=i) for i in range(5)]
"""Monday 23 to Friday 27 November 2026: inside the placement and every edit window (today is 30 November)."""


class Clock:
    """Recorded time under the test's control: every event is recorded one second after the one before."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@contextmanager
def recorded_by(clock: Clock) -> Iterator[Clock]:
    with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
        yield clock


# -- brute force ----------------------------------------------------------------------------------------------
def record_known_at(container: Container, student: UUID, moment: datetime) -> Any:
    """The student's training record replayed straight from its events recorded up to the moment (None before)."""
    record = None
    for e in container.training.repository.event_store.get(training_record_id(str(student))):
        if e.timestamp <= moment:
            record = e.mutate(record)
    return record


def hours_by_status(entries: list[Any]) -> dict[str, float]:
    minutes = dict.fromkeys(STATUS_NAMES.values(), 0)
    for e in entries:
        minutes[STATUS_NAMES[e.status]] += e.current.minutes
    return {name: round(m / 60, 2) for name, m in minutes.items()}


def brute_force(record: Any, day: date) -> dict[str, Any]:
    entries = list(record.entries.values()) if record is not None else []
    on_day = [e for e in entries if e.current.day == day]
    return {
        "on_day": hours_by_status(on_day),
        "to_day": hours_by_status([e for e in entries if e.current.day <= day]),
        "entries": sorted((e.id, e.revision, e.status, e.current.start.strftime("%H:%M")) for e in on_day),
        "all": {k: v for k, v in hours_by_status(entries).items() if k != "rejected_hours"},
    }


def as_answered(answer: dict[str, Any]) -> dict[str, Any]:
    pick = list(STATUS_NAMES.values())
    progress = answer["progress"]
    return {
        "on_day": {k: answer["hours_on_day"][k] for k in pick},
        "to_day": {k: answer["hours_to_day"][k] for k in pick},
        "entries": sorted((e["entry_id"], e["revision"], e["status"], e["start"])
                          for e in answer["hours_on_day"]["entries"]),
        "all": {"signed_hours": progress["signed_hours"], "pending_hours": progress["pending_hours"],
                "awaiting_countersignature_hours": progress["awaiting_countersignature_hours"]},
    }


# -- random histories -----------------------------------------------------------------------------------------
slots = st.tuples(st.sampled_from(WEEK), st.integers(6, 15), st.integers(1, 4),
                  st.sets(st.sampled_from(["M1", "M2", "M3"]), min_size=1, max_size=2))
logging = st.tuples(st.just("log"), slots, st.sampled_from(["mentor", "student"]))
operations = st.one_of(
    logging,
    st.tuples(st.just("correct"), st.integers(0, 20), slots, st.sampled_from(["mentor", "teacher"])),
    st.tuples(st.just("sign"), st.integers(0, 20)),
    st.tuples(st.just("sign"), st.integers(0, 20)),
    st.tuples(st.just("reject"), st.integers(0, 20), st.sampled_from(["mentor", "teacher"])),
    st.tuples(st.just("countersign"), st.integers(0, 20)),
)
histories = st.builds(lambda first, then: first + then, st.lists(logging, min_size=1, max_size=4),
                      st.lists(operations, min_size=2, max_size=14))
"""A few entries logged, then anything: more entries, corrections, signatures, rejections, countersignatures."""


def run(w: TrainingWorld, student: UUID, school: UUID, ops: list[tuple[Any, ...]]) -> int:
    """Apply the operations as the people they name would; a command the rules refuse records nothing. Returns
    how many were accepted."""
    mentor, teacher = w.mentor(w.workshop), w.teacher(school)
    people = {"mentor": mentor, "teacher": teacher, "student": w.student(student)}
    entries: list[str] = []
    accepted = 0
    for op in ops:
        kind = op[0]
        try:
            if kind == "log":
                (day, hour, length, codes), who = op[1], op[2]
                entries.append(w.training.log_practice(
                    people[who], student, day=day, start=time(hour), end=time(hour + length),
                    competencies=sorted(codes), description="practice").entry_id)
            elif not entries:
                continue
            elif kind == "correct":
                entry, (day, hour, length, codes), who = entries[op[1] % len(entries)], op[2], op[3]
                w.training.correct_practice(people[who], student, entry, day=day, start=time(hour),
                                            end=time(hour + length), competencies=sorted(codes),
                                            description="corrected", reason="the logbook said otherwise")
            elif kind == "sign":
                w.training.sign_off_practice(mentor, student, entries[op[1] % len(entries)])
            elif kind == "reject":
                w.training.reject_practice(people[op[2]], student, entries[op[1] % len(entries)], reason="not so")
            elif kind == "countersign":
                w.training.countersign_practice(teacher, student, entries[op[1] % len(entries)])
            accepted += 1
        except DomainError:
            pass
    return accepted


def test_given_random_histories_with_corrections_when_asked_as_known_at_any_moment_then_every_answer_is_the_brute_force_replay(
        container: Container) -> None:
    w = build_training_world(container, workshop_capacity=10_000)
    clock = Clock(datetime(2031, 1, 1, tzinfo=UTC))
    checked = itertools.count()

    @given(ops=histories, vocational=st.booleans())
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def every_answer_is_the_brute_force_replay(ops: list[tuple[Any, ...]], vocational: bool) -> None:
        school = w.vocational_school if vocational else w.school
        with recorded_by(clock):
            student, _ = w.placed(school=school)
            accepted = run(w, student, school, ops)
        final = record_known_at(container, student, clock.now)
        event(f"accepted {min(accepted, 6)}+ of the operations")
        for status in sorted({e.status for e in final.entries.values()} if final else ()):
            event(f"an entry ends {status}")
        if final and any(e.revision > 1 for e in final.entries.values()):
            event("an entry was corrected")
        log = EventLog(container.apps())
        as_of = StudentProgressAsOf(log, student)
        recorded = sorted({e.timestamp for context, aggregate in (("placements", student),
                                                                  ("training", training_record_id(str(student))))
                           for e in log.events(context, aggregate)})
        moments = sorted({m for t in recorded for m in (t, t - timedelta(microseconds=1))} | {now()})
        enrolled = recorded[0]
        for moment in moments:
            record = record_known_at(container, student, moment)
            with as_of.known_at(moment) as known:
                for day in [WEEK[0] - timedelta(days=1), *WEEK, WEEK[-1] + timedelta(days=3)]:
                    if moment < enrolled:
                        with pytest.raises(NotFound):
                            known.on(day)
                        continue
                    assert as_answered(known.on(day)) == brute_force(record, day), (moment, day)
                    next(checked)

    every_answer_is_the_brute_force_replay()
    assert next(checked) > 500  # many (day, moment) pairs were compared, not a handful


# -- the classic example --------------------------------------------------------------------------------------
def test_given_hours_signed_for_23_november_and_corrected_later_when_asked_as_known_before_and_as_known_today_then_the_answers_differ(
        container: Container) -> None:
    w = build_training_world(container)
    with recorded_by(Clock(datetime(2026, 11, 23, 17, tzinfo=UTC))) as clock:
        student, _ = w.placed()
        entry = w.log(student, MONDAY, "08:00", "12:00", ["M1"]).entry_id
        w.sign(student, entry)
        signed_at = clock.now
        clock.now = datetime(2026, 11, 27, 9, tzinfo=UTC)
        w.training.correct_practice(w.teacher(), student, entry, day=MONDAY, start=time(8), end=time(10),
                                    competencies=["M1"], description="practice", reason="two hours were a break")
    as_of = StudentProgressAsOf(EventLog(container.apps()), student)

    before = as_of.answer(MONDAY, known_at=signed_at + timedelta(hours=1))
    today = as_of.answer(MONDAY, known_at=now())

    assert before["hours_on_day"]["signed_hours"] == 4.0 and before["hours_on_day"]["pending_hours"] == 0.0
    assert today["hours_on_day"]["signed_hours"] == 0.0 and today["hours_on_day"]["pending_hours"] == 2.0
    def entries(answer: dict[str, Any]) -> list[tuple[int, str, str]]:
        return [(e["revision"], e["status"], e["end"]) for e in answer["hours_on_day"]["entries"]]

    assert entries(before) == [(1, "signed", "12:00")] and entries(today) == [(2, "pending", "10:00")]
    assert (before["progress"]["signed_hours"], today["progress"]["signed_hours"]) == (4.0, 0.0)
    assert before["events_applied"] < today["events_applied"]


def test_given_a_student_when_asked_as_known_before_their_enrolment_then_they_were_not_known(
        container: Container) -> None:
    w = build_training_world(container)
    with recorded_by(Clock(datetime(2030, 1, 1, tzinfo=UTC))):
        student, _ = w.placed()
    with pytest.raises(NotFound, match="was not known at 2029"):
        StudentProgressAsOf(EventLog(container.apps()), student).answer(MONDAY, datetime(2029, 12, 31, tzinfo=UTC))


# -- replaying only what the answer depends on is replaying everything ------------------------------------------
def whole_log(container: Container, contexts: tuple[str, ...]) -> list[tuple[datetime, ReceivedEvent]]:
    """Every event of the contexts, as the embedded projector would receive them, with its recorded time."""
    found = []
    for context in contexts:
        app = container.app(context)
        encoder = CloudEventEncoder(app, context)
        for n in app.notifications(1, 100_000):
            r = encoder.encode(n)
            event = decode(r.headers, r.value, topic=context, offset=n.id - 1)
            found.append((datetime.fromisoformat(event.time), event))
    return found


@contextmanager
def everything_known_at(path: Path, projection: Projection, log: list[tuple[datetime, ReceivedEvent]],
                        moment: datetime) -> Iterator[ViewDatabase]:
    db = ViewDatabase(str(path))
    try:
        with db.transaction() as tx:
            projection.create_tables(tx)
            projection.apply_batch(tx, [e for t, e in sorted(log, key=lambda i: i[0]) if t <= moment])
        yield db
    finally:
        db.close()


@pytest.fixture
def demo_world(seeded: Seeded) -> Seeded:
    """The demo world, seeded once per database kind and copied for this test (tests/conftest.py)."""
    return seeded


def moments_of(container: Container, demo: DemoIds) -> list[datetime]:
    """Moments through the demo's history: every tenth event of Liu's timeline, and now."""
    items = student_timeline(EventLog(container.apps()), demo.students[0])["items"]
    return [datetime.fromisoformat(i["recorded_at"]) for i in items[::10]] + [now()]


def test_given_the_demo_when_each_student_is_asked_as_of_moments_through_its_history_then_the_scoped_replay_answers_as_the_whole_log_does(
        demo_world: Seeded, tmp_path: Path) -> None:
    container, demo = demo_world.container, demo_world.ids
    log = whole_log(container, ProgressProjection.contexts)
    events = EventLog(container.apps())
    scoped = {s: StudentProgressAsOf(events, s) for s in demo.students}
    for n, moment in enumerate(moments_of(container, demo)):
        with everything_known_at(tmp_path / f"progress-{n}.sqlite3", ProgressProjection(), log, moment) as db:
            for student, day in itertools.product(demo.students, (date(2026, 3, 10), date(2026, 11, 27))):
                try:
                    expected = ProgressView(db).student_progress(Scope(), student, day)
                except NotFound:
                    with pytest.raises(NotFound):
                        scoped[student].answer(day, moment)
                    continue
                assert scoped[student].answer(day, moment)["progress"] == expected


def test_given_the_demo_when_each_centre_is_asked_as_of_moments_through_its_history_then_the_scoped_replay_answers_as_the_whole_log_does(
        demo_world: Seeded, tmp_path: Path) -> None:
    container, demo = demo_world.container, demo_world.ids
    log = whole_log(container, CentresProjection.contexts)
    events = EventLog(container.apps())
    scoped = {c: CentreRecordAsOf(events, c) for c in demo.centres}
    day, start, end = date(2026, 11, 27), date(2026, 3, 1), date(2027, 6, 30)
    for n, moment in enumerate(moments_of(container, demo)):
        with everything_known_at(tmp_path / f"centres-{n}.sqlite3", CentresProjection(), log, moment) as db:
            view = CentresView(db)
            for centre in demo.centres:
                try:
                    expected = {"centre": view.centre_by_id(centre), "students_hosted": view.students_hosted(centre),
                                "occupancy": view.occupancy_by_week(centre, start, end),
                                "expected_occupancy": view.expected_occupancy(centre, start, end),
                                "hours_delivered": view.hours_delivered(centre, start, day)}
                except NotFound:
                    with pytest.raises(NotFound):
                        scoped[centre].answer(day, moment, start, end)
                    continue
                answer = scoped[centre].answer(day, moment, start, end)
                assert {k: answer[k] for k in expected} == expected


def test_given_liu_transferred_on_1_september_when_the_qingdao_centre_is_asked_about_october_as_known_before_and_after_the_transfer_then_she_was_hosted_only_before(
        demo_world: Seeded) -> None:
    container, demo = demo_world.container, demo_world.ids
    log = EventLog(container.apps())
    items = student_timeline(log, demo.students[0])["items"]
    transferred = next(datetime.fromisoformat(i["recorded_at"]) for i in items if i["type"] == "PlacementTransferred")
    qingdao = CentreRecordAsOf(log, demo.centres[0])

    before = qingdao.answer(date(2026, 10, 1), transferred - timedelta(microseconds=1))
    after = qingdao.answer(date(2026, 10, 1), now())

    assert [h["student_id"] for h in before["hosted_on_day"]] == [demo.students[0]]
    assert after["hosted_on_day"] == []
    assert before["events_applied"] < after["events_applied"]

"""The progress read model: where each student stands and what awaits whose signature, fed from the placements,
training and credentials event stores (embedded source), on SQLite and PostgreSQL.

The demo's training story (see dualtrack/demo/) is the fixed world: Liu's week at the rail base, He's entries
under dual sign-off. Properties check that the hours follow the training records whatever was logged, signed,
rejected or corrected, and that the view does not depend on how the three topics interleave.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.demo import DEMO_TODAY, MENTORS, DemoIds, person_id
from dualtrack.messaging.rebuild import rebuild, verify
from services.common.errors import DomainError, NotFound
from services.common.freshness import has_applied, parse_token
from services.common.identity import CommandContext
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase
from services.progress.projection import ProgressProjection
from services.progress.views import ProgressView
from tests.conftest import make_settings
from tests.service.placement_world import TODAY
from tests.service.training_world import (
    PLACEMENT_END,
    PLACEMENT_START,
    TrainingWorld,
    build_training_world,
)
from tests.support.demo import Seeded, Template, copy_of_template
from toolkit.cloudevents import (
    CloudEventEncoder,
    ReceivedEvent,
    decode,
    parse_time,
)

pytestmark = pytest.mark.projection


def catch_up_everything(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def catch_up_progress(container: Container) -> None:
    container.projector("progress", embedded=True).catch_up()


@pytest.fixture
def demo_world(seeded: Seeded) -> Seeded:
    """The demo world, seeded once per database kind and copied for this test (tests/conftest.py), projected."""
    catch_up_everything(seeded.container)
    return seeded


def entries_with_status(container: Container, admin: CommandContext, student: str, status: str) -> list[Any]:
    """The entries of a student's training record (the aggregate) in a status, by day and start."""
    record = container.training.get_training_record(admin, UUID(student))
    return sorted((e for e in record.entries.values() if e.status == status),
                  key=lambda e: (e.current.day, e.current.start))


def facts(entry: dict[str, Any]) -> tuple[str, str, str, list[str], float]:
    return entry["day"], entry["start"], entry["end"], entry["competencies"], entry["hours"]


# Liu's logbook at the rail base, as the demo writes it:
#   Mon 23  08-12  MEC-01            4 h  signed
#   Tue 24  08-12  MEC-01, MEC-03    4 h  signed                     (2 h each)
#   Wed 25  13-17  MEC-02            4 h  signed
#   Thu 26  08-11  MEC-02            3 h  rejected, corrected to Fri 27, signed
#   Fri 27  13-16  MEC-01            3 h  pending (Liu's own draft)
#   Mon  2  08-12  MEC-03            4 h  pending (back-filled by the coordinator)
#   Thu 26  08-12  MEC-01            4 h  pending (batch upload)
#   Tue 24  13-16  MEC-01, MEC-03    3 h  pending (batch upload)     (1.5 h each)
LIU_PENDING = [
    ("2026-11-02", "08:00", "12:00", ["MEC-03"], 4.0),
    ("2026-11-24", "13:00", "16:00", ["MEC-01", "MEC-03"], 3.0),
    ("2026-11-26", "08:00", "12:00", ["MEC-01"], 4.0),
    ("2026-11-27", "13:00", "16:00", ["MEC-01"], 3.0),
]


# -- the demo ------------------------------------------------------------------------------------------------------


def test_given_the_demo_when_liu_asks_for_progress_then_the_rail_placement_plan_hours_and_assessment_show(
    demo_world: Seeded, admin
) -> None:
    container, demo = demo_world.container, demo_world.ids
    liu = demo.students[0]
    progress = container.progress_view.student_progress(Scope(), liu, DEMO_TODAY)

    current = progress["current_placement"]
    assert (current["placement_id"], current["centre_id"], current["enterprise_id"]) == (
        demo.placements[1], demo.centres[2], demo.enterprises[1])
    assert (current["status"], current["mentor_id"], current["post"]) == ("active", person_id("mentor-zhao"), "bogie fitter")

    by_code = {c["code"]: c for c in progress["competencies"]}
    assert {code: (c["target_hours"], c["signed_hours"], c["pending_hours"]) for code, c in by_code.items()} == {
        "MEC-01": (160, 6.0, 8.5),  # the catalogue's target
        "MEC-02": (140, 7.0, 0.0),  # revised from 120 to 140 from 1 September, the placement's start
        "MEC-03": (24, 2.0, 5.5),  # adjusted in Liu's plan from 40 to 24
    }
    assert all(c["in_plan"] and c["awaiting_countersignature_hours"] == 0 for c in by_code.values())
    assert (progress["target_hours"], progress["signed_hours"], progress["pending_hours"],
            progress["awaiting_countersignature_hours"]) == (324, 15.0, 14.0, 0.0)

    assessment = by_code["MEC-01"]["assessment"]
    assert (assessment["enterprise"]["result"], assessment["enterprise"]["assessed_by"]) == (4.0, person_id("mentor-zhao"))
    assert (assessment["school"]["result"], assessment["school"]["assessed_by"]) == (3.0, person_id("teacher-gao"))
    assert assessment["combined"] == {"result": 3.0, "passed": True, "rule": "lower-of-both", "rule_set": "default"}
    assert by_code["MEC-02"]["assessment"] is None

    pending = progress["pending_sign_offs"]
    assert [facts(e) for e in pending] == LIU_PENDING
    assert [e["entry_id"] for e in pending] == [e.id for e in entries_with_status(container, admin, liu, "pending")]
    assert [e["drafted_by_student"] for e in pending] == [False, False, False, True]
    assert progress["rejected_entries"] == [] and progress["awaiting_countersignature"] == []


def test_given_the_demo_then_each_queue_holds_exactly_what_awaits_that_school_or_mentor(
    demo_world: Seeded, admin
) -> None:
    container, demo = demo_world.container, demo_world.ids
    view = container.progress_view
    liu, he = demo.students[0], demo.students[3]
    qtc, vocational = demo.schools

    awaiting = entries_with_status(container, admin, he, "awaiting-countersignature")
    countersign = view.countersignature_queue(vocational)
    assert [e["entry_id"] for e in countersign] == [e.id for e in awaiting] and len(countersign) == 4
    assert facts(countersign[0]) == ("2026-11-24", "09:00", "12:00", ["ELE-01"], 3.0)
    assert view.countersignature_queue(qtc) == []  # the default rules need no countersignature
    he_progress = view.student_progress(Scope(school_id=vocational), he, DEMO_TODAY)
    assert (he_progress["signed_hours"], he_progress["awaiting_countersignature_hours"]) == (3.0, 12.0)
    assert sorted(e["entry_id"] for e in he_progress["awaiting_countersignature"]) == sorted(a.id for a in awaiting)

    liu_pending = [e.id for e in entries_with_status(container, admin, liu, "pending")]
    zhao = view.sign_off_queue(person_id("mentor-zhao"), demo.enterprises[1])
    assert [e["entry_id"] for e in zhao] == liu_pending
    assert [facts(e) for e in zhao] == LIU_PENDING
    assert {e["centre_id"] for e in zhao} == {demo.centres[2]}
    assert [e["entry_id"] for e in view.sign_off_queue(person_id("mentor-zhao"), None)] == liu_pending
    assert view.sign_off_queue(person_id("mentor-zhao"), demo.enterprises[0]) == []  # not at Haier's centres
    assert view.sign_off_queue(person_id("mentor-wang"), demo.enterprises[0]) == []  # Liu left Qingdao before logging
    assert view.sign_off_queue(person_id("mentor-sun"), demo.enterprises[2]) == []  # He's entries are all signed


def test_given_the_demo_when_asked_outside_ones_scope_then_the_student_is_not_found(demo_world: Seeded) -> None:
    container, demo = demo_world.container, demo_world.ids
    view = container.progress_view
    liu, he = demo.students[0], demo.students[3]
    qtc, vocational = demo.schools
    _, crrc, mindray = demo.enterprises
    for scope in (Scope(student_id=liu), Scope(school_id=qtc), Scope(enterprise_id=crrc)):
        assert view.student_progress(scope, liu, DEMO_TODAY)["student_id"] == liu
    for scope in (Scope(student_id=he), Scope(school_id=vocational), Scope(enterprise_id=mindray)):
        with pytest.raises(NotFound):
            view.student_progress(scope, liu, DEMO_TODAY)
    with pytest.raises(NotFound):
        view.student_progress(Scope(), str(uuid.uuid4()), DEMO_TODAY)


# -- rebuild and verify --------------------------------------------------------------------------------------------


def test_given_the_demo_when_progress_is_verified_rebuilt_or_redelivered_then_nothing_differs(
    demo_world: Seeded
) -> None:
    container, demo = demo_world.container, demo_world.ids
    projection = container.projection("progress")
    with container.view_db.transaction() as tx:
        before = projection.digest(tx)
    report = verify(container, "progress", embedded=True)
    assert report.matches, (report.live_digest, report.rebuilt_digest)
    again = [decode(r.headers, r.value)
             for context in ProgressProjection.contexts
             for r in CloudEventEncoder(container.app(context), context).encode_all(
                 container.app(context).notifications(1, 10_000))]
    with container.view_db.transaction() as tx:
        assert not any(projection.apply_batch(tx, again))
        assert projection.digest(tx) == before
    rebuild(container, "progress", embedded=True)
    with container.view_db.transaction() as tx:
        assert projection.digest(tx) == before
    liu = container.progress_view.student_progress(Scope(), demo.students[0], DEMO_TODAY)
    assert (liu["signed_hours"], liu["pending_hours"]) == (15.0, 14.0)


# -- freshness -----------------------------------------------------------------------------------------------------


def test_given_a_write_not_yet_projected_when_its_token_is_asked_about_then_it_is_seen_only_after_catching_up(
    container
) -> None:
    tw = build_training_world(container)
    student, _ = tw.placed()
    catch_up_progress(container)
    view = container.progress_view
    logged = tw.log(student, start="08:00", end="12:00", competencies=["M1"])
    written = parse_token(logged.token)

    assert not has_applied(container.view_db, "progress", written)
    assert view.wait_for(written, timeout=0) is False
    assert view.student_progress(Scope(), str(student), TODAY)["pending_hours"] == 0.0

    catch_up_progress(container)
    assert has_applied(container.view_db, "progress", written)
    assert view.wait_for(written, timeout=0) is True
    assert view.student_progress(Scope(), str(student), TODAY)["pending_hours"] == 4.0

    signed = tw.sign(student, logged.entry_id)
    assert view.wait_for(list(signed.written), timeout=0) is False  # the earlier token does not vouch for this one
    catch_up_progress(container)
    assert view.wait_for(list(signed.written), timeout=0) is True


# -- expected to date, behind schedule -----------------------------------------------------------------------------


def test_given_a_220_hour_plan_when_enough_hours_are_signed_then_the_student_is_no_longer_behind_schedule(
    container
) -> None:
    tw = build_training_world(container)  # M1 120 h + M2 80 h + M3 20 h
    student, _ = tw.placed()  # active 2026-09-01 .. 2027-01-29
    days_so_far = (TODAY - PLACEMENT_START).days + 1
    days_in_all = (PLACEMENT_END - PLACEMENT_START).days + 1
    expected = round(220 * days_so_far / days_in_all, 2)
    assert 119.32 < 0.9 * expected <= 119.33  # the threshold the figures below straddle

    def progress(today: date = TODAY) -> dict[str, Any]:
        catch_up_progress(container)
        return container.progress_view.student_progress(Scope(), str(student), today)

    # Three weeks of November, transcribed by the coordinator: 14 full days and a last one of 7 h 19 min.
    coordinator = tw.coordinator
    days = [monday + timedelta(days=d) for monday in (date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16))
            for d in range(5)]
    entries = [tw.log(student, day, "08:00", "16:00" if day != days[-1] else "15:19", ["M1", "M2", "M3"],
                      by=coordinator, reason="transcribed from the depot's paper logbook").entry_id for day in days]
    nothing_signed = progress()
    assert (nothing_signed["target_hours"], nothing_signed["expected_to_date_hours"]) == (220, expected)
    assert nothing_signed["pending_hours"] == round((14 * 8 * 60 + 7 * 60 + 19) / 60, 2)
    assert nothing_signed["behind_schedule"] is True

    for entry in entries:
        tw.sign(student, entry)
    just_under = progress()
    assert just_under["signed_hours"] == 119.32 and just_under["behind_schedule"] is True

    last_minute = tw.log(student, days[-1], "15:19", "15:20", ["M3"], by=coordinator, reason="the last minute")
    tw.sign(student, last_minute.entry_id)
    enough = progress()
    assert enough["signed_hours"] == 119.33 and enough["expected_to_date_hours"] == expected
    assert enough["behind_schedule"] is False

    before_start = progress(PLACEMENT_START - timedelta(days=1))
    assert (before_start["expected_to_date_hours"], before_start["behind_schedule"]) == (0.0, False)
    after_end = progress(PLACEMENT_END + timedelta(days=30))
    assert (after_end["expected_to_date_hours"], after_end["behind_schedule"]) == (220.0, True)


# -- property: the hours follow the training record ----------------------------------------------------------------

EXTRA_COMPETENCIES = (("M4", "Maintain hydraulics", 30), ("M5", "Read technical drawings", 25),
                      ("M6", "Document maintenance work", 15), ("M7", "Quality inspection", 10))
CODES = ("M1", "M2", "M3", "M4", "M5", "M6", "M7")
WINDOW_OPENS = date(2026, 11, 16)  # TODAY minus the 14-day edit window: the mentor logs and corrects from here

practice = st.tuples(
    st.integers(0, 14),  # a day of the edit window
    st.integers(0, 14),  # a start slot (06:00 + 47 min each, so minutes are odd)
    st.integers(1, 300),  # minutes
    st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True),
)
commands = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["log", "log", "draft"]), st.just(0), practice),
        st.tuples(st.sampled_from(["sign", "sign", "reject", "correct"]), st.integers(0, 30), practice),
    ),
    min_size=1, max_size=30,
)


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def run_command(tw: TrainingWorld, student: UUID, entries: list[str], command: tuple) -> None:
    action, which, (day_offset, slot, minutes, codes) = command
    day = WINDOW_OPENS + timedelta(days=day_offset)
    start = 6 * 60 + slot * 47
    begins, ends = _clock(start), _clock(start + minutes)
    mentor = tw.world.mentor(tw.workshop)
    if action in ("log", "draft"):
        by = mentor if action == "log" else tw.world.student(student)
        entries.append(tw.training.log_practice(by, student, day=day, start=begins, end=ends, competencies=codes,
                                                description="practice").entry_id)
        return
    if not entries:
        return
    entry = entries[which % len(entries)]
    if action == "sign":
        tw.sign(student, entry)
    elif action == "reject":
        tw.training.reject_practice(mentor, student, entry, reason="not what happened")
    else:
        tw.training.correct_practice(mentor, student, entry, day=day, start=begins, end=ends, competencies=codes,
                                     description="corrected", reason="as it happened")


def split_evenly(minutes: int, codes: tuple[str, ...]) -> dict[str, int]:
    """Seconds per competency: an even split, leftover seconds to the first codes in sorted order."""
    ordered = sorted(set(codes))
    each, leftover = divmod(minutes * 60, len(ordered))
    return {code: each + (1 if i < leftover else 0) for i, code in enumerate(ordered)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=commands)
def test_property_whatever_is_logged_signed_rejected_or_corrected_the_hours_follow_the_training_record(
    tmp_path, script
) -> None:
    container = Container(make_settings(tmp_path / uuid.uuid4().hex / "var"))
    try:
        tw = build_training_world(container)
        for code, title, target in EXTRA_COMPETENCIES:
            tw.training.define_competency(tw.admin, "mechatronics", code=code, title=title,
                                          target_hours=target, scale="five-point", effective_from=date(2026, 1, 1))
        student, _ = tw.placed()
        entries: list[str] = []
        for command in script:
            try:
                run_command(tw, student, entries, command)
            except DomainError:
                pass  # refused by a rule: nothing recorded, the next command is tried
        catch_up_progress(container)
        progress = container.progress_view.student_progress(Scope(), str(student), TODAY)

        seconds: dict[str, dict[str, int]] = {"signed": defaultdict(int), "pending": defaultdict(int)}
        durations = {"signed": 0, "pending": 0}
        if entries:
            for entry in tw.training.get_training_record(tw.admin, student).entries.values():
                if entry.status in seconds:
                    durations[entry.status] += entry.current.minutes * 60
                    for code, share in split_evenly(entry.current.minutes, entry.current.competencies).items():
                        seconds[entry.status][code] += share
        shown = {c["code"]: c for c in progress["competencies"]}
        for code in CODES:
            for status in ("signed", "pending"):
                figure = shown[code][f"{status}_hours"] if code in shown else 0.0
                assert figure == round(seconds[status][code] / 3600, 2), (code, status)
        assert progress["signed_hours"] == round(durations["signed"] / 3600, 2)
        assert progress["pending_hours"] == round(durations["pending"] / 3600, 2)
        if entries:
            assert set(shown) == set(CODES)  # the plan, drawn up at the first entry, names every competency
    finally:
        container.close()


# -- property: the view does not depend on how the three topics interleave -----------------------------------------


def received(container: Container, context: str) -> list[ReceivedEvent]:
    app = container.app(context)
    encoder = CloudEventEncoder(app, context)
    return [decode(r.headers, r.value, topic=context, offset=r.position - 1)
            for r in (encoder.encode(n) for n in app.notifications(1, 10_000))]


class RecordedDemo:
    def __init__(self, ids: DemoIds, placements: list[ReceivedEvent], training: list[ReceivedEvent],
                 credentials: list[ReceivedEvent], schedules: list[ReceivedEvent], live_digest: str) -> None:
        self.ids, self.placements, self.training, self.live_digest = ids, placements, training, live_digest
        self.credentials, self.schedules = credentials, schedules

    def topics(self) -> dict[str, list[ReceivedEvent]]:
        return {"placements": self.placements, "training": self.training, "credentials": self.credentials,
                "schedules": self.schedules}


@pytest.fixture(scope="module")
def recorded_demo(tmp_path_factory: pytest.TempPathFactory, sqlite_demo_template: Template) -> Iterator[RecordedDemo]:
    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("recorded-demo"))  # seeded once
    try:
        ids = sqlite_demo_template.ids
        catch_up_progress(container)
        with container.view_db.transaction() as tx:
            live_digest = ProgressProjection().digest(tx)
        yield RecordedDemo(ids, received(container, "placements"), received(container, "training"),
                           received(container, "credentials"), received(container, "schedules"), live_digest)
    finally:
        container.close()


def project(path: Path, events: list[ReceivedEvent], chunks: list[int], ids: DemoIds) -> tuple[str, dict[str, Any]]:
    """Apply the events in order, in batches of the given sizes (cycled), into a fresh view database; return
    the digest and what the view answers."""
    db = ViewDatabase(str(path))
    projection = ProgressProjection()
    try:
        with db.transaction() as tx:
            projection.create_tables(tx)
        position, sizes = 0, itertools.cycle(chunks or [max(len(events), 1)])
        while position < len(events):
            size = next(sizes)
            with db.transaction() as tx:
                projection.apply_batch(tx, events[position:position + size])
            position += size
        with db.transaction() as tx:
            digest = projection.digest(tx)
        return digest, answers(ProgressView(db), ids)
    finally:
        db.close()


def answers(view: ProgressView, ids: DemoIds) -> dict[str, Any]:
    """Every question the view answers about the demo's people."""
    return {
        "students": {s: view.student_progress(Scope(), s, DEMO_TODAY) for s in ids.students},
        "mentors": {m: view.sign_off_queue(m, None) for m, _ in MENTORS},
        "schools": {s: view.countersignature_queue(s) for s in ids.schools},
    }


def in_recorded_order(demo: RecordedDemo) -> list[ReceivedEvent]:
    """The topics merged by the time each event was recorded (each topic keeps its own order)."""
    return list(heapq.merge(*demo.topics().values(), key=lambda e: parse_time(e.time)))


def merge(topics: list[list[ReceivedEvent]], labels: list[int]) -> list[ReceivedEvent]:
    queues = [iter(topic) for topic in topics]
    return [next(queues[label]) for label in labels]


@pytest.fixture(scope="module")
def reference(recorded_demo: RecordedDemo, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    return project(tmp_path_factory.mktemp("reference") / "views.sqlite3", in_recorded_order(recorded_demo), [],
                   recorded_demo.ids)


def test_given_the_demo_recorded_when_projected_in_recorded_order_then_it_equals_the_live_view(
    recorded_demo, reference
) -> None:
    digest, seen = reference
    assert digest == recorded_demo.live_digest
    liu = seen["students"][recorded_demo.ids.students[0]]
    assert (liu["signed_hours"], liu["pending_hours"], liu["target_hours"]) == (15.0, 14.0, 324)
    assert (len(liu["certificates"]), liu["credit_balance"]) == (1, 1)


@pytest.mark.parametrize("first", ["placements", "training", "credentials", "schedules"])
def test_given_the_demo_recorded_when_one_topic_arrives_wholly_before_the_others_then_the_view_is_the_same(
    recorded_demo, reference, tmp_path, first
) -> None:
    topics = recorded_demo.topics()
    order = topics.pop(first) + [e for topic in reversed(topics.values()) for e in topic]
    assert project(tmp_path / "views.sqlite3", order, [7], recorded_demo.ids) == reference


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_however_the_three_topics_interleave_the_view_is_the_same(
    recorded_demo, reference, tmp_path, data
) -> None:
    topics = list(recorded_demo.topics().values())
    labels = data.draw(st.permutations([i for i, topic in enumerate(topics) for _ in topic]), label="interleaving")
    chunks = data.draw(st.lists(st.integers(1, 40), min_size=1, max_size=12), label="batch sizes")
    digest, seen = project(tmp_path / f"{uuid.uuid4().hex}.sqlite3", merge(topics, labels), chunks,
                          recorded_demo.ids)
    assert digest == reference[0]
    assert seen == reference[1]

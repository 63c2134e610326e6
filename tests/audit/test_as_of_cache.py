"""An auditor's as-of progress answered from kept states (services/audit/as_of_cache.py) is the full replay's answer,
for any order of questions, while the logs grow; an erased student is forgotten; the kept states stay bounded.

The history is made by the bench's generator (bench/student_history.py) through the applications, under its clock:
two short terms of daily practice, signed, corrected and rejected, with assessments and an award (on SQLite; the
tests of a growing log and of erasure on PostgreSQL too).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest

from bench.student_history import Clock, History, controlled, make_history
from dualtrack.bootstrap import Container
from dualtrack.privacy import erase_student
from services.audit import as_of_cache
from services.audit.as_of import StudentProgressAsOf
from services.audit.as_of_cache import ProgressAsOfCache, progress_as_of
from services.audit.history import EventLog
from services.audit.timeline import student_timeline
from services.common.errors import NotFound
from services.common.identity import CommandContext
from tests.conftest import make_settings
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, History]]:
    container = Container(make_settings(tmp_path_factory.mktemp("as-of-cache") / "var"))
    history = make_history(container, terms_count=2, weeks=2)
    yield container, history
    container.close()


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(as_of_cache, "STEP", 16)  # many kept states over a short history


def full_replay(container: Container, student: Any, on: date, known_at: datetime) -> dict[str, Any] | str:
    try:
        return StudentProgressAsOf(EventLog(container.apps()), student).answer(on, known_at)
    except NotFound:
        return "not known"


def cached(cache: ProgressAsOfCache, container: Container, student: Any, on: date,
           known_at: datetime) -> dict[str, Any] | str:
    try:
        return cache.student(EventLog(container.apps()), student).answer(on, known_at)
    except NotFound:
        return "not known"


def moments_and_days(history: History, rng: random.Random, count: int) -> list[tuple[date, datetime]]:
    """Random business days and moments over the history (and a little before and after it), in random order."""
    span = (history.last_recorded - history.first_recorded).total_seconds()
    pairs = []
    for _ in range(count):
        moment = history.first_recorded + timedelta(seconds=rng.uniform(-0.05 * span, 1.05 * span))
        day = (history.first_recorded + timedelta(seconds=rng.uniform(0, span))).date()
        pairs.append((day, moment))
    return pairs


def test_given_a_generated_history_when_asked_for_random_days_and_moments_in_any_order_then_every_answer_is_the_full_replay(
        made: tuple[Container, History]) -> None:
    container, history = made
    cache = ProgressAsOfCache(EventLog(container.apps()))
    rng = random.Random(19)
    pairs = moments_and_days(history, rng, 60)
    pairs += [(day, moment) for day, moment in pairs[:10]]  # asked again: answered from the kept state
    for day, moment in pairs:
        assert cached(cache, container, history.student_id, day, moment) == \
            full_replay(container, history.student_id, day, moment), (day, moment)
    assert cache.kept_bytes > 0


def test_given_answers_kept_when_more_is_recorded_then_answers_before_and_after_it_are_the_full_replay(
        tmp_path: Any, database_url: str | None) -> None:
    container = Container(make_settings(tmp_path / "var", database_url))
    try:
        history = make_history(container, terms_count=1, weeks=2)
        cache = ProgressAsOfCache(EventLog(container.apps()))
        rng = random.Random(7)
        before = moments_and_days(history, rng, 15)
        for day, moment in before:
            cached(cache, container, history.student_id, day, moment)
        later = Clock(history.last_day + timedelta(days=3))
        with controlled(container, later):  # an award recorded after everything else: a new stream of events
            container.credentials.award_certificate(
                CommandContext.for_system("certificate-office"), history.student_id, certificate_code="X-HIS",
                level="junior", override_reason="assessed elsewhere")
        after = [(history.last_day, datetime.combine(later.day, time(23), tzinfo=UTC))]
        for day, moment in before + after + moments_and_days(history, rng, 15):
            assert cached(cache, container, history.student_id, day, moment) == \
                full_replay(container, history.student_id, day, moment), (day, moment)
    finally:
        container.close()


def test_given_a_student_asked_about_when_they_are_erased_then_the_next_question_forgets_everything_kept_of_them(
        tmp_path: Any, database_url: str | None) -> None:
    container = Container(make_settings(tmp_path / "var", database_url))
    try:
        history = make_history(container, terms_count=1, weeks=1)
        student = str(history.student_id)
        cache = ProgressAsOfCache(EventLog(container.apps()))
        before = cached(cache, container, student, history.last_day, history.last_recorded)
        assert student in cache.students and cache.kept_bytes > 0

        erase_student(container, CommandContext.for_system("dpo"), history.student_id, reason="the student asked")
        cache.forget_erased(EventLog(container.apps()))

        assert student not in cache.students and cache.kept_bytes == 0
        now = datetime.now(UTC)
        again = cached(cache, container, student, history.last_day, now)
        assert again == full_replay(container, student, history.last_day, now)
        assert isinstance(again, dict) and isinstance(before, dict)
        assert again["progress"].get("erased") is True and not before["progress"].get("erased")
    finally:
        container.close()


def test_given_a_small_memory_bound_when_many_moments_are_asked_then_the_kept_states_stay_within_it(
        made: tuple[Container, History]) -> None:
    container, history = made
    cache = ProgressAsOfCache(EventLog(container.apps()), max_bytes=2 * 2**20)
    for day, moment in moments_and_days(history, random.Random(3), 40):
        assert cached(cache, container, history.student_id, day, moment) == \
            full_replay(container, history.student_id, day, moment)
        assert cache.kept_bytes <= 2 * 2**20


def test_given_the_audit_route_when_asked_twice_then_one_cache_of_the_deployment_answers_both(
        made: tuple[Container, History]) -> None:
    container, history = made
    log = EventLog(container.apps())
    first = progress_as_of(log, history.student_id)
    assert progress_as_of(EventLog(container.apps()), history.student_id) is first
    assert first.answer(history.last_day, history.last_recorded) == \
        full_replay(container, history.student_id, history.last_day, history.last_recorded)


def test_given_kept_states_when_an_event_recorded_earlier_becomes_known_then_no_state_that_missed_it_is_used(
        made: tuple[Container, History]) -> None:
    """As when a rotation plan drafted long ago names the student for the first time: its earlier events come in
    among those already read."""
    container, history = made
    cache = ProgressAsOfCache(EventLog(container.apps()))
    followed = cache.student(EventLog(container.apps()), history.student_id)
    middle = len(followed.events) // 2
    late = followed.events.pop(middle)
    followed.keys.pop(middle)
    followed.times.pop(middle)
    pairs = moments_and_days(history, random.Random(5), 20)
    for _day, moment in pairs:  # states kept without the event in the middle
        with followed.known_at(moment):
            pass
    assert any(length > middle for length in followed.states)

    followed._merge([late])

    for day, moment in pairs:
        assert cached(cache, container, history.student_id, day, moment) == \
            full_replay(container, history.student_id, day, moment), (day, moment)


def test_given_a_student_not_asked_about_for_longer_than_the_idle_limit_when_anyone_is_asked_about_then_they_are_forgotten(
        made: tuple[Container, History]) -> None:
    container, history = made
    cache = ProgressAsOfCache(EventLog(container.apps()), idle_seconds=0.0)
    first = cache.student(EventLog(container.apps()), history.student_id)
    first.answer(history.last_day, history.last_recorded)
    assert first.states

    again = cache.student(EventLog(container.apps()), history.student_id)

    assert again is not first and first.forgotten and not first.states
    assert again.answer(history.last_day, history.last_recorded) == \
        full_replay(container, history.student_id, history.last_day, history.last_recorded)


def test_given_the_demo_with_its_rotation_plans_when_every_student_is_asked_as_of_moments_in_random_order_then_each_answer_is_the_full_replay(
        seeded: Seeded) -> None:
    container, demo = seeded.container, seeded.ids
    students = [*demo.students, *demo.spring_cohort]
    recorded = sorted({datetime.fromisoformat(i["recorded_at"])
                       for s in students for i in student_timeline(EventLog(container.apps()), s)["items"]})
    moments = [*recorded[::7], recorded[-1], datetime.now(UTC)]
    questions = [(s, day, m) for s in students for m in moments for day in (date(2026, 3, 10), date(2026, 11, 27))]
    random.Random(11).shuffle(questions)
    cache = ProgressAsOfCache(EventLog(container.apps()))
    for student, day, moment in questions:
        assert cached(cache, container, student, day, moment) == full_replay(container, student, day, moment), \
            (student, day, moment)
    assert any(("schedules", plan) in cache.student(EventLog(container.apps()), s).versions
               for s in students for plan in map(UUID, demo.plans))


def test_given_threads_asking_at_once_while_the_student_is_forgotten_again_and_again_then_every_answer_is_the_full_replay(
        made: tuple[Container, History]) -> None:
    container, history = made
    pairs = moments_and_days(history, random.Random(23), 12)
    expected = {pair: full_replay(container, history.student_id, *pair) for pair in pairs}
    cache = ProgressAsOfCache(EventLog(container.apps()), idle_seconds=0.0)  # every question forgets the others
    answers: list[tuple[tuple[date, datetime], Any]] = []
    failures: list[BaseException] = []

    def ask(seed: int) -> None:
        try:
            for pair in random.Random(seed).sample(pairs, len(pairs)):
                answers.append((pair, cached(cache, container, history.student_id, *pair)))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=ask, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(answers) == 4 * len(pairs)
    assert all(answer == expected[pair] for pair, answer in answers)

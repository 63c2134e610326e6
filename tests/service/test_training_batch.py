"""Bulk practice uploads through `TrainingApplication.log_practice_batch`, on in-memory event stores.

A batch is checked row by row against the same rules as a single entry, the rows of one student adding up as
they go; then every row is stored in one transaction, or none is and the refusal reports each bad row by its
line and rule. The clock stands at TODAY (Monday 2026-11-30); the mentor's 14-day window opens on 16 November.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.common.errors import BatchInvalid, BatchRefused, NotAllowed
from services.common.identity import CommandContext
from services.training.application import BatchResult, PracticeRow
from tests.service.placement_world import TODAY, names
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

FIRST_WEEK = [date(2026, 11, 16) + timedelta(days=n) for n in range(5)]
SECOND_WEEK = [MONDAY + timedelta(days=n) for n in range(5)]
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container, workshop_capacity=5)


def clock(day: date, start: time, minutes: int) -> time:
    return (datetime.combine(day, start) + timedelta(minutes=minutes)).time()


def five_hundred_rows(students: Sequence[UUID]) -> list[PracticeRow]:
    """100 rows a student: ten working days of 16-27 November, ten 20-minute slots from 08:00 each day (3 h 20 min
    a day, 16 h 40 min a week). Lines are numbered from 1, student by student, day by day, slot by slot."""
    rows: list[PracticeRow] = []
    for student in students:
        for day in FIRST_WEEK + SECOND_WEEK:
            for k in range(10):
                rows.append(PracticeRow(len(rows) + 1, str(student), day, clock(day, time(8), 20 * k),
                                        clock(day, time(8), 20 * (k + 1)), ("M1",), f"drive unit {k + 1}"))
    return rows


def row(line: int, student: UUID | str, day: date, start: str, end: str, competencies: Sequence[str] = ("M1",),
        placement_id: str | None = None) -> PracticeRow:
    return PracticeRow(line, str(student), day, time.fromisoformat(start), time.fromisoformat(end),
                       tuple(competencies), f"row {line}", placement_id)


def versions(tw: TrainingWorld, students: Sequence[UUID]) -> dict[UUID, int]:
    return {s: tw.training.get_training_record(tw.admin, s).version for s in students}


def refused_batch(tw: TrainingWorld, ctx: CommandContext, rows: Sequence[PracticeRow],
                  malformed: Sequence[dict[str, Any]] = (), kind: type[BatchRefused] = BatchRefused) -> BatchRefused:
    """Send a batch that must be refused as a whole, and check that nothing at all was recorded."""
    before = tw.training.max_position()
    with pytest.raises(BatchRefused) as caught:
        tw.training.log_practice_batch(ctx, rows, malformed)
    assert type(caught.value) is kind
    assert (caught.value.rule, caught.value.details["stored"]) == ("batch-refused", 0)
    assert tw.training.max_position() == before
    return caught.value


def reported(error: BatchRefused) -> list[tuple[int, str]]:
    return [(r["line"], r["code"]) for r in error.details["rows"]]


@pytest.fixture
def five(tw: TrainingWorld) -> list[UUID]:
    """Five students at the workshop, each with one entry (today) already on their record."""
    students = [tw.placed(name)[0] for name in ("Liu Yang", "Zhou Jie", "Ma Lin", "Sun Li", "He Xiaoyu")]
    for student in students:
        tw.log(student, TODAY)
    return students


# -- five hundred rows ------------------------------------------------------------------------------------------


def test_given_500_good_rows_for_5_students_when_sent_as_a_batch_then_all_are_stored_in_one_go(
    tw: TrainingWorld, five: list[UUID],
) -> None:
    rows = five_hundred_rows(five)
    before = tw.training.max_position()
    result = tw.training.log_practice_batch(tw.mentor(tw.workshop), rows)
    assert isinstance(result, BatchResult)
    assert [e["line"] for e in result.entries] == list(range(1, 501))
    assert len({e["entry_id"] for e in result.entries}) == 500
    stored = tw.events(before + 1)
    assert names(stored) == ["PracticeLogged"] * 500
    assert tw.training.max_position() - before == 500  # nothing else was recorded
    assert {r.version for r in result.records} == {103}  # opened, plan, today's entry, then 100 rows each
    assert versions(tw, five) == {s: 103 for s in five}
    assert result.token
    for student in five:
        entries = tw.training.get_training_record(tw.admin, student).entries
        from_batch = [e for e in result.entries if e["student_id"] == str(student)]
        assert len(entries) == 101 and len(from_batch) == 100
        assert {entries[e["entry_id"]].current.day for e in from_batch} == set(FIRST_WEEK + SECOND_WEEK)


def test_given_500_rows_with_row_317_over_the_daily_cap_when_sent_then_nothing_is_stored_and_only_row_317_is_named(
    tw: TrainingWorld, five: list[UUID],
) -> None:
    rows = five_hundred_rows(five)
    bad = rows[316]
    assert (bad.line, bad.student_id, bad.day, bad.start) == (317, str(five[3]), FIRST_WEEK[1], time(10))
    rows[316] = row(317, five[3], bad.day, "13:00", "20:00")  # 7 h, after 2 h from rows 311-316 of this batch
    before = versions(tw, five)
    error = refused_batch(tw, tw.mentor(tw.workshop), rows)
    assert reported(error) == [(317, "max-hours-per-day")]
    (report,) = error.details["rows"]
    assert report["details"] == {"day": "2026-11-17", "logged_hours": 2.0, "entry_hours": 7.0, "cap_hours": 8,
                                 "rule_set": "default"}
    assert report["message"]
    assert versions(tw, five) == before
    assert all(len(tw.training.get_training_record(tw.admin, s).entries) == 1 for s in five)


# -- bad rows of other kinds --------------------------------------------------------------------------------------


def test_given_rows_for_unknown_students_or_that_the_sender_may_not_log_then_each_is_named_and_nothing_is_stored(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed("Liu Yang")
    newcomer, _ = tw.placed("Zhou Jie")  # no training record yet
    rows = [row(2, student, MONDAY, "08:00", "12:00"), row(3, newcomer, MONDAY, "08:00", "12:00"),
            row(4, uuid4(), MONDAY, "08:00", "12:00"), row(5, "not-a-student-id", MONDAY, "08:00", "12:00"),
            row(6, newcomer, TUESDAY, "08:00", "12:00")]
    error = refused_batch(tw, tw.mentor(tw.workshop), rows)
    assert reported(error) == [(4, "not-found"), (5, "not-found")]
    assert tw.training.get_training_record(tw.admin, newcomer) is None  # not even opened
    foreign = [row(2, student, TUESDAY, "08:00", "12:00", placement_id=placement),
               row(3, student, TUESDAY, "13:00", "15:00")]
    before = tw.training.max_position()
    with pytest.raises(NotAllowed) as caught:  # not rows to fix: the sender may not write for this student
        tw.training.log_practice_batch(tw.mentor(tw.depot), foreign)
    assert [(r["line"], r["code"]) for r in caught.value.details["rows"]] == [(2, "forbidden"), (3, "forbidden")]
    assert tw.training.max_position() == before


def test_given_malformed_rows_then_the_batch_is_invalid_and_reports_them_with_the_rows_against_the_rules(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    unreadable = {"line": 3, "code": "invalid-input", "message": "the row has invalid fields",
                  "details": {"fields": {"start": ["Not a valid time."]}}}
    good = [row(2, student, MONDAY, "08:00", "12:00"), row(4, student, MONDAY, "13:00", "16:00")]
    error = refused_batch(tw, tw.mentor(tw.workshop), good, [unreadable], kind=BatchInvalid)
    assert error.details["rows"] == [unreadable]
    bad = good + [row(5, student, MONDAY, "16:00", "18:00"), row(6, student, MONDAY, "12:00", "12:00")]
    error = refused_batch(tw, tw.mentor(tw.workshop), bad, [unreadable], kind=BatchInvalid)
    assert reported(error) == [(3, "invalid-input"), (5, "max-hours-per-day"), (6, "time-order")]
    error = refused_batch(tw, tw.mentor(tw.workshop), bad)  # the same rows, all parsed: refused, not invalid
    assert reported(error) == [(5, "max-hours-per-day"), (6, "time-order")]
    result = tw.training.log_practice_batch(tw.mentor(tw.workshop), good)
    assert [e["line"] for e in result.entries] == [2, 4]


def test_given_rows_of_one_student_then_the_caps_and_overlaps_add_up_across_the_batch_and_refused_rows_do_not_count(
    tw: TrainingWorld,
) -> None:
    a, _ = tw.placed("Liu Yang")
    b, _ = tw.placed("Zhou Jie")
    c, _ = tw.placed("Ma Lin")
    week = SECOND_WEEK
    rows = [
        row(1, a, week[0], "08:00", "13:00"),
        row(2, a, week[0], "13:00", "17:00"),  # 5 h + 4 h: over the daily cap
        row(3, a, week[0], "13:00", "16:00"),  # 8 h: row 2 did not count
        *(row(4 + n, a, day, "08:00", "16:00") for n, day in enumerate(week[1:])),  # rows 4-7: 40 h that week
        row(8, a, week[4] + timedelta(days=1), "09:00", "10:00"),  # Saturday: over the weekly cap
        row(9, b, week[0], "08:00", "12:00"),
        row(10, b, week[0], "11:00", "13:00"),  # overlaps row 9
        row(11, b, week[0], "12:00", "13:00"),  # touches row 9
        row(12, c, week[0], "08:00", "13:00"),  # another student's hours are their own
    ]
    error = refused_batch(tw, tw.mentor(tw.workshop), rows)
    assert reported(error) == [(2, "max-hours-per-day"), (8, "max-hours-per-week"), (10, "overlapping-entries")]
    by_line = {r["line"]: r["details"] for r in error.details["rows"]}
    assert (by_line[2]["logged_hours"], by_line[2]["entry_hours"]) == (5.0, 4.0)
    assert (by_line[8]["logged_hours"], by_line[8]["week_of"]) == (40.0, "2026-11-23")
    assert len(by_line[10]["conflicting_entries"]) == 1
    result = tw.training.log_practice_batch(tw.mentor(tw.workshop), [r for r in rows if r.line not in (2, 8, 10)])
    assert [e["line"] for e in result.entries] == [1, 3, 4, 5, 6, 7, 9, 11, 12]
    hours = {s: sum(e.current.minutes for e in tw.training.get_training_record(tw.admin, s).entries.values()) / 60
             for s in (a, b, c)}
    assert hours == {a: 40.0, b: 5.0, c: 5.0}
    refused_batch(tw, tw.mentor(tw.workshop), [row(1, a, week[4] + timedelta(days=2), "09:00", "09:30")])


def test_given_an_empty_batch_then_nothing_is_stored(tw: TrainingWorld) -> None:
    before = tw.training.max_position()
    assert tw.training.log_practice_batch(tw.mentor(tw.workshop), []).entries == []
    assert tw.training.max_position() == before


# -- the same student, however their id is written ------------------------------------------------------------------


def test_given_a_student_id_in_capitals_then_the_rows_go_to_that_students_one_record_and_its_caps(
    tw: TrainingWorld,
) -> None:
    """A UUID written in capitals names the same student: their hours must not land in a second record."""
    student, _ = tw.placed()
    tw.log(student, MONDAY, "08:00", "16:00")
    error = refused_batch(tw, tw.mentor(tw.workshop), [row(2, str(student).upper(), MONDAY, "16:00", "18:00")])
    assert reported(error) == [(2, "max-hours-per-day")]

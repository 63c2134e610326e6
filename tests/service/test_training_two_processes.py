"""Two applications writing one student's training record at once, on SQLite files and on PostgreSQL: a write made
elsewhere while a command decides is met at save time; a command sent without the version it read is decided
again on it, one sent with it is refused with a version conflict, and a batch stores none of its rows.

The clock stands at TODAY (Monday 2026-11-30); the student is placed at the workshop from 2026-09-01.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import RuleViolated, VersionConflict
from tests.service.conftest import meanwhile
from tests.service.placement_world import TODAY
from tests.service.test_training_batch import row, versions
from tests.service.test_training_lifecycle import THURSDAY, TUESDAY
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.stored


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def test_given_another_process_writing_the_same_record_when_a_command_without_expected_version_saves_then_it_is_decided_again(
    tw: TrainingWorld, elsewhere: Container, monkeypatch,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    mentor = tw.mentor(tw.workshop)
    saves = meanwhile(tw.training, monkeypatch, lambda: elsewhere.training.log_practice(
        mentor, student, day=TUESDAY, start=time(8), end=time(12), competencies=["M1"], description="elsewhere"))
    signed = tw.sign(student, entry)
    assert len(saves) == 2  # the first save met the other write; the command was decided again on it
    record = tw.training.get_training_record(tw.admin, student)
    assert (signed.version, record.version) == (5, 5)
    assert sorted((e.current.day, e.status) for e in record.entries.values()) == [
        (MONDAY, "signed"), (TUESDAY, "pending")]



def test_given_another_process_writing_the_same_slot_when_practice_is_logged_then_the_retry_sees_the_overlap(
    tw: TrainingWorld, elsewhere: Container, monkeypatch,
) -> None:
    student, _ = tw.placed()
    tw.log(student, MONDAY)
    mentor = tw.mentor(tw.workshop)
    theirs: list[str] = []
    meanwhile(tw.training, monkeypatch, lambda: theirs.append(elsewhere.training.log_practice(
        mentor, student, day=THURSDAY, start=time(8), end=time(12), competencies=["M1"],
        description="elsewhere").entry_id))
    with pytest.raises(RuleViolated) as caught:
        tw.log(student, THURSDAY, "10:00", "14:00")
    assert (caught.value.rule, caught.value.details["conflicting_entries"]) == ("overlapping-entries", theirs)
    assert len(tw.training.get_training_record(tw.admin, student).entries) == 2



def test_given_another_process_writing_the_same_record_when_a_command_with_expected_version_saves_then_version_conflict(
    tw: TrainingWorld, elsewhere: Container, monkeypatch,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student, MONDAY).entry_id
    version = tw.training.get_training_record(tw.admin, student).version
    mentor = tw.mentor(tw.workshop)
    saves = meanwhile(tw.training, monkeypatch, lambda: elsewhere.training.log_practice(
        mentor, student, day=TUESDAY, start=time(8), end=time(12), competencies=["M1"], description="elsewhere"))
    with pytest.raises(VersionConflict):
        tw.training.sign_off_practice(mentor, student, entry, expected_version=version)
    assert len(saves) == 1  # not tried again: the caller said which version it decided on
    record = tw.training.get_training_record(tw.admin, student)
    assert record.version == version + 1
    assert tw.entry(student, entry).status == "pending"
    with pytest.raises(VersionConflict):  # a stale version is refused before anything is decided
        tw.training.sign_off_practice(mentor, student, entry, expected_version=version)
    tw.training.sign_off_practice(mentor, student, entry, expected_version=version + 1)
    assert tw.entry(student, entry).status == "signed"



def test_given_another_process_writing_the_same_record_when_a_coordinator_adjusts_a_target_without_expected_version_then_it_is_decided_again(
    tw: TrainingWorld, elsewhere: Container, monkeypatch,
) -> None:
    """Like every command on the record sent without If-Match: a mentor logging meanwhile is no reason for a 409."""
    student, placement = tw.placed()
    tw.log(student, MONDAY)
    saves = meanwhile(tw.training, monkeypatch, lambda: elsewhere.training.log_practice(
        tw.mentor(tw.workshop), student, day=TUESDAY, start=time(8), end=time(12), competencies=["M1"],
        description="elsewhere"))
    tw.training.adjust_training_target(tw.coordinator, student, placement, "M1", target_hours=100,
                                       reason="shorter placement")
    assert len(saves) == 2
    record = tw.training.get_training_record(tw.admin, student)
    assert (record.plan(placement).targets["M1"]["target_hours"], len(record.entries)) == (100, 2)


def test_given_a_record_written_elsewhere_while_the_batch_was_checked_then_version_conflict_and_no_row_stored(
    tw: TrainingWorld, elsewhere: Container, monkeypatch,
) -> None:
    a, _ = tw.placed("Liu Yang")
    b, _ = tw.placed("Zhou Jie")
    for student in (a, b):
        tw.log(student, TODAY)
    mentor = tw.mentor(tw.workshop)
    real_save = tw.training.save
    written: list[str] = []

    def save(*aggregates: Any, **kwargs: Any) -> Any:
        if not written:
            written.append(elsewhere.training.log_practice(
                mentor, b, day=MONDAY, start=time(14), end=time(15), competencies=["M2"],
                description="elsewhere").entry_id)
        return real_save(*aggregates, **kwargs)

    monkeypatch.setattr(tw.training, "save", save)
    before = versions(tw, [a, b])
    with pytest.raises(VersionConflict):
        tw.training.log_practice_batch(mentor, [row(1, a, MONDAY, "08:00", "12:00"),
                                                row(2, b, MONDAY, "08:00", "12:00")])
    assert versions(tw, [a, b]) == {a: before[a], b: before[b] + 1}  # only the other process's entry
    on_monday = {s: [e.id for e in tw.training.get_training_record(tw.admin, s).entries.values()
                     if e.current.day == MONDAY] for s in (a, b)}
    assert on_monday == {a: [], b: written}

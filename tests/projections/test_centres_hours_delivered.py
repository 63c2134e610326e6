"""Hours delivered at a centre (centres read model), on SQLite and PostgreSQL: per week and per competency,
signed apart from not yet signed, rejected entries left out, corrections followed."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.projection

LAST_WEEK = MONDAY - timedelta(days=7)


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def _caught_up(container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def test_given_entries_signed_pending_rejected_and_corrected_then_the_centre_shows_hours_by_week_and_competency(
    container, tw: TrainingWorld
) -> None:
    student, _ = tw.placed()
    signed = tw.log(student, LAST_WEEK, "08:00", "12:00", ["M1", "M2"]).entry_id
    tw.sign(student, signed)
    tw.log(student, MONDAY, "08:00", "11:00", ["M1"])  # pending
    rejected = tw.log(student, MONDAY, "13:00", "15:00", ["M3"]).entry_id
    tw.training.reject_practice(tw.mentor(tw.workshop), student, rejected, reason="that was a school day")
    corrected = tw.log(student, MONDAY + timedelta(days=1), "08:00", "12:00", ["M2"]).entry_id
    tw.training.correct_practice(tw.mentor(tw.workshop), student, corrected, day=MONDAY + timedelta(days=1),
                                 start=time(8), end=time(10), competencies=["M2"], description="wiring",
                                 reason="left at ten")
    tw.sign(student, corrected)
    _caught_up(container)

    hours = container.centres_view.hours_delivered(str(tw.workshop), date(2026, 11, 1), date(2026, 11, 30))

    assert hours["weeks"] == [
        {"week_start": "2026-11-16", "signed_hours": 4.0, "unsigned_hours": 0.0},
        {"week_start": "2026-11-23", "signed_hours": 2.0, "unsigned_hours": 3.0},
    ]
    assert hours["competencies"] == [
        {"competency": "M1", "signed_hours": 2.0, "unsigned_hours": 3.0},
        {"competency": "M2", "signed_hours": 4.0, "unsigned_hours": 0.0},
    ]
    assert hours["signed_hours"] == 6.0
    other = container.centres_view.hours_delivered(str(tw.depot), date(2026, 11, 1), date(2026, 11, 30))
    assert (other["weeks"], other["signed_hours"]) == ([], 0.0)
    assert container.centres_view.hours_delivered(str(tw.workshop), date(2026, 11, 23),
                                                  date(2026, 11, 30))["signed_hours"] == 2.0

"""Progress after a transfer (SQLite and PostgreSQL): the figures follow the current placement's plan, the
record keeps every signed hour, and only the mentors of the current host's centre see the student."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from services.common.errors import NotFound
from services.common.identity import Role
from services.common.scope import Scope
from tests.service.placement_world import TODAY, as_
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.projection

WEDNESDAY = MONDAY + timedelta(days=2)


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def test_given_a_student_transferred_mid_week_then_progress_counts_the_new_plan_and_keeps_the_record(
    container, tw: TrainingWorld
) -> None:
    student, workshop = tw.placed()
    tw.sign(student, tw.log(student, MONDAY, "08:00", "12:00", ["M1"]).entry_id)
    depot = tw.app.transfer_placement(tw.coordinator, student, workshop, to_centre_id=tw.depot, on=WEDNESDAY,
                                      reason="rotation").placement_id
    tw.approve_all(student, depot)
    tw.activate(student, depot, WEDNESDAY)
    zhao = tw.mentor(tw.depot)
    tw.sign(student, tw.log(student, WEDNESDAY, "08:00", "10:00", ["M1"], by=zhao).entry_id, by=zhao)
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()
    view = container.progress_view

    progress = view.student_progress(Scope(), str(student), TODAY)

    assert progress["current_placement"]["placement_id"] == depot == progress["plan_placement_id"]
    m1 = next(c for c in progress["competencies"] if c["code"] == "M1")
    assert (m1["signed_hours"], m1["remaining_hours"]) == (2.0, 118.0)
    assert (progress["signed_hours"], progress["signed_hours_on_record"]) == (2.0, 6.0)
    assert view.student_progress(Scope.of(zhao.actor), str(student), TODAY)["student_id"] == str(student)
    wang = tw.mentor(tw.workshop)
    with pytest.raises(NotFound):  # the former host's mentor no longer follows the student
        view.student_progress(Scope.of(wang.actor), str(student), TODAY)
    stranger = as_(Role.MENTOR, "m-li", enterprise_id=str(tw.crrc))  # same enterprise, not at the depot
    with pytest.raises(NotFound):
        view.student_progress(Scope.of(stranger.actor), str(student), TODAY)

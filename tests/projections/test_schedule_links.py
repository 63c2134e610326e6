"""Published rotation plans in the progress and centres read models, on SQLite and PostgreSQL: a student's current
and next block, and the students a centre should expect each ISO week against its capacity, following a plan
from its publication through a revision.

The world is tests/service/schedule_world.py (clock: Monday 2026-11-30; spring term 1 March - 23 May 2027; the
Qingdao Workshop has 2 places, the Sifang Depot 1). The first revision sends group A to the workshop from 29 March
to 23 April (ISO weeks 13-16); the second from 5 to 30 April (weeks 14-17), and only Liu.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from services.common.scope import Scope
from tests.service.placement_world import TODAY
from tests.service.schedule_world import ScheduleWorld, block, build_schedule_world, content

pytestmark = pytest.mark.projection

EVERYONE = Scope()
TITLE = "mechatronics-2024"
"""What a read model calls a plan: its cohort (a plan's title is free text, not on the topics)."""


@pytest.fixture
def w(container: Container) -> ScheduleWorld:
    return build_schedule_world(container)


def caught_up(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def moved(w: ScheduleWorld, liu: UUID, he: UUID) -> dict[str, Any]:
    return content({"A": [liu, he]}, [
        block("A1", "A", "school", date(2027, 3, 1), date(2027, 4, 2)),
        block("A2", "A", "enterprise", date(2027, 4, 5), date(2027, 4, 30), 40, {liu: w.workshop}),
        block("A3", "A", "school", date(2027, 5, 3), date(2027, 5, 21)),
    ])


def he_stays_at_school(he: UUID) -> dict[str, str]:
    return {f"student-without-centre:A2:{he}": "He repeats the safety module at school instead"}


def blocks_of(container: Container, student: UUID, today: date) -> tuple[Any, Any]:
    progress = container.progress_view.student_progress(EVERYONE, str(student), today)
    return progress["current_block"], progress["next_block"]


def expected(container: Container, centre: UUID, start: date, end: date) -> list[tuple[str, int, bool, list]]:
    return [(w["week"], w["expected"], w["over_capacity"],
             sorted((p["title"], p["revision"], p["students"]) for p in w["plans"]))
            for w in container.centres_view.expected_occupancy(str(centre), start, end)]


# -- progress: current and next block ------------------------------------------------------------------------------


def test_given_no_published_plan_then_progress_has_no_current_or_next_block(container, w) -> None:
    liu = w.placed("Liu Yang")
    w.draft(w.alternating([liu]))
    caught_up(container)
    assert blocks_of(container, liu, date(2027, 4, 1)) == (None, None)


def test_given_a_plan_published_then_revised_then_progress_shows_the_block_containing_today_and_the_next_one_of_the_revision_in_force(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan = w.draft(w.alternating([liu, he]))
    w.publish(plan)
    caught_up(container)

    assert blocks_of(container, liu, TODAY) == (None, {
        "plan_id": str(plan), "title": TITLE, "revision": 1, "block_id": "A1", "kind": "school",
        "start": "2027-03-01", "end": "2027-03-26", "centre_id": None})
    current, upcoming = blocks_of(container, liu, date(2027, 4, 2))
    assert (current["block_id"], current["kind"], current["centre_id"], current["start"], current["end"]) == (
        "A2", "enterprise", str(w.workshop), "2027-03-29", "2027-04-23")
    assert (upcoming["block_id"], upcoming["start"]) == ("A3", "2027-04-26")
    assert blocks_of(container, liu, date(2027, 5, 22)) == (None, None)  # the term's blocks are over

    w.revise(plan, moved(w, liu, he), overrides=he_stays_at_school(he))
    caught_up(container)

    current, upcoming = blocks_of(container, liu, date(2027, 4, 2))
    assert (current["block_id"], current["kind"], current["revision"], current["end"]) == ("A1", "school", 2,
                                                                                          "2027-04-02")
    assert (upcoming["block_id"], upcoming["kind"], upcoming["centre_id"], upcoming["start"], upcoming["revision"]) == (
        "A2", "enterprise", str(w.workshop), "2027-04-05", 2)
    assert blocks_of(container, he, date(2027, 4, 12)) == (None, {  # no centre in A2: nowhere that block
        "plan_id": str(plan), "title": TITLE, "revision": 2, "block_id": "A3", "kind": "school",
        "start": "2027-05-03", "end": "2027-05-21", "centre_id": None})


# -- centres: expected occupancy -----------------------------------------------------------------------------------


def test_given_a_plan_published_then_revised_then_the_centre_expects_its_students_in_the_weeks_of_the_revision_in_force(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan = w.draft(w.alternating([liu, he]))
    w.publish(plan)
    caught_up(container)

    weeks = container.centres_view.expected_occupancy(str(w.workshop), date(2027, 3, 24), date(2027, 5, 2))
    assert [(x["week"], x["week_start"], x["expected"], x["capacity"], x["over_capacity"]) for x in weeks] == [
        ("2027-W12", "2027-03-22", 0, 2, False),
        ("2027-W13", "2027-03-29", 2, 2, False),
        ("2027-W14", "2027-04-05", 2, 2, False),
        ("2027-W15", "2027-04-12", 2, 2, False),
        ("2027-W16", "2027-04-19", 2, 2, False),
        ("2027-W17", "2027-04-26", 0, 2, False),
    ]
    assert weeks[1]["plans"] == [{"plan_id": str(plan), "title": TITLE, "revision": 1, "students": 2}]
    assert expected(container, w.depot, date(2027, 3, 29), date(2027, 4, 4)) == [("2027-W13", 0, False, [])]

    w.revise(plan, moved(w, liu, he), overrides=he_stays_at_school(he))
    caught_up(container)

    assert expected(container, w.workshop, date(2027, 3, 29), date(2027, 5, 2)) == [
        ("2027-W13", 0, False, []),
        ("2027-W14", 1, False, [(TITLE, 2, 1)]),
        ("2027-W15", 1, False, [(TITLE, 2, 1)]),
        ("2027-W16", 1, False, [(TITLE, 2, 1)]),
        ("2027-W17", 1, False, [(TITLE, 2, 1)]),
    ]


def test_given_two_schools_plans_sending_three_students_to_a_two_place_centre_then_the_overlapping_weeks_are_over_capacity(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    wang = w.placed("Wang Lei", school=w.other_school)
    ours = w.draft(w.alternating([liu, he]))
    w.publish(ours)
    jinan = content({"J": [wang]}, [
        block("J1", "J", "enterprise", date(2027, 4, 19), date(2027, 5, 14), 40, {wang: w.workshop})])
    theirs = w.draft(jinan, by=w.other_coordinator, school=w.other_school, title="Jinan spring 2027")
    over = {c.key: "the workshop opens a second bench for those weeks" for c in w.conflicts(theirs)}
    assert sorted(over) == [f"centre-over-capacity:{w.workshop}:2027-W16"]
    w.publish(theirs, over, by=w.other_coordinator)
    caught_up(container)

    assert expected(container, w.workshop, date(2027, 4, 12), date(2027, 5, 9)) == [
        ("2027-W15", 2, False, [(TITLE, 1, 2)]),
        ("2027-W16", 3, True, [(TITLE, 1, 1), (TITLE, 1, 2)]),
        ("2027-W17", 1, False, [(TITLE, 1, 1)]),
        ("2027-W18", 1, False, [(TITLE, 1, 1)]),
    ]

"""The calendars read model, fed from the schedules and placements event stores (embedded source), on SQLite and
PostgreSQL: each student's blocks and school calendar and each centre's expected students, from published plans
only, each published revision replacing the one before; who may read which calendar; and a view that does not
depend on how the two topics interleave.

The world is tests/service/schedule_world.py: the clock is Monday 2026-11-30; the spring term of 2027 runs from
1 March to 23 May; Liu and He (Qingdao Technician College) have agreed placements at Haier's Qingdao Workshop
(mentor m-wang) from 1 March to 30 June; their plan alternates school (A1), the workshop (A2) and school (A3).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.messaging.rebuild import rebuild, verify
from services.calendars.projection import CalendarsProjection
from services.common.errors import NotAllowed, NotFound
from services.common.scope import Scope
from tests.service.placement_world import TODAY
from tests.service.schedule_world import ScheduleWorld, block, build_schedule_world, content
from toolkit.cloudevents import CloudEventEncoder, ReceivedEvent, decode

pytestmark = pytest.mark.projection

EVERYONE = Scope()
LABOUR_DAY = (date(2027, 5, 3), date(2027, 5, 5), "Labour Day")
FINALS = (date(2027, 5, 17), date(2027, 5, 21), "Finals")
IN_A2 = date(2027, 4, 1)
"""A day of the first revision's enterprise block A2 (29 March - 23 April)."""


@pytest.fixture
def w(container: Container) -> ScheduleWorld:
    return build_schedule_world(container)


def caught_up(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def spring(w: ScheduleWorld, students: list[UUID], centre: UUID | None = None) -> dict[str, Any]:
    """Group A: school 1-26 March, the centre 29 March-23 April, school 26 April-21 May; Labour Day and Finals."""
    return w.alternating(students, centre, holidays=[LABOUR_DAY], exam_weeks=[FINALS])


def moved(w: ScheduleWorld, liu: UUID, he: UUID) -> dict[str, Any]:
    """The second revision: the enterprise weeks a week later (5-30 April), and only Liu goes to the workshop."""
    return content({"A": [liu, he]}, [
        block("A1", "A", "school", date(2027, 3, 1), date(2027, 4, 2)),
        block("A2", "A", "enterprise", date(2027, 4, 5), date(2027, 4, 30), 40, {liu: w.workshop}),
        block("A3", "A", "school", date(2027, 5, 3), date(2027, 5, 21)),
    ], holidays=[LABOUR_DAY], exam_weeks=[FINALS])


def he_stays_at_school(he: UUID) -> dict[str, str]:
    return {f"student-without-centre:A2:{he}": "He repeats the safety module at school instead"}


def published(w: ScheduleWorld, students: list[UUID], **draft: Any) -> UUID:
    plan = w.draft(spring(w, students), **draft)
    w.publish(plan, by=draft.get("by"))
    return plan


def spans(calendar: dict[str, Any]) -> list[tuple[str, str, str, str, str | None]]:
    return [(b["block_id"], b["kind"], b["start"], b["end"], b["centre_name"]) for b in calendar["blocks"]]


# -- what a calendar shows -----------------------------------------------------------------------------------------


def test_given_a_published_plan_when_a_student_reads_their_calendar_then_it_shows_their_school_and_enterprise_blocks_and_the_school_calendar(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan = published(w, [liu, he])
    caught_up(container)

    calendar = container.calendars_view.student_calendar(Scope(student_id=str(liu)), str(liu), TODAY)

    assert spans(calendar) == [
        ("A1", "school", "2027-03-01", "2027-03-26", None),
        ("A2", "enterprise", "2027-03-29", "2027-04-23", "Qingdao Workshop"),
        ("A3", "school", "2027-04-26", "2027-05-21", None),
    ]
    a2 = calendar["blocks"][1]
    assert (a2["plan_id"], a2["title"], a2["revision"], a2["group"]) == (
        str(plan), "mechatronics-2024", 1, "1")  # no title, no group name on the topics: the cohort, the position
    assert (a2["centre_id"], a2["centre_address"], a2["hours_per_week"]) == (str(w.workshop), "1 Haier Road", 40)
    assert [(h["name"], h["start"], h["end"]) for h in calendar["holidays"]] == [
        ("Labour Day", "2027-05-03", "2027-05-05")]
    assert [(x["name"], x["start"], x["end"]) for x in calendar["exam_weeks"]] == [("Finals", "2027-05-17", "2027-05-21")]
    assert [(p["plan_id"], p["revision"], p["group"], p["term"]) for p in calendar["plans"]] == [
        (str(plan), 1, "1", {"start": "2027-03-01", "end": "2027-05-23"})]


def test_given_a_draft_changed_and_never_published_then_no_calendar_shows_any_of_it(container, w) -> None:
    liu = w.placed("Liu Yang")
    plan = w.draft(spring(w, [liu]))
    w.schedules.change_draft(w.coordinator, plan, content=moved(w, liu, w.placed("He Jing")))
    caught_up(container)

    calendar = container.calendars_view.student_calendar(EVERYONE, str(liu), TODAY)
    assert (calendar["plans"], calendar["blocks"], calendar["holidays"], calendar["exam_weeks"]) == ([], [], [], [])
    assert container.calendars_view.centre_calendar(EVERYONE, str(w.workshop))["blocks"] == []


def test_given_a_published_plan_revised_then_every_calendar_shows_the_new_revision_and_nothing_of_the_old_one(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan = published(w, [liu, he])
    caught_up(container)
    w.revise(plan, moved(w, liu, he), overrides=he_stays_at_school(he))
    caught_up(container)
    view = container.calendars_view

    assert spans(view.student_calendar(EVERYONE, str(liu), TODAY)) == [
        ("A1", "school", "2027-03-01", "2027-04-02", None),
        ("A2", "enterprise", "2027-04-05", "2027-04-30", "Qingdao Workshop"),
        ("A3", "school", "2027-05-03", "2027-05-21", None),
    ]
    he_now = view.student_calendar(EVERYONE, str(he), TODAY)
    assert spans(he_now) == [("A1", "school", "2027-03-01", "2027-04-02", None),
                             ("A3", "school", "2027-05-03", "2027-05-21", None)]  # no centre: nowhere for A2
    assert {b["revision"] for b in he_now["blocks"]} == {2} and he_now["plans"][0]["revision"] == 2
    assert [h["revision"] for h in he_now["holidays"]] == [2]  # the school calendar is the new revision's too
    at_workshop = view.centre_calendar(EVERYONE, str(w.workshop))["blocks"]
    assert [(b["block_id"], b["revision"], b["start"], b["end"], b["students"]) for b in at_workshop] == [
        ("A2", 2, "2027-04-05", "2027-04-30", [{"student_id": str(liu)}])]


def test_given_two_schools_plans_at_one_centre_then_its_calendar_lists_each_block_and_names_students_only_to_who_may_know_them(
    container, w
) -> None:
    liu = w.placed("Liu Yang")
    wang = w.placed("Wang Lei", school=w.other_school)
    ours = published(w, [liu])
    theirs = published(w, [wang], by=w.other_coordinator, school=w.other_school, title="Jinan spring 2027")
    caught_up(container)
    view = container.calendars_view

    def shown(scope: Scope) -> list[tuple[str, str, int, list[dict[str, str]]]]:
        return [(b["plan_id"], b["block_id"], b["student_count"], b["students"])
                for b in sorted(view.centre_calendar(scope, str(w.workshop))["blocks"], key=lambda b: b["plan_id"])]

    jinan, ours_block = (str(theirs), "A2", 1, [{"student_id": str(wang)}]), (str(ours), "A2", 1, [
        {"student_id": str(liu)}])
    def by_plan(*blocks: tuple[str, str, int, list[dict[str, str]]]) -> list[tuple[str, str, int, list[Any]]]:
        return sorted(blocks, key=lambda b: b[0])

    assert shown(EVERYONE) == by_plan(jinan, ours_block)
    assert shown(Scope(enterprise_id=str(w.haier), mentor_id="m-wang")) == by_plan(jinan, ours_block)
    assert shown(Scope(school_id=str(w.school))) == by_plan((str(theirs), "A2", 1, []), ours_block)
    calendar = view.centre_calendar(EVERYONE, str(w.workshop))
    assert (calendar["centre_name"], calendar["centre_address"]) == ("Qingdao Workshop", "1 Haier Road")
    assert view.centre_calendar(EVERYONE, str(w.depot))["blocks"] == []  # known, and nobody planned there


def test_given_from_and_to_then_only_blocks_holidays_and_exam_weeks_overlapping_those_days_are_shown(
    container, w
) -> None:
    liu = w.placed("Liu Yang")
    published(w, [liu])
    caught_up(container)
    view = container.calendars_view

    april = view.student_calendar(EVERYONE, str(liu), TODAY, date(2027, 4, 1), date(2027, 4, 30))
    assert [b["block_id"] for b in april["blocks"]] == ["A2", "A3"]
    assert (april["from"], april["to"], april["holidays"], april["exam_weeks"]) == ("2027-04-01", "2027-04-30", [], [])
    may = view.student_calendar(EVERYONE, str(liu), TODAY, date(2027, 5, 4), None)
    assert ([b["block_id"] for b in may["blocks"]], [h["name"] for h in may["holidays"]],
            [x["name"] for x in may["exam_weeks"]]) == (["A3"], ["Labour Day"], ["Finals"])
    assert [b["block_id"] for b in view.centre_calendar(EVERYONE, str(w.workshop), None, date(2027, 3, 28))[
        "blocks"]] == []


# -- who may read which calendar ------------------------------------------------------------------------------------


def test_given_a_published_plan_then_a_student_reads_only_their_own_calendar_and_school_staff_only_their_schools(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    published(w, [liu, he])
    caught_up(container)
    view = container.calendars_view

    assert view.student_calendar(Scope(school_id=str(w.school)), str(liu), TODAY)["blocks"]
    with pytest.raises(NotAllowed):
        view.student_calendar(Scope(student_id=str(he)), str(liu), TODAY)
    with pytest.raises(NotAllowed):
        view.student_calendar(Scope(school_id=str(w.other_school)), str(liu), TODAY)
    with pytest.raises(NotAllowed):
        view.centre_calendar(Scope(student_id=str(liu)), str(w.workshop))


def test_given_a_mentor_then_they_read_the_calendar_of_a_student_at_their_centre_now_and_no_other(
    container, w
) -> None:
    liu = w.placed("Liu Yang")
    published(w, [liu])
    zhang = w.placed("Zhang Wei", start=date(2026, 11, 2))
    w.activate(zhang, next(iter(w.app.get_student(w.admin, zhang).placements)))  # active since 2 November
    caught_up(container)
    view = container.calendars_view
    wang = Scope(enterprise_id=str(w.haier), mentor_id="m-wang")
    zhao = Scope(enterprise_id=str(w.crrc), mentor_id="m-zhao")

    assert view.student_calendar(wang, str(zhang), TODAY)["student_id"] == str(zhang)  # placed there now
    with pytest.raises(NotAllowed):
        view.student_calendar(wang, str(liu), TODAY)  # agreed, but neither active nor in a block there yet
    assert [b["block_id"] for b in view.student_calendar(wang, str(liu), IN_A2)["blocks"]] == ["A1", "A2", "A3"]
    for student in (liu, zhang):
        with pytest.raises(NotAllowed):
            view.student_calendar(zhao, str(student), IN_A2)
    assert view.centre_calendar(wang, str(w.workshop))["blocks"]
    with pytest.raises(NotAllowed):
        view.centre_calendar(zhao, str(w.workshop))
    with pytest.raises(NotAllowed):
        view.centre_calendar(Scope(enterprise_id=str(w.crrc), mentor_id="m-wang"), str(w.workshop))


def test_given_nobody_knows_an_id_then_its_owner_sees_an_empty_calendar_and_staff_are_told_it_is_not_found(
    container, w
) -> None:
    caught_up(container)
    view = container.calendars_view
    stranger = "00000000-0000-4000-8000-000000000001"

    own = view.student_calendar(Scope(student_id=stranger), stranger, TODAY)
    assert (own["blocks"], own["holidays"], own["exam_weeks"], own["plans"]) == ([], [], [], [])
    for scope in (EVERYONE, Scope(school_id=str(w.school)), Scope(enterprise_id=str(w.haier), mentor_id="m-wang")):
        with pytest.raises(NotFound):
            view.student_calendar(scope, stranger, TODAY)
    with pytest.raises(NotFound):
        view.centre_calendar(EVERYONE, stranger)
    enrolled = w.enrol("Sun Li")
    caught_up(container)
    assert view.student_calendar(Scope(school_id=str(w.school)), str(enrolled), TODAY)["blocks"] == []


# -- one view, however the events arrive ---------------------------------------------------------------------------


def received(container: Container, context: str) -> list[ReceivedEvent]:
    app = container.app(context)
    encoder = CloudEventEncoder(app, context)
    return [decode(r.headers, r.value, topic=context, offset=r.position - 1)
            for r in (encoder.encode(n) for n in app.notifications(1, 10_000))]


def digest_after(container: Container, events: list[ReceivedEvent], suffix: str) -> str:
    """Apply the events in order to a set of tables aside (same database), in batches of five."""
    projection = CalendarsProjection()
    with container.view_db.transaction(suffix) as tx:
        projection.create_tables(tx)
    for start in range(0, len(events), 5):
        with container.view_db.transaction(suffix) as tx:
            projection.apply_batch(tx, events[start:start + 5])
    with container.view_db.transaction(suffix) as tx:
        return projection.digest(tx)


def test_given_a_published_and_revised_plan_when_the_topics_arrive_in_any_order_or_twice_then_the_view_is_the_same(
    container, w
) -> None:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan = published(w, [liu, he])
    w.revise(plan, moved(w, liu, he), overrides=he_stays_at_school(he))
    caught_up(container)
    projection = container.projection("calendars")
    with container.view_db.transaction() as tx:
        live = projection.digest(tx)
    schedules, placements = received(container, "schedules"), received(container, "placements")

    assert digest_after(container, schedules + placements, "__schedules_first") == live
    assert digest_after(container, placements + schedules, "__placements_first") == live
    alternating = [e for pair in zip(schedules, placements) for e in pair]
    rest = schedules[len(placements):] + placements[len(schedules):]
    assert digest_after(container, alternating + rest, "__alternating") == live
    with container.view_db.transaction() as tx:
        assert not any(projection.apply_batch(tx, schedules + placements))  # redelivered: nothing applied
        assert projection.digest(tx) == live
    assert verify(container, "calendars", embedded=True).matches
    rebuild(container, "calendars", embedded=True)
    assert [b["revision"] for b in container.calendars_view.student_calendar(EVERYONE, str(liu), TODAY)["blocks"]] == [
        2, 2, 2]

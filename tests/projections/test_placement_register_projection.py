"""The placement register and the centres' places, fed from the demo world, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.demo import DemoIds, person_id
from dualtrack.messaging.rebuild import rebuild, verify
from services.placement_register.views import Scope
from tests.support.demo import Seeded
from toolkit.cloudevents import CloudEventEncoder, decode

pytestmark = pytest.mark.projection


@pytest.fixture
def container(seeded: Seeded) -> Container:
    """The demo world, seeded once per database kind and copied for this test (tests/conftest.py)."""
    return seeded.container


@pytest.fixture
def demo(seeded: Seeded) -> DemoIds:
    for name in PROJECTION_CLASSES:
        seeded.container.projector(name, embedded=True).catch_up()
    return seeded.ids


def test_given_the_demo_then_the_register_lists_every_placement_with_its_state(container, demo) -> None:
    view = container.placement_register_view
    statuses = {p["id"]: p["status"] for p in view.placements_matching(Scope()).items}
    liu_first, liu_second, ma, zhou, he_withdrawn, he_current = demo.placements
    assert statuses == {liu_first: "transferred", liu_second: "active", ma: "completed", zhou: "stopped",
                        he_withdrawn: "withdrawn", he_current: "active",
                        **{spring: "agreed" for spring in demo.spring_placements},
                        **{on_its_way: "proposed" for on_its_way in demo.pipeline_placements}}


def test_given_filters_then_the_register_answers_by_school_centre_student_status_and_period(container, demo) -> None:
    view = container.placement_register_view
    liu_first, liu_second, ma, zhou, he_withdrawn, he_current = demo.placements
    qtc, szps = demo.schools
    hefei = demo.centres[1]
    assert {p["id"] for p in view.placements_matching(Scope(), school_id=szps).items} == {he_withdrawn, he_current}
    assert {p["id"] for p in view.placements_matching(Scope(), centre_id=hefei).items} == {ma, zhou}
    assert [p["id"] for p in view.placements_matching(Scope(), student_id=demo.students[0]).items] == [
        liu_first, liu_second]
    assert [p["id"] for p in view.placements_matching(Scope(), status="stopped").items] == [zhou]
    in_july = view.placements_matching(Scope(), period_from=date(2026, 7, 1), period_to=date(2026, 7, 31)).items
    assert {p["id"] for p in in_july} == {liu_first}
    page = view.placements_matching(Scope(), page=2, page_size=4)
    assert (page.total, len(page.items)) == (14, 4)


def test_given_a_scope_then_only_what_it_covers_is_seen(container, demo) -> None:
    view = container.placement_register_view
    qtc, _ = demo.schools
    assert view.placements_matching(Scope(school_id=qtc)).total == 4 + len(demo.spring_placements) + 2
    assert view.placements_matching(Scope(student_id=demo.students[3])).total == 2
    assert view.placements_matching(Scope(enterprise_id=demo.enterprises[1])).total == 2  # Liu's, Xu Lan's proposal
    with pytest.raises(Exception, match="not yours"):
        view.placement_with_history(Scope(student_id=demo.students[0]), demo.placements[2])


def test_given_a_placement_then_its_approvals_and_history_say_who_did_what_and_why(container, demo) -> None:
    liu_first = demo.placements[0]
    placement = container.placement_register_view.placement_with_history(Scope(), liu_first)
    assert placement["approvals"] == {"school": True, "enterprise": True, "student": True,
                                      "confirmed_by": "student", "mentor_id": person_id("mentor-wang")}
    assert placement["terms"]["version"] == 2 and placement["terms"]["planned_end"] == "2026-12-18"
    assert placement["ended_on"] == "2026-08-31" and placement["transferred_to"] == demo.placements[1]
    events = [h["event"] for h in placement["history"]]
    assert events[:5] == ["PlacementProposed", "PlacementApprovedBySchool", "PlacementApprovedByEnterprise",
                          "PlacementConfirmedByStudent", "PlacementAgreed"]
    assert events[-1] == "PlacementTransferred"
    pause = next(h for h in placement["history"] if h["event"] == "PlacementPaused")
    assert (pause["actor"], pause["role"], pause["reason_given"]) == (person_id("coordinator-chen"), "coordinator",
                                                                     True)
    assert pause["reason"] is None, "the reason is free text: not on the topic, read from the placements application"


def test_given_a_student_then_their_current_placement_is_the_running_one(container, demo) -> None:
    view = container.placement_register_view
    assert view.current_placement(Scope(), demo.students[0])["id"] == demo.placements[1]
    assert view.current_placement(Scope(), demo.students[3])["id"] == demo.placements[5]  # active since 2 November
    assert view.current_placement(Scope(), demo.students[1]) is None  # stopped


def test_given_places_booked_and_released_then_occupancy_and_hosted_students_follow(container, demo) -> None:
    centres = container.centres_view
    qingdao, hefei = demo.centres[0], demo.centres[1]
    hosted = centres.students_hosted(qingdao)
    assert [(h["student_id"], h["start"], h["end"]) for h in hosted if h["student_id"] in demo.students] == [
        (demo.students[0], "2026-03-02", "2026-08-31")]
    assert sorted(h["student_id"] for h in hosted if h["start"] == "2027-03-01") == sorted(demo.spring_cohort)
    weeks = centres.occupancy_by_week(hefei, date(2026, 3, 30), date(2026, 7, 12))["weeks"]
    held = {w["week_start"]: w["held"] for w in weeks}
    assert held["2026-03-30"] == 1 and held["2026-04-13"] == 2 and held["2026-06-08"] == 2
    assert held["2026-06-15"] == 1 and held["2026-06-29"] == 1 and held["2026-07-06"] == 0
    assert [w["over_capacity"] for w in weeks if w["week_start"] == "2026-04-13"] == [True]
    overrides = centres.capacity_overrides(hefei)
    assert [(o["placement_id"], o["justified_by"]) for o in overrides] == [(demo.placements[3], person_id("coordinator-chen"))]


def test_given_the_register_when_rebuilt_or_verified_or_redelivered_then_it_is_unchanged(container, demo) -> None:
    projection = container.projection("placement_register")
    with container.view_db.transaction() as tx:
        before = projection.digest(tx)
    encoder = CloudEventEncoder(container.placements, "placements")
    again = [decode(r.headers, r.value) for r in encoder.encode_all(container.placements.notifications(1, 10_000))]
    with container.view_db.transaction() as tx:
        assert not any(projection.apply_batch(tx, again))
        assert projection.digest(tx) == before
    rebuild(container, "placement_register", embedded=True)
    with container.view_db.transaction() as tx:
        assert projection.digest(tx) == before
    assert verify(container, "placement_register", embedded=True).matches
    assert verify(container, "centres", embedded=True).matches

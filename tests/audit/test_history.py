"""Histories and timelines replayed from the event stores of the demo world (SQLite and PostgreSQL): every event
with who, when, why and its facts, the state before and after it, and a student's events over every context in
recorded order."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from enum import Enum
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, person_id
from dualtrack.settings import CONTEXTS
from services.audit.history import AggregateHistory, EventLog, plain
from services.audit.timeline import student_timeline, summary
from services.common.errors import NotFound
from services.common.identity import Actor, CommandContext, Role
from services.credentials.domain.account import credit_account_id
from services.training.domain import training_record_id
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored


@pytest.fixture
def container(seeded: Seeded) -> Container:
    """The demo world, seeded once per database kind and copied for this test (tests/conftest.py)."""
    return seeded.container


@pytest.fixture
def demo(seeded: Seeded) -> DemoIds:
    return seeded.ids


def history_of(container: Container, context: str, aggregate_id: Any, **page: int) -> dict[str, Any]:
    return AggregateHistory(EventLog(container.apps()), context, UUID(str(aggregate_id))).page(**page)


def keys_everywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_everywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_everywhere(v)}
    return set()


def test_given_liu_s_placements_when_her_student_aggregate_s_history_is_read_then_each_event_shows_the_state_before_and_after_it(
        container: Container, demo: DemoIds) -> None:
    liu, first, second = demo.students[0], demo.placements[0], demo.placements[1]

    history = history_of(container, "placements", liu, limit=1000)

    events = history["events"]
    assert (history["aggregate_type"], history["version"], history["next_from_version"]) == ("Student", 21, None)
    assert [e["version"] for e in events] == list(range(1, 22))
    assert events[0]["type"] == "StudentEnrolled" and events[0]["state_before"] is None
    assert events[0]["state_after"]["name"] == "Liu Yang" and events[0]["state_after"]["placements"] == {}
    for earlier, later in zip(events, events[1:]):
        assert later["state_before"] == earlier["state_after"]

    activated = next(e for e in events if e["type"] == "PlacementActivated" and e["data"]["placement_id"] == first)
    assert activated["state_before"]["placements"][first]["status"] == "agreed"
    assert activated["state_after"]["placements"][first]["status"] == "active"
    assert activated["state_after"]["placements"][first]["activated_on"] == "2026-03-02"
    assert (activated["actor"], activated["role"], activated["correlation_id"]) == (
        person_id("coordinator-chen"), "coordinator", "demo-coordinator-chen")

    paused = next(e for e in events if e["type"] == "PlacementPaused")
    assert paused["reason"] == "hand injury, two weeks' rest" and paused["data"]["on"] == "2026-05-04"
    assert paused["state_after"]["placements"][first]["pauses"] == [["2026-05-04", None]]
    resumed = next(e for e in events if e["type"] == "PlacementResumed")
    assert resumed["state_after"]["placements"][first]["pauses"] == [["2026-05-04", "2026-05-18"]]

    amended = next(e for e in events if e["type"] == "PlacementAmendmentAgreed")
    assert amended["state_before"]["placements"][first]["terms"]["planned_end"] == "2026-07-10"
    assert amended["state_after"]["placements"][first]["terms"]["planned_end"] == "2026-12-18"

    transferred = next(e for e in events if e["type"] == "PlacementTransferred")
    assert transferred["data"]["to_placement_id"] == second
    assert transferred["state_before"]["placements"][first]["status"] == "active"
    assert transferred["state_after"]["placements"][first]["status"] == "transferred"
    assert transferred["state_after"]["placements"][first]["transferred_to"] == second
    assert transferred["reason"] == "rotation to rail maintenance"

    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert not {k for k in keys_everywhere([e["state_before"] for e in events] + [e["state_after"] for e in events])
                if k.startswith("_")}
    json.dumps(history)


def test_given_a_page_from_a_version_when_the_history_is_read_then_the_state_before_its_first_event_is_the_one_the_events_before_left(
        container: Container, demo: DemoIds) -> None:
    whole = history_of(container, "placements", demo.students[0], limit=1000)["events"]

    page = history_of(container, "placements", demo.students[0], from_version=10, limit=3)

    assert [e["version"] for e in page["events"]] == [10, 11, 12] and page["next_from_version"] == 13
    assert page["events"] == whole[9:12]
    assert page["events"][0]["state_before"] == whole[8]["state_after"]


def test_given_liu_s_training_record_when_its_history_is_read_then_the_rejection_and_correction_show_the_entry_s_revisions_and_status(
        container: Container, demo: DemoIds) -> None:
    events = history_of(container, "training", training_record_id(demo.students[0]), limit=1000)["events"]

    rejected = next(e for e in events if e["type"] == "PracticeRejected")
    corrected = next(e for e in events if e["type"] == "PracticeCorrected")
    entry = rejected["data"]["entry_id"]
    assert rejected["state_before"]["entries"][entry]["status"] == "pending"
    assert rejected["state_after"]["entries"][entry]["status"] == "rejected"
    assert rejected["business_date"] == "2026-11-26" and rejected["actor"] == person_id("mentor-zhao")
    assert corrected["state_after"]["entries"][entry]["status"] == "pending"
    assert [r["day"] for r in corrected["state_after"]["entries"][entry]["revisions"]] == ["2026-11-26", "2026-11-27"]
    assert corrected["data"]["corrects_revision"] == 1 and corrected["reason"] == "moved to the day it happened"
    combined = events[-1]["state_after"]["combined"]
    assert list(combined) == [f"{demo.placements[1]}/MEC-01"]  # (placement, competency) keys joined


def test_given_every_aggregate_of_the_demo_when_its_history_is_replayed_then_the_last_state_is_the_repository_s_aggregate(
        container: Container, demo: DemoIds) -> None:
    log = EventLog(container.apps())
    for context in CONTEXTS:
        app = container.app(context)
        for aggregate_id in dict.fromkeys(n.originator_id for n in app.notifications(1, 100_000)):
            history = AggregateHistory(log, context, UUID(str(aggregate_id)))
            last = history.page(limit=1000)["events"][-1]
            assert last["state_after"] == plain(app.repository.get(aggregate_id)), (context, aggregate_id)
            json.dumps(last)


def test_given_an_unknown_aggregate_or_context_when_its_history_is_asked_for_then_not_found(
        container: Container, demo: DemoIds) -> None:
    log = EventLog(container.apps())
    with pytest.raises(NotFound, match="no aggregate"):
        AggregateHistory(log, "placements", UUID(int=7))
    with pytest.raises(NotFound, match="no context"):
        AggregateHistory(log, "payroll", UUID(demo.students[0]))


class Colour(Enum):
    RED = "red"


class Slotted:
    __slots__ = ("shown", "_hidden")

    def __init__(self) -> None:
        self.shown, self._hidden = {1, 3, 2}, "secret"


def test_given_state_of_any_shape_when_pictured_then_it_is_plain_json_without_private_attributes() -> None:
    class Thing:
        def __init__(self) -> None:
            self.when = date(2026, 11, 23)
            self.at = time(8, 30)
            self.colour = Colour.RED
            self.by_pair = {("a", "b"): frozenset({"y", "x"})}
            self.slotted = Slotted()
            self._private = "left out"
            self.me = self

    pictured = plain(Thing())

    assert pictured["when"] == "2026-11-23" and pictured["at"] == "08:30:00" and pictured["colour"] == "red"
    assert pictured["by_pair"] == {"a/b": ["x", "y"]}
    assert pictured["slotted"] == {"shown": [1, 2, 3]}
    assert "_private" not in pictured and isinstance(pictured["me"], str)  # a cycle is named, not followed
    json.dumps(pictured)


# -- the timeline ---------------------------------------------------------------------------------------------
def test_given_liu_when_her_timeline_is_read_then_it_holds_her_events_of_every_context_in_recorded_order(
        container: Container, demo: DemoIds) -> None:
    liu = demo.students[0]
    log = EventLog(container.apps())

    items = student_timeline(log, liu)["items"]

    recorded = [datetime.fromisoformat(i["recorded_at"]) for i in items]
    assert recorded == sorted(recorded)
    assert items[0]["type"] == "StudentEnrolled" and items[0]["summary"] == (
        "Enrolled Liu Yang in mechatronics, cohort 2024, from 2024-09-01")
    by_aggregate: dict[tuple[str, str], list[int]] = {}
    for i in items:
        by_aggregate.setdefault((i["context"], i["aggregate_id"]), []).append(i["version"])
    winter = demo.plans[0]
    assert by_aggregate[("placements", liu)] == list(range(1, 22))
    assert by_aggregate[("training", str(training_record_id(liu)))] == list(range(1, 21))
    assert by_aggregate[("credentials", str(credit_account_id(liu)))] == list(range(1, 6))
    assert by_aggregate[("schedules", winter)] == [1, 2]
    assert demo.plans[1] not in {a for _, a in by_aggregate}  # the spring plan never names her
    centres = {(i["aggregate_id"], i["type"]) for i in items if i["aggregate_type"] == "TrainingCentre"}
    assert centres == {(demo.centres[0], "PlaceBooked"), (demo.centres[0], "PlaceRescheduled"),
                       (demo.centres[0], "PlaceReleased"), (demo.centres[2], "PlaceBooked")}
    assert [i["type"] for i in items if i["aggregate_type"] == "OrderClass"] == [
        "StudentsProposedForOrder", "StudentsAssignedToOrder"]
    training = [i["type"] for i in items if i["context"] == "training"]
    assert training.index("PracticeRejected") < training.index("PracticeCorrected")
    rejection = next(i for i in items if i["type"] == "PracticeRejected")
    assert rejection["summary"] == (
        "Practice entry rejected (revision 1): the interlock was programmed on Friday, not Thursday")
    assert (rejection["actor"], rejection["role"], rejection["business_date"]) == (
        person_id("mentor-zhao"), "mentor", "2026-11-26")
    assert all(i["summary"] and "\n" not in i["summary"] for i in items)


def test_given_a_command_sent_with_a_client_correlation_id_then_its_history_shows_the_servers_id_and_the_clients_beside_it(
        container: Container, demo: DemoIds) -> None:
    ctx = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="f2b1c0de-server-made",
                         client_correlation_id="client-42")
    rail = UUID(demo.centres[2])
    container.placements.change_centre_capacity(ctx, rail, capacity=7, reason="a third bay opened")

    history = history_of(container, "placements", rail, limit=1000)
    changed = history["events"][-1]
    assert (changed["type"], changed["correlation_id"], changed["client_correlation_id"]) == (
        "CentreCapacityChanged", "f2b1c0de-server-made", "client-42")
    assert history["events"][0]["client_correlation_id"] is None  # the demo's commands came with none


def test_given_liu_s_timeline_when_compared_with_her_aggregates_histories_then_every_item_is_one_of_their_events(
        container: Container, demo: DemoIds) -> None:
    log = EventLog(container.apps())
    items = student_timeline(log, demo.students[0])["items"]

    for item in items:
        history = AggregateHistory(log, item["context"], UUID(item["aggregate_id"]))
        event = history.page(from_version=item["version"], limit=1)["events"][0]
        assert {k: event[k] for k in ("type", "recorded_at", "actor", "role", "reason", "business_date",
                                      "correlation_id")} == {k: item[k] for k in ("type", "recorded_at", "actor",
                                                                                 "role", "reason", "business_date",
                                                                                 "correlation_id")}


def test_given_zhou_when_his_timeline_is_read_then_it_holds_his_stopped_placement_and_no_one_else_s_events(
        container: Container, demo: DemoIds) -> None:
    zhou = demo.students[1]

    items = student_timeline(EventLog(container.apps()), zhou)["items"]

    assert {i["context"] for i in items} == {"placements", "credentials"}
    assert "PlacementStopped" in [i["type"] for i in items]
    assert {i["aggregate_id"] for i in items if i["aggregate_type"] == "Student"} == {zhou}
    hefei = [i for i in items if i["aggregate_type"] == "TrainingCentre"]
    assert {i["type"] for i in hefei} >= {"PlaceBooked", "CapacityOverrideGranted"}


def test_given_an_event_type_without_a_template_when_summarised_then_its_name_and_short_facts_make_the_line() -> None:
    assert summary("ReadLogOpened", {"student_id": "s-1", "notes": ["a"]}) == "Read log opened: student_id s-1"

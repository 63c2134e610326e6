"""A rotation plan through HTTP, the relays, Kafka and the `calendars` and `centres` projectors: drafted,
published and revised, with the student's calendar (JSON and iCalendar) and the centre's expected occupancy
read back after each step with the command's wait_token."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from icalendar import Calendar

from dualtrack.bootstrap import Container
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import Processes
from tests.e2e.journeys import ApiJourney, place_a_mechatronics_student, read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

ADMIN = bearer(Role.ADMIN, "admin")
TODAY = date(2026, 11, 30)
WINTER = {"from": "2026-11-30", "to": "2027-01-24"}


def plan_content(student: str, centre: str, enterprise: tuple[str, str]) -> dict[str, Any]:
    """School from 30 November, the centre for the `enterprise` days, school again until 22 January."""
    start, end = enterprise
    return {
        "term": {"start": "2026-11-30", "end": "2027-01-24"},
        "calendar": {"holidays": [{"start": "2027-01-01", "end": "2027-01-01", "name": "New Year's Day"}],
                     "exam_weeks": []},
        "groups": [{"name": "A", "students": [student]}],
        "blocks": [
            {"id": "A1", "group": "A", "kind": "school", "start": "2026-11-30", "end": "2026-12-11",
             "hours_per_week": None, "assignments": []},
            {"id": "A2", "group": "A", "kind": "enterprise", "start": start, "end": end, "hours_per_week": 40,
             "assignments": [{"student_id": student, "centre_id": centre}]},
            {"id": "A3", "group": "A", "kind": "school", "start": "2027-01-11", "end": "2027-01-22",
             "hours_per_week": None, "assignments": []},
        ],
    }


def test_given_a_plan_published_then_revised_then_the_students_calendar_and_the_centres_expected_occupancy_follow(
    e2e_settings, processes: Processes
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    container.placements.today = lambda: TODAY  # type: ignore[method-assign]
    container.training.today = lambda: TODAY  # type: ignore[method-assign]
    http = create_app(container).test_client()
    for command in (("relay", "placements"), ("relay", "schedules"), ("project", "calendars"),
                    ("project", "centres")):
        processes.start(*command)
    journey = ApiJourney(http, processes)
    post, read = journey.post, journey.read

    placed = place_a_mechatronics_student(post, ADMIN)
    student, centre, coordinator, mentor, me = placed.student, placed.centre, placed.coordinator, placed.mentor, placed.me
    calendar_path, feed_path = f"/students/{student}/calendar", f"/students/{student}/calendar.ics"

    def occupancy(token: str, attempts: int = 1) -> dict[str, int]:
        weeks = read(f"/centres/{centre}/expected-occupancy", token, coordinator, attempts=attempts, **WINTER)
        assert all(w["capacity"] == 2 and not w["over_capacity"] for w in weeks)
        return {w["week"]: w["expected"] for w in weeks if w["expected"]}

    def feed(token: str) -> list[Any]:
        response = http.get(f"/api/v1{feed_path}", query_string={"wait_for": token, "wait_timeout": 10}, headers=me)
        assert response.status_code == 200, (response.status_code, journey.logs())
        assert response.mimetype == "text/calendar"
        return [e for e in Calendar.from_ical(response.data).walk("VEVENT")]

    # -- drafted: nothing shows yet ----------------------------------------------------------------------------
    first = plan_content(student, centre, ("2026-12-14", "2026-12-25"))
    drafted = post("/rotation-plans", {"school_id": placed.school, "cohort": "mechatronics-2024",
                                       "title": "Mechatronics 2024: winter", "content": first}, coordinator, 201)
    plan = drafted["id"]
    assert read(calendar_path, placed.activated["wait_token"], me, attempts=3)["blocks"] == []
    conflicts = http.get(f"/api/v1/rotation-plans/{plan}/conflicts", headers=coordinator)
    assert conflicts.status_code == 200 and conflicts.json == []

    # -- published: the student's calendar and the centre's weeks ----------------------------------------------
    published = post(f"/rotation-plans/{plan}/publication", {"overrides": []}, coordinator)
    calendar = read(calendar_path, published["wait_token"], me)
    assert [(b["block_id"], b["kind"], b["start"], b["end"], b["centre_id"], b["revision"])
            for b in calendar["blocks"]] == [
        ("A1", "school", "2026-11-30", "2026-12-11", None, 1),
        ("A2", "enterprise", "2026-12-14", "2026-12-25", centre, 1),
        ("A3", "school", "2027-01-11", "2027-01-22", None, 1)]
    assert [h["name"] for h in calendar["holidays"]] == ["New Year's Day"]
    assert occupancy(published["wait_token"], attempts=3) == {"2026-W51": 1, "2026-W52": 1}
    events = {str(e["UID"]): e for e in feed(published["wait_token"])}
    enterprise_uid = next(uid for uid, e in events.items() if "A2" in str(e["SUMMARY"]))
    a2 = events[enterprise_uid]
    assert (a2.decoded("DTSTART"), a2.decoded("DTEND"), int(a2["SEQUENCE"])) == (
        date(2026, 12, 14), date(2026, 12, 26), 1)  # all-day; DTEND is the day after the last
    assert len(events) == 4  # three blocks and the holiday

    # The mentor sees the centre's schedule.
    centre_calendar = read(f"/centres/{centre}/calendar", published["wait_token"], mentor)
    assert [(b["block_id"], [s["student_id"] for s in b["students"]]) for b in centre_calendar["blocks"]] == [
        ("A2", [student])]

    # -- revised with a reason: refused over New Year's Day until overridden, then everything follows -------------
    second = plan_content(student, centre, ("2026-12-21", "2027-01-08"))
    revision = {"content": second, "reason": "the depot moved its training weeks after Christmas", "overrides": []}
    refused = http.post(f"/api/v1/rotation-plans/{plan}/revisions", json=revision, headers=coordinator)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "plan-has-conflicts"
    [holiday] = refused.json["error"]["details"]["conflicts"]
    assert (holiday["kind"], holiday["week"]) == ("enterprise-block-on-holiday", "2026-W53")
    revised = post(f"/rotation-plans/{plan}/revisions", {**revision, "overrides": [
        {"key": holiday["key"], "justification": "the depot's apprentices are off that day; no practice planned"}]},
        coordinator, 201)
    calendar = read(calendar_path, revised["wait_token"], me)
    a2_now = next(b for b in calendar["blocks"] if b["block_id"] == "A2")
    assert (a2_now["start"], a2_now["end"], a2_now["revision"]) == ("2026-12-21", "2027-01-08", 2)
    assert occupancy(revised["wait_token"]) == {"2026-W52": 1, "2026-W53": 1, "2027-W01": 1}
    a2 = {str(e["UID"]): e for e in feed(revised["wait_token"])}[enterprise_uid]  # the same event, updated
    assert (a2.decoded("DTSTART"), a2.decoded("DTEND"), int(a2["SEQUENCE"])) == (
        date(2026, 12, 21), date(2027, 1, 9), 2)

    history = http.get(f"/api/v1/rotation-plans/{plan}/revisions", headers=coordinator).json
    assert [(r["number"], r["reason"]) for r in history] == [
        (1, None), (2, "the depot moved its training weeks after Christmas")]
    changes = http.get(f"/api/v1/rotation-plans/{plan}/changes", query_string={"from": 1, "to": 2},
                       headers=coordinator).json
    assert changes["blocks_changed"] == [{"block_id": "A2", "changes": {
        "start": {"from": "2026-12-14", "to": "2026-12-21"}, "end": {"from": "2026-12-25", "to": "2027-01-08"}}}]

    # -- the events went through Kafka ---------------------------------------------------------------------------
    records = read_topic(e2e_settings.kafka_bootstrap_servers, e2e_settings.topic("schedules"))
    types = [dict(r.headers)["ce_type"].decode() for r in records]
    for name in ("RotationPlanDrafted", "RotationPlanPublished", "PlanConflictOverridden", "RotationPlanRevised"):
        assert types.count(f"dualtrack.schedules.{name}.v2") == 1, (name, types)  # v2: no plan title

    print(f"\n{journey.wait_summary()}")
    container.close()

"""Calendars through HTTP, as a student's phone, a mentor's calendar app or a coordinator's browser meets them: the
JSON answers, the iCalendar feeds (parsed with icalendar, as a calendar app would), who may read which calendar,
and the centres' expected occupancy and the student's current block that published plans feed.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrised). The world is
tests/service/schedule_world.py: the clock is Monday 2026-11-30; Liu and He (Qingdao Technician College) have
agreed placements at Haier's Qingdao Workshop (mentor m-wang) from 1 March to 30 June 2027; their plan alternates
school (A1, 1-26 March), the workshop (A2, 29 March - 23 April) and school (A3, 26 April - 21 May).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from icalendar import Calendar

from services.common.identity import Role
from tests.conftest import bearer
from tests.service.placement_world import TODAY
from tests.service.schedule_world import ScheduleWorld, block, build_schedule_world, content
from toolkit.http.freshness import signed_token

pytestmark = pytest.mark.api

LABOUR_DAY = (date(2027, 5, 3), date(2027, 5, 5), "Labour Day")
FINALS = (date(2027, 5, 17), date(2027, 5, 21), "Finals")
IN_A2 = date(2027, 4, 1)
TITLE = "Mechatronics 2024, spring 2027"
SHOWN_AS = "mechatronics-2024"
"""A calendar names a plan by its cohort: the title is free text, and never published."""
STRANGER = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def w(client: Any) -> ScheduleWorld:
    world = build_schedule_world(client.container)
    client.container.training.today = lambda: TODAY  # the clock read models answer "today" by
    return world


@pytest.fixture
def plan(client: Any, w: ScheduleWorld) -> Plan:
    liu, he = w.placed("Liu Yang"), w.placed("He Jing")
    plan_id = w.draft(w.alternating([liu, he], holidays=[LABOUR_DAY], exam_weeks=[FINALS]))
    published = w.publish(plan_id)
    client.project()
    return Plan(plan_id, liu, he, published.token)


class Plan:
    """The published spring plan: its id, its two students and the wait token its publication answered."""

    def __init__(self, plan_id: UUID, liu: UUID, he: UUID, token: str) -> None:
        self.id, self.liu, self.he, self.token = plan_id, liu, he, token


def signed(client: Any, token: str) -> str:
    """A command's token as the API hands it out (signed with the deployment's secret)."""
    with client.http.application.app_context():
        return signed_token(token)


def student(student_id: Any) -> dict[str, str]:
    return bearer(Role.STUDENT, f"student-{student_id}", student_id=str(student_id))


def guardian(student_id: Any) -> dict[str, str]:
    return bearer(Role.GUARDIAN, f"guardian-{student_id}", student_id=str(student_id))


def enterprise_admin(w: ScheduleWorld, centre: UUID) -> dict[str, str]:
    subject, enterprise = {w.workshop: ("ea-zhou", w.haier), w.depot: ("ea-qian", w.crrc)}[centre]
    return bearer(Role.ENTERPRISE_ADMIN, subject, enterprise_id=str(enterprise))


def coordinator(school: UUID) -> dict[str, str]:
    return bearer(Role.COORDINATOR, "coord", school_id=str(school))


def teacher(school: UUID) -> dict[str, str]:
    return bearer(Role.TEACHER, "teacher-gao", school_id=str(school))


def mentor(w: ScheduleWorld, centre: UUID) -> dict[str, str]:
    subject, enterprise = {w.workshop: ("m-wang", w.haier), w.depot: ("m-zhao", w.crrc)}[centre]
    return bearer(Role.MENTOR, subject, enterprise_id=str(enterprise))


ADMIN = bearer(Role.ADMIN, "admin-1")
AUDITOR = bearer(Role.AUDITOR, "auditor-1")


def events_of(response: Any) -> list[Any]:
    """The VEVENTs of an iCalendar answer, as a calendar app reads them, by start day and summary."""
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    feed = Calendar.from_ical(response.data)
    assert (str(feed["VERSION"]), str(feed["PRODID"])) == ("2.0", "-//dualtrack//calendars//EN")
    return sorted(feed.walk("VEVENT"), key=lambda e: (e.decoded("DTSTART"), str(e["SUMMARY"])))


def seen(event: Any) -> tuple[str, date, date, int, str | None]:
    """What a user sees of an event: summary, first day, the day after the last, revision, location."""
    location = event.get("LOCATION")
    return (str(event["SUMMARY"]), event.decoded("DTSTART"), event.decoded("DTEND"), int(event["SEQUENCE"]),
            str(location) if location is not None else None)


def moved(w: ScheduleWorld, liu: UUID, he: UUID) -> dict[str, Any]:
    """The second revision: the workshop a week later (5-30 April), only Liu; the same school calendar."""
    return content({"A": [liu, he]}, [
        block("A1", "A", "school", date(2027, 3, 1), date(2027, 4, 2)),
        block("A2", "A", "enterprise", date(2027, 4, 5), date(2027, 4, 30), 40, {liu: w.workshop}),
        block("A3", "A", "school", date(2027, 5, 3), date(2027, 5, 21)),
    ], holidays=[LABOUR_DAY], exam_weeks=[FINALS])


# -- a student's calendar ------------------------------------------------------------------------------------------


def test_given_a_published_plan_when_the_student_asks_for_their_calendar_with_the_publications_token_then_it_shows_their_blocks(
    client, w, plan
) -> None:
    response = client.get(f"/api/v1/students/{plan.liu}/calendar",
                          query_string={"wait_for": signed(client, plan.token)}, headers=student(plan.liu))

    assert response.status_code == 200, response.json
    body = response.json
    assert [(b["block_id"], b["kind"], b["start"], b["end"], b["centre_name"], b["hours_per_week"])
            for b in body["blocks"]] == [
        ("A1", "school", "2027-03-01", "2027-03-26", None, None),
        ("A2", "enterprise", "2027-03-29", "2027-04-23", "Qingdao Workshop", 40),
        ("A3", "school", "2027-04-26", "2027-05-21", None, None),
    ]
    assert {(b["plan_id"], b["title"], b["revision"]) for b in body["blocks"]} == {(str(plan.id), SHOWN_AS, 1)}
    assert body["blocks"][1]["centre_id"] == str(w.workshop)
    assert [(h["name"], h["start"], h["end"]) for h in body["holidays"]] == [("Labour Day", "2027-05-03", "2027-05-05")]
    assert [(x["name"], x["start"]) for x in body["exam_weeks"]] == [("Finals", "2027-05-17")]

    april = client.get(f"/api/v1/students/{plan.liu}/calendar", query_string={"from": "2027-04-01", "to": "2027-04-30"},
                       headers=student(plan.liu)).json
    assert [b["block_id"] for b in april["blocks"]] == ["A2", "A3"] and (april["from"], april["to"]) == (
        "2027-04-01", "2027-04-30")


def test_given_a_published_plan_when_the_student_subscribes_to_the_feed_then_every_block_holiday_and_exam_week_is_an_all_day_event(
    client, w, plan
) -> None:
    response = client.get(f"/api/v1/students/{plan.liu}/calendar.ics", headers=student(plan.liu))

    events = events_of(response)
    assert [seen(e) for e in events] == [
        ("School block A1", date(2027, 3, 1), date(2027, 3, 27), 1, None),
        ("Enterprise block A2 at Qingdao Workshop", date(2027, 3, 29), date(2027, 4, 24), 1, "Qingdao Workshop"),
        ("School block A3", date(2027, 4, 26), date(2027, 5, 22), 1, None),
        ("Holiday: Labour Day", date(2027, 5, 3), date(2027, 5, 6), 1, None),
        ("Exam week: Finals", date(2027, 5, 17), date(2027, 5, 22), 1, None),
    ]
    assert all(e.decoded("DTSTART").__class__ is date for e in events)  # VALUE=DATE: all-day
    assert b"DTSTART;VALUE=DATE:20270329" in response.data and b"DTEND;VALUE=DATE:20270424" in response.data
    assert [str(e["UID"]) for e in events[:3]] == [f"{plan.id}.{b}.{plan.liu}@dualtrack" for b in ("A1", "A2", "A3")]
    assert len({str(e["UID"]) for e in events}) == 5
    published_at = datetime.fromisoformat(client.get(f"/api/v1/students/{plan.liu}/calendar",
                                                     headers=student(plan.liu)).json["blocks"][0]["recorded_at"])
    assert {e.decoded("DTSTAMP") for e in events} == {published_at.astimezone(UTC).replace(microsecond=0)}
    assert "1 Haier Road" in str(events[1]["DESCRIPTION"])
    assert client.get(f"/api/v1/students/{plan.liu}/calendar.ics", headers=student(plan.liu)).data == response.data


def test_given_the_plan_revised_when_the_feed_is_fetched_again_then_each_block_keeps_its_uid_with_the_next_sequence(
    client, w, plan
) -> None:
    before = {str(e["UID"]): e for e in events_of(client.get(f"/api/v1/students/{plan.liu}/calendar.ics",
                                                             headers=student(plan.liu)))}
    w.revise(plan.id, moved(w, plan.liu, plan.he),
             overrides={f"student-without-centre:A2:{plan.he}": "He repeats the safety module at school"})
    client.project()

    after = events_of(client.get(f"/api/v1/students/{plan.liu}/calendar.ics", headers=student(plan.liu)))
    assert [seen(e) for e in after] == [
        ("School block A1", date(2027, 3, 1), date(2027, 4, 3), 2, None),
        ("Enterprise block A2 at Qingdao Workshop", date(2027, 4, 5), date(2027, 5, 1), 2, "Qingdao Workshop"),
        ("Holiday: Labour Day", date(2027, 5, 3), date(2027, 5, 6), 2, None),
        ("School block A3", date(2027, 5, 3), date(2027, 5, 22), 2, None),
        ("Exam week: Finals", date(2027, 5, 17), date(2027, 5, 22), 2, None),
    ]
    assert {str(e["UID"]) for e in after} == set(before)  # the same events, updated in place
    assert all(e.decoded("DTSTAMP") >= before[str(e["UID"])].decoded("DTSTAMP") for e in after)
    he = events_of(client.get(f"/api/v1/students/{plan.he}/calendar.ics", headers=student(plan.he)))
    assert [str(e["SUMMARY"]) for e in he if "block" in str(e["SUMMARY"])] == ["School block A1", "School block A3"]


def test_given_a_student_with_nothing_published_then_they_get_an_empty_calendar_and_staff_are_told_the_id_is_unknown(
    client, w
) -> None:
    client.project()

    own = client.get(f"/api/v1/students/{STRANGER}/calendar", headers=student(STRANGER))
    assert own.status_code == 200 and (own.json["blocks"], own.json["holidays"]) == ([], [])
    assert events_of(client.get(f"/api/v1/students/{STRANGER}/calendar.ics", headers=student(STRANGER))) == []
    unknown = client.get(f"/api/v1/students/{STRANGER}/calendar", headers=ADMIN)
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "not-found")
    enrolled = w.enrol("Sun Li")
    client.project()
    assert client.get(f"/api/v1/students/{enrolled}/calendar", headers=coordinator(w.school)).json["blocks"] == []


def test_given_a_published_plan_then_the_student_their_school_admins_auditors_and_their_mentor_while_there_read_the_calendar_and_nobody_else(
    client, w, plan
) -> None:
    callers = {
        "the student": (student(plan.liu), 200),
        "a classmate": (student(plan.he), 403),
        "a coordinator of the school": (coordinator(w.school), 200),
        "a teacher of the school": (teacher(w.school), 200),
        "a coordinator of another school": (coordinator(w.other_school), 403),
        "a teacher of another school": (teacher(w.other_school), 403),
        "the workshop's mentor before the student is there": (mentor(w, w.workshop), 403),
        "the depot's mentor": (mentor(w, w.depot), 403),
        "an admin": (ADMIN, 200),
        "an auditor": (AUDITOR, 200),
    }
    for path in ("calendar", "calendar.ics"):
        answered = {who: client.get(f"/api/v1/students/{plan.liu}/{path}", headers=headers).status_code
                    for who, (headers, _) in callers.items()}
        assert answered == {who: status for who, (_, status) in callers.items()}, path
    refused = client.get(f"/api/v1/students/{plan.liu}/calendar.ics", headers=student(plan.he))
    assert refused.json["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/students/{plan.liu}/calendar").status_code == 401

    client.container.training.today = lambda: IN_A2  # Liu is at the workshop now
    assert client.get(f"/api/v1/students/{plan.liu}/calendar", headers=mentor(w, w.workshop)).status_code == 200
    assert client.get(f"/api/v1/students/{plan.liu}/calendar", headers=mentor(w, w.depot)).status_code == 403


def test_given_a_published_plan_then_the_students_guardian_reads_their_calendar_and_a_classmates_guardian_does_not(
    client, w, plan
) -> None:
    for path in ("calendar", "calendar.ics"):
        answered = {who: client.get(f"/api/v1/students/{plan.liu}/{path}", headers=headers).status_code
                    for who, headers in (("the student's guardian", guardian(plan.liu)),
                                         ("a classmate's guardian", guardian(plan.he)))}
        assert answered == {"the student's guardian": 200, "a classmate's guardian": 403}, path
    own = client.get(f"/api/v1/students/{plan.liu}/calendar", headers=guardian(plan.liu)).json
    assert [b["block_id"] for b in own["blocks"]] == ["A1", "A2", "A3"]


def test_given_a_published_plan_then_the_hosts_enterprise_admin_reads_the_calendar_while_the_student_is_there_and_another_enterprises_never(
    client, w, plan
) -> None:
    client.container.training.today = lambda: IN_A2  # Liu is at the workshop now
    for path in ("calendar", "calendar.ics"):
        answered = {who: client.get(f"/api/v1/students/{plan.liu}/{path}", headers=headers).status_code
                    for who, headers in (("the workshop's", enterprise_admin(w, w.workshop)),
                                         ("the depot's", enterprise_admin(w, w.depot)))}
        assert answered == {"the workshop's": 200, "the depot's": 403}, path


# -- a centre's calendar -------------------------------------------------------------------------------------------


def test_given_a_published_plan_when_the_centres_mentor_subscribes_to_its_feed_then_one_event_per_block_names_the_students(
    client, w, plan
) -> None:
    body = client.get(f"/api/v1/centres/{w.workshop}/calendar", headers=mentor(w, w.workshop)).json
    assert (body["centre_name"], body["centre_address"]) == ("Qingdao Workshop", "1 Haier Road")
    assert [(b["plan_id"], b["block_id"], b["start"], b["end"], b["student_count"], b["revision"])
            for b in body["blocks"]] == [(str(plan.id), "A2", "2027-03-29", "2027-04-23", 2, 1)]
    assert {s["student_id"] for s in body["blocks"][0]["students"]} == {str(plan.liu), str(plan.he)}

    events = events_of(client.get(f"/api/v1/centres/{w.workshop}/calendar.ics", headers=mentor(w, w.workshop)))
    assert [seen(e) for e in events] == [(f"Enterprise block A2: 2 students ({SHOWN_AS})", date(2027, 3, 29),
                                          date(2027, 4, 24), 1, "Qingdao Workshop")]
    assert str(events[0]["UID"]) == f"{plan.id}.A2.{w.workshop}@dualtrack"
    description = str(events[0]["DESCRIPTION"])
    assert str(plan.liu) in description and str(plan.he) in description


def test_given_a_centres_calendar_then_its_mentor_and_all_school_staff_read_it_other_schools_see_counts_and_students_and_other_mentors_are_refused(
    client, w, plan
) -> None:
    callers = {
        "the workshop's mentor": (mentor(w, w.workshop), 200),
        "the depot's mentor": (mentor(w, w.depot), 403),
        "a coordinator of the school": (coordinator(w.school), 200),
        "a teacher of another school": (teacher(w.other_school), 200),
        "an admin": (ADMIN, 200),
        "an auditor": (AUDITOR, 200),
        "a student placed there": (student(plan.liu), 403),
    }
    for path in ("calendar", "calendar.ics"):
        answered = {who: client.get(f"/api/v1/centres/{w.workshop}/{path}", headers=headers).status_code
                    for who, (headers, _) in callers.items()}
        assert answered == {who: status for who, (_, status) in callers.items()}, path

    elsewhere = client.get(f"/api/v1/centres/{w.workshop}/calendar", headers=coordinator(w.other_school)).json
    assert [(b["student_count"], b["students"]) for b in elsewhere["blocks"]] == [(2, [])]
    feed = events_of(client.get(f"/api/v1/centres/{w.workshop}/calendar.ics", headers=coordinator(w.other_school)))
    assert str(plan.liu) not in str(feed[0]["DESCRIPTION"])
    assert client.get(f"/api/v1/centres/{STRANGER}/calendar", headers=ADMIN).status_code == 404
    assert client.get(f"/api/v1/centres/{w.depot}/calendar", headers=mentor(w, w.depot)).json["blocks"] == []


def test_given_a_centres_calendar_then_its_enterprises_admin_reads_it_and_another_enterprises_admin_and_guardians_are_refused(
    client, w, plan
) -> None:
    callers = {
        "the workshop's enterprise admin": (enterprise_admin(w, w.workshop), 200),
        "the depot's enterprise admin": (enterprise_admin(w, w.depot), 403),
        "the guardian of a student placed there": (guardian(plan.liu), 403),
    }
    for path in ("calendar", "calendar.ics"):
        answered = {who: client.get(f"/api/v1/centres/{w.workshop}/{path}", headers=headers).status_code
                    for who, (headers, _) in callers.items()}
        assert answered == {who: status for who, (_, status) in callers.items()}, path
    body = client.get(f"/api/v1/centres/{w.workshop}/calendar", headers=enterprise_admin(w, w.workshop)).json
    assert {s["student_id"] for s in body["blocks"][0]["students"]} == {str(plan.liu), str(plan.he)}


# -- bad queries ---------------------------------------------------------------------------------------------------


def test_given_a_period_ending_before_it_starts_or_a_token_of_a_context_not_followed_then_422_names_the_field(
    client, w, plan
) -> None:
    backwards = client.get(f"/api/v1/students/{plan.liu}/calendar.ics", query_string={"from": "2027-05-01",
                                                                                     "to": "2027-04-01"},
                           headers=student(plan.liu))
    assert backwards.status_code == 422 and "from" in backwards.json["error"]["fields"]["query"]
    foreign = signed(client, f"training:{plan.id}:1")
    refused = client.get(f"/api/v1/centres/{w.workshop}/calendar", query_string={"wait_for": foreign}, headers=ADMIN)
    assert refused.status_code == 422 and "wait_for" in refused.json["error"]["fields"]["query"]


# -- what published plans feed elsewhere ---------------------------------------------------------------------------


def test_given_a_published_plan_then_staff_read_the_centres_expected_occupancy_by_iso_week_and_students_may_not(
    client, w, plan
) -> None:
    response = client.get(f"/api/v1/centres/{w.workshop}/expected-occupancy",
                          query_string={"from": "2027-03-22", "to": "2027-04-25", "wait_for": signed(client, plan.token)},
                          headers=mentor(w, w.workshop))
    assert response.status_code == 200, response.json
    assert [(x["week"], x["week_start"], x["expected"], x["capacity"], x["over_capacity"]) for x in response.json] == [
        ("2027-W12", "2027-03-22", 0, 2, False), ("2027-W13", "2027-03-29", 2, 2, False),
        ("2027-W14", "2027-04-05", 2, 2, False), ("2027-W15", "2027-04-12", 2, 2, False),
        ("2027-W16", "2027-04-19", 2, 2, False)]
    assert response.json[1]["plans"] == [{"plan_id": str(plan.id), "title": SHOWN_AS, "revision": 1, "students": 2}]

    half_a_year = client.get(f"/api/v1/centres/{w.workshop}/expected-occupancy", headers=AUDITOR).json
    assert (len(half_a_year), half_a_year[0]["week_start"]) == (26, TODAY.isoformat())
    assert half_a_year[-1]["week_start"] == (TODAY + timedelta(weeks=25)).isoformat()
    for headers, status in ((coordinator(w.other_school), 200), (mentor(w, w.depot), 200), (student(plan.liu), 403)):
        assert client.get(f"/api/v1/centres/{w.workshop}/expected-occupancy", headers=headers).status_code == status
    backwards = client.get(f"/api/v1/centres/{w.workshop}/expected-occupancy",
                           query_string={"from": "2027-05-01", "to": "2027-04-01"}, headers=ADMIN)
    assert backwards.status_code == 422
    assert client.get(f"/api/v1/centres/{STRANGER}/expected-occupancy", headers=ADMIN).status_code == 404


def test_given_a_published_plan_then_enterprise_admins_read_a_centres_expected_occupancy_and_guardians_may_not(
    client, w, plan
) -> None:
    path = f"/api/v1/centres/{w.workshop}/expected-occupancy"
    answered = {who: client.get(path, headers=headers).status_code
                for who, headers in (("the workshop's enterprise admin", enterprise_admin(w, w.workshop)),
                                     ("the depot's enterprise admin", enterprise_admin(w, w.depot)),
                                     ("a guardian of a student placed there", guardian(plan.liu)))}
    assert answered == {"the workshop's enterprise admin": 200, "the depot's enterprise admin": 200,  # like mentors
                        "a guardian of a student placed there": 403}  # like the student


def test_given_a_published_plan_when_the_student_reads_their_progress_during_a_block_then_it_names_the_block_and_the_next(
    client, w, plan
) -> None:
    client.container.training.today = lambda: IN_A2
    progress = client.get(f"/api/v1/students/{plan.liu}/progress", headers=student(plan.liu)).json

    assert progress["current_block"] == {
        "plan_id": str(plan.id), "title": SHOWN_AS, "revision": 1, "block_id": "A2", "kind": "enterprise",
        "start": "2027-03-29", "end": "2027-04-23", "centre_id": str(w.workshop)}
    assert (progress["next_block"]["block_id"], progress["next_block"]["centre_id"]) == ("A3", None)


def test_given_the_openapi_document_then_the_feeds_are_documented_as_text_calendar(client) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ("/api/v1/students/{student_id}/calendar.ics", "/api/v1/centres/{centre_id}/calendar.ics"):
        ok = paths[path]["get"]["responses"]["200"]
        assert ok["content"]["text/calendar"]["schema"]["type"] == "string"
        assert {"401", "403", "404", "422"} <= set(paths[path]["get"]["responses"])
    assert "application/json" in paths["/api/v1/students/{student_id}/calendar"]["get"]["responses"]["200"]["content"]

"""The training and progress routes through HTTP, as a mentor's app or a school's uploader meets them.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrised). The world is the service
tests' training world: the clock is fixed at Monday 2026-11-30, students are placed at Haier's workshop (mentor
m-wang) from 2026-09-01, under the default rule set (8 h a day, 40 h a week, a 14-day edit window).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.common.identity import Role
from tests.conftest import bearer
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world
from toolkit.http.freshness import signed_token

pytestmark = pytest.mark.api

LOG_BODY = {"day": MONDAY.isoformat(), "start": "08:00", "end": "12:00", "competencies": ["M1"],
            "description": "assembled a drive unit"}
CSV_HEADER = "student_id,date,start,end,competencies,description"
EDIT_WINDOW_OPENS = date(2026, 11, 16)
"""TODAY (2026-11-30) less the default rule set's 14 days."""


@pytest.fixture
def world(client: Any) -> TrainingWorld:
    return build_training_world(client.container, workshop_capacity=5)


@pytest.fixture
def mentor(world: TrainingWorld) -> dict[str, str]:
    return bearer(Role.MENTOR, "m-wang", enterprise_id=str(world.haier))


@pytest.fixture
def student(world: TrainingWorld) -> tuple[UUID, str]:
    """Liu Yang, placed at the workshop: (student id, placement id)."""
    return world.placed("Liu Yang")


def recorded(client: Any) -> int:
    return client.container.training.max_position()


def log(client: Any, student_id: UUID, headers: dict[str, str], **changes: Any) -> Any:
    return client.post(f"/api/v1/students/{student_id}/practice-entries", json={**LOG_BODY, **changes},
                       headers=headers)


def logged(client: Any, student_id: UUID, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = log(client, student_id, headers, **changes)
    assert response.status_code == 201, response.json
    return response.json


def error_of(response: Any) -> dict[str, Any]:
    return response.json["error"]


# -- logging ------------------------------------------------------------------------------------------
def test_given_a_placed_student_when_their_mentor_logs_practice_then_201_with_the_entry_the_version_and_a_wait_token(
    client, student, mentor
) -> None:
    student_id, _ = student
    response = log(client, student_id, mentor)
    assert response.status_code == 201, response.json
    body = response.json
    assert UUID(body["entry_id"])
    assert body["version"] >= 1 and body["position"] == recorded(client)
    assert body["wait_token"].startswith(f"training:{body['id']}:{body['version']}~")  # signed by the deployment
    assert response.headers["ETag"] == f'"{body["version"]}"'
    logbook = client.get(f"/api/v1/students/{student_id}/logbook", headers=mentor).json
    assert [(e["entry_id"], e["status"], e["current"]["hours"]) for e in logbook["entries"]] == [
        (body["entry_id"], "pending", 4.0)]


def test_given_8_hours_logged_on_a_day_when_one_more_hour_is_logged_then_409_max_hours_per_day_with_the_figures(
    client, student, mentor
) -> None:
    student_id, _ = student
    logged(client, student_id, mentor, start="08:00", end="12:00")
    logged(client, student_id, mentor, start="13:00", end="17:00")
    before = recorded(client)
    response = log(client, student_id, mentor, start="17:00", end="18:00")
    assert response.status_code == 409
    assert error_of(response)["code"] == "max-hours-per-day"
    assert error_of(response)["details"] == {"day": "2026-11-23", "logged_hours": 8.0, "entry_hours": 1.0,
                                             "cap_hours": 8, "rule_set": "default"}
    assert recorded(client) == before


def test_given_a_logged_morning_when_an_overlapping_entry_is_logged_then_409_overlapping_entries_naming_it(
    client, student, mentor
) -> None:
    student_id, _ = student
    first = logged(client, student_id, mentor, start="08:00", end="12:00")["entry_id"]
    before = recorded(client)
    response = log(client, student_id, mentor, start="11:00", end="13:00")
    assert response.status_code == 409
    assert error_of(response)["code"] == "overlapping-entries"
    assert error_of(response)["details"] == {"day": "2026-11-23", "conflicting_entries": [first]}
    assert recorded(client) == before


def test_given_a_day_beyond_the_edit_window_when_the_mentor_logs_it_then_409_edit_window_with_the_window(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    response = log(client, student_id, mentor, day="2026-11-02")
    assert response.status_code == 409
    assert error_of(response)["code"] == "edit-window"
    assert error_of(response)["details"] == {"day": "2026-11-02", "window_days": 14,
                                             "window_opens": EDIT_WINDOW_OPENS.isoformat(), "rule_set": "default"}
    assert recorded(client) == before


def test_given_a_day_before_the_placement_started_when_it_is_logged_then_409_placement_not_running_with_its_period(
    client, student, mentor
) -> None:
    student_id, placement_id = student
    before = recorded(client)
    response = log(client, student_id, mentor, day="2026-08-20", placement_id=placement_id)
    assert response.status_code == 409
    assert error_of(response)["code"] == "placement-not-running"
    assert error_of(response)["details"] == {"day": "2026-08-20", "placement_id": placement_id, "status": "active",
                                             "started": "2026-09-01", "last_day": "2027-01-29", "pauses": []}
    assert recorded(client) == before


def test_given_no_placement_named_when_a_day_outside_every_placement_is_logged_then_409_placement_not_running(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    response = log(client, student_id, mentor, day="2026-08-20")
    assert response.status_code == 409
    assert error_of(response)["code"] == "placement-not-running"
    assert error_of(response)["details"]["day"] == "2026-08-20"
    assert recorded(client) == before


BAD_ENTRIES = {
    "a start without its leading zero": ({"start": "8:00"}, "start"),
    "a start past midnight": ({"start": "25:00"}, "start"),
    "no end": ({"end": None}, "end"),
    "no competencies": ({"competencies": []}, "competencies"),
    "a day that does not exist": ({"day": "2026-02-30"}, "day"),
    "an unknown extra field": ({"hours": 4}, "hours"),
}


@pytest.mark.parametrize("case", BAD_ENTRIES)
def test_given_bad_input_when_practice_is_logged_then_422_names_the_field_and_nothing_is_recorded(
    client, student, mentor, case
) -> None:
    student_id, _ = student
    changes, field = BAD_ENTRIES[case]
    body = {k: v for k, v in {**LOG_BODY, **changes}.items() if v is not None}
    before = recorded(client)
    response = client.post(f"/api/v1/students/{student_id}/practice-entries", json=body, headers=mentor)
    assert response.status_code == 422, response.json
    assert error_of(response)["code"] == "invalid-input"
    assert list(error_of(response)["fields"]["json"]) == [field]
    assert recorded(client) == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_given_a_result_that_is_not_a_number_when_a_competency_is_assessed_then_422_names_result(
    client, student, mentor, number
) -> None:
    student_id, placement_id = student
    before = recorded(client)
    response = client.post(f"/api/v1/students/{student_id}/placements/{placement_id}/assessments",
                           data=f'{{"competency": "M2", "result": {number}, "evidence": "wired the rig"}}',
                           content_type="application/json", headers=mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["json"]) == ["result"]
    assert recorded(client) == before


def test_given_an_unknown_student_when_a_mentor_logs_practice_or_reads_the_logbook_then_403_as_for_a_student_not_theirs_and_nothing_is_recorded(
    client, world, mentor
) -> None:
    nobody = uuid4()
    before = recorded(client)
    response = log(client, nobody, mentor)
    assert response.status_code == 403, "a mentor is not told which student ids exist"
    assert error_of(response)["code"] == "forbidden"
    assert client.get(f"/api/v1/students/{nobody}/logbook", headers=mentor).status_code == 403
    admin = bearer(Role.ADMIN, "admin-1")
    assert client.get(f"/api/v1/students/{nobody}/logbook", headers=admin).status_code == 404, "an admin sees all"
    assert recorded(client) == before


@pytest.mark.parametrize("command, body", [
    ("sign-off", {}),
    ("rejection", {"reason": "wrong day"}),
    ("correction", {**LOG_BODY, "start": "09:00", "reason": "started late"}),
])
def test_given_an_unknown_entry_when_a_command_names_it_then_404_and_nothing_is_recorded(
    client, student, mentor, command, body
) -> None:
    student_id, _ = student
    logged(client, student_id, mentor)
    before = recorded(client)
    response = client.post(f"/api/v1/students/{student_id}/practice-entries/{uuid4()}/{command}", json=body,
                           headers=mentor)
    assert response.status_code == 404, response.json
    assert error_of(response)["code"] == "not-found"
    assert recorded(client) == before


def test_given_a_record_changed_since_it_was_read_when_the_mentor_signs_with_the_stale_if_match_then_409(
    client, student, mentor
) -> None:
    student_id, _ = student
    first = logged(client, student_id, mentor)
    stale = first["version"]
    logged(client, student_id, mentor, start="13:00", end="15:00")
    before = recorded(client)
    response = client.post(f"/api/v1/students/{student_id}/practice-entries/{first['entry_id']}/sign-off",
                           json={}, headers={**mentor, "If-Match": f'"{stale}"'})
    assert response.status_code == 409
    assert error_of(response)["code"] == "version-conflict"
    assert error_of(response)["details"] == {"version": stale + 1, "expected_version": stale}
    assert recorded(client) == before
    fresh = client.get(f"/api/v1/students/{student_id}/logbook", headers=mentor).headers["ETag"]
    signed = client.post(f"/api/v1/students/{student_id}/practice-entries/{first['entry_id']}/sign-off",
                         json={}, headers={**mentor, "If-Match": fresh})
    assert signed.status_code == 200, signed.json


def test_given_a_corrected_entry_when_the_logbook_is_read_then_it_shows_every_revision(
    client, student, mentor
) -> None:
    student_id, _ = student
    entry = logged(client, student_id, mentor)["entry_id"]
    corrected = client.post(f"/api/v1/students/{student_id}/practice-entries/{entry}/correction", headers=mentor,
                            json={**LOG_BODY, "start": "09:00", "competencies": ["M1", "M2"],
                                  "description": "assembled and wired a drive unit", "reason": "started late"})
    assert corrected.status_code == 200, corrected.json
    response = client.get(f"/api/v1/students/{student_id}/logbook", headers=mentor)
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{corrected.json["version"]}"' == f'"{response.json["version"]}"'
    [shown] = response.json["entries"]
    assert (shown["entry_id"], shown["status"], shown["revision"]) == (entry, "pending", 2)
    assert shown["current"] == {"revision": 2, "day": "2026-11-23", "start": "09:00", "end": "12:00", "hours": 3.0,
                                "competencies": ["M1", "M2"], "description": "assembled and wired a drive unit"}
    assert shown["earlier_revisions"] == [{"revision": 1, "day": "2026-11-23", "start": "08:00", "end": "12:00",
                                           "hours": 4.0, "competencies": ["M1"],
                                           "description": "assembled a drive unit"}]


# -- reading one's own write ------------------------------------------------------------------------
def test_given_the_projector_caught_up_when_progress_is_read_with_the_wait_token_then_it_shows_the_write(
    client, student, mentor
) -> None:
    student_id, _ = student
    receipt = logged(client, student_id, mentor)
    client.project()
    response = client.get(f"/api/v1/students/{student_id}/progress",
                          query_string={"wait_for": receipt["wait_token"]}, headers=mentor)
    assert response.status_code == 200, response.json
    assert response.json["pending_hours"] == 4.0
    assert [e["entry_id"] for e in response.json["pending_sign_offs"]] == [receipt["entry_id"]]
    m1 = next(c for c in response.json["competencies"] if c["code"] == "M1")
    assert (m1["target_hours"], m1["pending_hours"], m1["signed_hours"]) == (120, 4.0, 0.0)


def test_given_the_projector_not_caught_up_when_progress_is_read_with_the_wait_token_and_no_wait_then_503(
    client, student, mentor
) -> None:
    student_id, _ = student
    receipt = logged(client, student_id, mentor)
    response = client.get(f"/api/v1/students/{student_id}/progress",
                          query_string={"wait_for": receipt["wait_token"], "wait_timeout": "0"}, headers=mentor)
    assert response.status_code == 503, response.json
    assert error_of(response)["code"] == "read-model-behind"


@pytest.mark.parametrize("token", ["garbage", "training:not-a-uuid:3", "training:{record}:three", "training:{record}:"])
def test_given_a_malformed_wait_for_when_progress_is_read_then_422_on_the_query_field_wait_for(
    client, student, mentor, token
) -> None:
    student_id, _ = student
    record = logged(client, student_id, mentor)["id"]
    response = client.get(f"/api/v1/students/{student_id}/progress",
                          query_string={"wait_for": token.format(record=record)}, headers=mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["query"]) == ["wait_for"]


def test_given_a_wait_for_naming_a_context_the_calendars_do_not_follow_when_a_calendar_is_read_then_422_on_wait_for(
    client, student, mentor
) -> None:
    student_id, _ = student
    record = logged(client, student_id, mentor)["id"]
    client.project()
    with client.http.application.app_context():
        foreign = signed_token(f"training:{record}:1")
    response = client.get(f"/api/v1/students/{student_id}/calendar",
                          query_string={"wait_for": foreign}, headers=mentor)
    assert response.status_code == 422, response.json
    [message] = error_of(response)["fields"]["query"]["wait_for"]
    assert "training" in message


def test_given_a_made_up_wait_for_when_progress_is_read_then_422_and_no_waiting_for_other_records(
    client, student, mentor
) -> None:
    student_id, _ = student
    receipt = logged(client, student_id, mentor)
    forged = f"training:{receipt['id']}:{receipt['version'] + 5}"  # well-formed, but not one we gave out
    response = client.get(f"/api/v1/students/{student_id}/progress",
                          query_string={"wait_for": forged, "wait_timeout": "10"}, headers=mentor)
    assert response.status_code == 422, response.json
    [message] = error_of(response)["fields"]["query"]["wait_for"]
    assert "not a wait_token this deployment gave out" in message


# -- CSV batches --------------------------------------------------------------------------------------
def placed_five(world: TrainingWorld) -> list[UUID]:
    return [world.placed(name)[0] for name in ("Liu Yang", "Wang Lei", "Zhang Min", "Li Na", "Chen Jie")]


def practice_csv(students: list[UUID], spoil: tuple[int, str, str] | None = None) -> str:
    """500 rows, 100 per student: half-hour slots 08:00-13:00 on ten days from the edit window's first day
    (5 h a day, 35 h and 15 h in the two weeks, nothing overlapping). `spoil` = (line, column, value)."""
    lines = [CSV_HEADER]
    codes = ("M1", "M2", "M1;M3", "M3")
    for k in range(500):
        student, j = students[k % 5], k // 5
        day = EDIT_WINDOW_OPENS + timedelta(days=j // 10)
        start = 8 * 60 + 30 * (j % 10)
        row = {"student_id": str(student), "date": day.isoformat(), "start": f"{start // 60:02d}:{start % 60:02d}",
               "end": f"{(start + 30) // 60:02d}:{(start + 30) % 60:02d}", "competencies": codes[j % 4],
               "description": f"task {j} on the assembly line"}
        if spoil and spoil[0] == len(lines) + 1:
            row[spoil[1]] = spoil[2]
        lines.append(",".join(row.values()))
    return "\n".join(lines) + "\n"


def post_csv(client: Any, text: str | bytes, headers: dict[str, str]) -> Any:
    return client.post("/api/v1/practice-entries/batch", data=text, content_type="text/csv", headers=headers)


def test_given_500_rows_with_an_unknown_competency_on_line_318_when_uploaded_then_409_reports_that_line_only(
    client, world, mentor
) -> None:
    students = placed_five(world)
    before = recorded(client)
    response = post_csv(client, practice_csv(students, spoil=(318, "competencies", "M1;ZZ-99")), mentor)
    assert response.status_code == 409, response.json
    error = error_of(response)
    assert error["code"] == "batch-refused"
    assert [(r["line"], r["code"]) for r in error["details"]["rows"]] == [(318, "competency-not-in-plan")]
    assert error["details"]["rows"][0]["details"]["unknown"] == ["ZZ-99"]
    assert error["details"]["stored"] == 0
    assert recorded(client) == before


def test_given_500_rows_with_a_malformed_date_on_line_42_when_uploaded_then_422_reports_that_line_only(
    client, world, mentor
) -> None:
    students = placed_five(world)
    before = recorded(client)
    response = post_csv(client, practice_csv(students, spoil=(42, "date", "2026-11-31")), mentor)
    assert response.status_code == 422, response.json
    rows = error_of(response)["details"]["rows"]
    assert [(r["line"], r["code"]) for r in rows] == [(42, "invalid-input")]
    assert list(rows[0]["details"]["fields"]) == ["date"]
    assert recorded(client) == before


def test_given_500_good_rows_when_uploaded_then_201_stores_all_and_the_wait_token_shows_them_in_progress(
    client, world, mentor
) -> None:
    students = placed_five(world)
    response = post_csv(client, practice_csv(students), mentor)
    assert response.status_code == 201, response.json
    assert response.json["stored"] == 500
    assert sorted(e["line"] for e in response.json["entries"]) == list(range(2, 502))
    assert len({e["entry_id"] for e in response.json["entries"]}) == 500
    for student_id in students:
        logbook = client.get(f"/api/v1/students/{student_id}/logbook", headers=mentor).json
        assert len(logbook["entries"]) == 100
    client.project()
    progress = client.get(f"/api/v1/students/{students[2]}/progress",
                          query_string={"wait_for": response.json["wait_token"]}, headers=mentor)
    assert progress.status_code == 200, progress.json
    assert progress.json["pending_hours"] == 50.0
    assert len(progress.json["pending_sign_offs"]) == 100


def test_given_a_header_missing_a_column_when_a_batch_is_uploaded_then_422_and_nothing_is_recorded(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    text = "student_id,date,start,end,description\n" f"{student_id},2026-11-23,08:00,12:00,assembled a drive unit\n"
    response = post_csv(client, text, mentor)
    assert response.status_code == 422, response.json
    [message] = error_of(response)["fields"]["body"]["csv"]
    assert "competencies" in message
    assert recorded(client) == before


@pytest.mark.parametrize("body", [b"", CSV_HEADER.encode() + b"\n"], ids=["empty", "only a header"])
def test_given_no_rows_when_a_batch_is_uploaded_then_422_and_nothing_is_recorded(client, world, mentor, body) -> None:
    before = recorded(client)
    response = post_csv(client, body, mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["body"]) == ["csv"]
    assert recorded(client) == before


def test_given_bytes_that_are_not_utf8_when_a_batch_is_uploaded_then_422_and_nothing_is_recorded(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    text = f"{CSV_HEADER}\n{student_id},2026-11-23,08:00,12:00,M1,Montage der Getriebe\n".encode()
    response = post_csv(client, text.replace(b"Montage", b"M\xf6ntage"), mentor)
    assert response.status_code == 422, response.json
    assert error_of(response)["fields"]["body"]["csv"] == ["must be UTF-8 text"]
    assert recorded(client) == before


def test_given_a_small_batch_when_its_wait_token_is_passed_to_progress_then_progress_shows_the_rows(
    client, student, mentor
) -> None:
    student_id, _ = student
    text = (f"{CSV_HEADER}\n{student_id},2026-11-23,08:00,12:00,M1,assembled a drive unit\n"
            f"{student_id},2026-11-24,08:00,10:00,M2,wired a PLC\n")
    response = post_csv(client, text, mentor)
    assert response.status_code == 201, response.json
    assert response.json["stored"] == 2
    behind = client.get(f"/api/v1/students/{student_id}/progress",
                        query_string={"wait_for": response.json["wait_token"], "wait_timeout": "0"}, headers=mentor)
    assert behind.status_code == 503
    client.project()
    progress = client.get(f"/api/v1/students/{student_id}/progress",
                          query_string={"wait_for": response.json["wait_token"]}, headers=mentor)
    assert progress.status_code == 200, progress.json
    assert progress.json["pending_hours"] == 6.0
    assert sorted(e["entry_id"] for e in progress.json["pending_sign_offs"]) == sorted(
        e["entry_id"] for e in response.json["entries"])



def test_given_a_header_naming_a_column_twice_when_a_batch_is_uploaded_then_422_and_nothing_is_recorded(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    text = (f"{CSV_HEADER},description\n"
            f"{student_id},2026-11-23,08:00,12:00,M1,assembled a drive unit,see the shift report\n")
    response = post_csv(client, text, mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["body"]) == ["csv"]
    assert recorded(client) == before


def test_given_a_header_with_an_oversized_field_when_a_batch_is_uploaded_then_422_not_a_server_error(
    client, world, mentor
) -> None:
    before = recorded(client)
    response = post_csv(client, "x" * 200_000 + "," + CSV_HEADER + "\n", mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["body"]) == ["csv"]
    assert recorded(client) == before


def test_given_a_row_with_an_oversized_field_when_a_batch_is_uploaded_then_422_and_nothing_is_recorded(
    client, student, mentor
) -> None:
    student_id, _ = student
    before = recorded(client)
    response = post_csv(client, f"{CSV_HEADER}\n{student_id},2026-11-23,08:00,12:00,M1,{'a' * 200_000}\n", mentor)
    assert response.status_code == 422, response.json
    assert list(error_of(response)["fields"]["body"]) == ["csv"]
    assert recorded(client) == before


def test_given_signed_hours_at_a_centre_when_staff_ask_for_hours_delivered_then_they_see_them_and_students_do_not(
    client, world, student, mentor
) -> None:
    student_id, _ = student
    receipt = logged(client, student_id, mentor)
    signed = client.post(f"/api/v1/students/{student_id}/practice-entries/{receipt['entry_id']}/sign-off", json={},
                         headers=mentor)
    assert signed.status_code == 200, signed.json
    client.project()
    path = f"/api/v1/centres/{world.workshop}/hours-delivered"
    response = client.get(path, query_string={"from": "2026-11-01", "to": "2026-11-30",
                                              "wait_for": signed.json["wait_token"]}, headers=mentor)
    assert response.status_code == 200, response.json
    assert response.json["signed_hours"] == 4.0 and response.json["weeks"][0]["week_start"] == "2026-11-23"
    coordinator = bearer(Role.COORDINATOR, "coord-chen", school_id=str(world.school))
    assert client.get(path, headers=coordinator).status_code == 200
    own = bearer(Role.STUDENT, "liu", student_id=str(student_id))
    assert client.get(path, headers=own).status_code == 403
    backwards = client.get(path, query_string={"from": "2026-11-30", "to": "2026-11-01"}, headers=mentor)
    assert backwards.status_code == 422


def test_given_a_coordinator_back_filling_beyond_the_edit_window_by_csv_then_rows_with_a_reason_are_stored(
    client, world, student
) -> None:
    student_id, _ = student
    coordinator = bearer(Role.COORDINATOR, "coord-chen", school_id=str(world.school))
    header = "student_id,date,start,end,competencies,description,reason\n"
    without = client.post("/api/v1/practice-entries/batch", headers=coordinator, content_type="text/csv",
                          data=header + f"{student_id},2026-10-05,08:00,12:00,M1,lathe work,\n")
    assert without.status_code == 409 and without.json["error"]["details"]["rows"][0]["code"] == "edit-window"
    stored = client.post("/api/v1/practice-entries/batch", headers=coordinator, content_type="text/csv",
                         data=header + f"{student_id},2026-10-05,08:00,12:00,M1,lathe work,paper logbook transcribed\n")
    assert stored.status_code == 201, stored.json
    entry = client.container.training.get_training_record(world.admin, student_id).entries[
        stored.json["entries"][0]["entry_id"]]
    assert entry.current.day.isoformat() == "2026-10-05"

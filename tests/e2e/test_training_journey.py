"""A week of practice hours through HTTP, the relays, Kafka and the `progress` projector: logged, one entry
rejected and corrected, all signed, with the student's progress and the mentor's queue read back after every
command with the command's wait_token."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from dualtrack.bootstrap import Container
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import Processes

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ADMIN = bearer(Role.ADMIN, "admin")
TODAY = date(2026, 11, 30)
WEEK = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]  # Monday .. Friday
CODES = ["M1", "M2", "M1", "M2", "M1"]  # alternating; Wednesday (index 2) is M1
WEDNESDAY = 2


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record on the topic up to its end offsets now."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=10_000)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, f"could not read {topic} to its end offsets {ends}"
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_given_a_week_of_practice_logged_rejected_corrected_and_signed_then_progress_follows_every_step(
    e2e_settings, processes: Processes
) -> None:
    container = Container(e2e_settings)
    container.ensure_topics()
    container.placements.today = lambda: TODAY  # type: ignore[method-assign]
    container.training.today = lambda: TODAY  # type: ignore[method-assign]
    http = create_app(container).test_client()
    processes.start("relay", "placements")
    processes.start("relay", "training")
    processes.start("project", "progress")
    waits: list[float] = []

    def logs() -> str:
        parts = [f"exit codes: {[p.poll() for p in processes.started]}"]
        for log in sorted(processes.log_dir.glob("*.log")):
            parts.append(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def post(path: str, body: dict, headers: dict, status: int = 200) -> dict:
        response = http.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code == status, (path, response.status_code, response.json)
        assert response.json["wait_token"], response.json
        return response.json

    def read(path: str, token: str, headers: dict, attempts: int = 1) -> Any:
        """GET with wait_for; `attempts` > 1 only for the first read, which also waits out the projector's start
        (its consumer group join) and may need more than one 10 s wait on a slow machine."""
        for _ in range(attempts):
            started = time.perf_counter()
            response = http.get(f"/api/v1{path}", query_string={"wait_for": token, "wait_timeout": 10},
                                headers=headers)
            waits.append(time.perf_counter() - started)
            if response.status_code != 503:
                break
        assert response.status_code == 200, (path, response.status_code, response.json, logs())
        return response.json

    # -- the enterprise, its centre and mentor; the school, its student and a placement -----------------------
    enterprise = post("/enterprises", {"name": "Haier"}, ADMIN, 201)["id"]
    centre = post(f"/enterprises/{enterprise}/centres", {"name": "Qingdao", "address": "1 Road", "capacity": 2,
                                                         "specialities": ["mechatronics"]}, ADMIN, 201)["id"]
    mentor_assigned = post(f"/centres/{centre}/mentors", {"mentor_id": "m-wang", "name": "Wang Fang"}, ADMIN)
    school = post("/schools", {"name": "Qingdao Technician College", "code": "QTC"}, ADMIN, 201)["id"]
    coordinator = bearer(Role.COORDINATOR, "coordinator-chen", school_id=school)
    mentor = bearer(Role.MENTOR, "m-wang", enterprise_id=enterprise)
    student = post(f"/schools/{school}/students", {"name": "Liu Yang", "major": "mechatronics", "cohort": 2024,
                                                   "enrolment_date": "2024-09-01", "date_of_birth": "2005-04-12"},
                   coordinator, 201)["id"]
    me = bearer(Role.STUDENT, "liu", student_id=student)
    post("/competency-catalogues/mechatronics/competencies", {
        "code": "M1", "title": "Assemble drive units", "target_hours": 120, "scale": "five-point",
        "effective_from": "2026-01-01"}, coordinator, 201)
    post("/competency-catalogues/mechatronics/competencies", {
        "code": "M2", "title": "Program PLCs", "target_hours": 80, "scale": "percent",
        "effective_from": "2026-01-01"}, coordinator, 201)

    placement = post(f"/students/{student}/placements", {
        "centre_id": centre, "start": "2026-09-01", "planned_end": "2027-01-29", "post": "assembly technician",
        "weekly_hours": 40}, coordinator, 201)["placement_id"]
    base = f"/students/{student}/placements/{placement}"
    post(f"{base}/school-approval", {}, coordinator)
    post(f"{base}/enterprise-approval", {"mentor_id": "m-wang"}, mentor)
    post(f"{base}/confirmation", {}, me)
    activated = post(f"{base}/activation", {"on": "2026-09-01"}, coordinator)

    # The placements side (the student's placement and the centre's mentor) reaches the view before any hour.
    progress_path = f"/students/{student}/progress"
    view = read(progress_path, f"{mentor_assigned['wait_token']},{activated['wait_token']}", coordinator,
                attempts=3)
    assert view["current_placement"]["placement_id"] == placement
    assert view["current_placement"]["status"] == "active"
    assert view["current_placement"]["activated_on"] == "2026-09-01"
    assert view["current_placement"]["mentor_id"] == "m-wang"
    assert view["as_of"] == TODAY.isoformat()
    assert view["signed_hours"] == 0 and view["pending_hours"] == 0

    def competency(view: dict, code: str) -> dict:
        return next(c for c in view["competencies"] if c["code"] == code)

    # -- a week logged by the mentor ------------------------------------------------------------------------
    entries: list[str] = []
    for i, (day, code) in enumerate(zip(WEEK, CODES)):
        logged = post(f"/students/{student}/practice-entries", {
            "day": day, "start": "08:00", "end": "12:00", "competencies": [code],
            "description": f"workshop day {i + 1}"}, mentor, 201)
        entries.append(logged["entry_id"])
        view = read(progress_path, logged["wait_token"], coordinator)
        assert view["pending_hours"] == 4 * (i + 1), view
        assert view["signed_hours"] == 0
        assert [e["entry_id"] for e in view["pending_sign_offs"]] == entries
        assert view["rejected_entries"] == []
        m1_days = sum(1 for c in CODES[: i + 1] if c == "M1")
        assert competency(view, "M1")["pending_hours"] == 4 * m1_days
        assert competency(view, "M2")["pending_hours"] == 4 * (i + 1 - m1_days)

    assert view["target_hours"] == 200
    assert {(c["code"], c["target_hours"], c["scale"], c["in_plan"]) for c in view["competencies"]} == {
        ("M1", 120, "five-point", True), ("M2", 80, "percent", True)}
    first = view["pending_sign_offs"][0]
    assert (first["day"], first["start"], first["end"], first["hours"], first["competencies"], first["revision"],
            first["logged_by"]) == ("2026-11-23", "08:00", "12:00", 4.0, ["M1"], 1, "m-wang")

    # -- Wednesday rejected, then corrected --------------------------------------------------------------------
    wednesday = entries[WEDNESDAY]
    entry_path = f"/students/{student}/practice-entries/{wednesday}"
    rejected = post(f"{entry_path}/rejection", {"reason": "you were at the safety course that morning"}, mentor)
    view = read(progress_path, rejected["wait_token"], coordinator)
    assert [e["entry_id"] for e in view["rejected_entries"]] == [wednesday]
    assert view["rejected_entries"][0]["last_reason"] == "you were at the safety course that morning"
    assert view["pending_hours"] == 16 and view["signed_hours"] == 0
    assert wednesday not in [e["entry_id"] for e in view["pending_sign_offs"]]
    assert competency(view, "M1")["pending_hours"] == 8 and competency(view, "M2")["pending_hours"] == 8

    corrected = post(f"{entry_path}/correction", {
        "day": WEEK[WEDNESDAY], "start": "13:00", "end": "16:00", "competencies": ["M1"],
        "description": "workshop day 3, afternoon", "reason": "the course took the morning"}, mentor)
    view = read(progress_path, corrected["wait_token"], coordinator)
    assert view["rejected_entries"] == []
    again = next(e for e in view["pending_sign_offs"] if e["entry_id"] == wednesday)
    assert (again["revision"], again["start"], again["end"], again["hours"], again["status"]) == (
        2, "13:00", "16:00", 3.0, "pending")
    assert again["last_reason"] == "the course took the morning"
    assert view["pending_hours"] == 19 and view["signed_hours"] == 0
    assert competency(view, "M1")["pending_hours"] == 11 and competency(view, "M2")["pending_hours"] == 8

    queue = read("/mentors/me/sign-off-queue", corrected["wait_token"], mentor)
    assert sorted(e["entry_id"] for e in queue) == sorted(entries)
    assert len(queue) == 5

    # -- all five signed -------------------------------------------------------------------------------------
    hours = [4, 4, 3, 4, 4]
    signed = 0
    for entry, entry_hours in zip(entries, hours):
        done = post(f"/students/{student}/practice-entries/{entry}/sign-off", {}, mentor)
        signed += entry_hours
        view = read(progress_path, done["wait_token"], coordinator)
        assert view["signed_hours"] == signed, view
        assert view["pending_hours"] == 19 - signed
        assert entry not in [e["entry_id"] for e in view["pending_sign_offs"]]

    assert view["signed_hours"] == 4 * 4 + 3 == 19
    assert view["pending_hours"] == 0 and view["awaiting_countersignature_hours"] == 0
    assert view["pending_sign_offs"] == [] and view["rejected_entries"] == []
    assert (competency(view, "M1")["signed_hours"], competency(view, "M1")["remaining_hours"]) == (11, 109)
    assert (competency(view, "M2")["signed_hours"], competency(view, "M2")["remaining_hours"]) == (8, 72)
    assert read("/mentors/me/sign-off-queue", done["wait_token"], mentor) == []

    # The logbook (the event store) keeps Wednesday's first revision.
    logbook = http.get(f"/api/v1/students/{student}/logbook", headers=coordinator)
    assert logbook.status_code == 200, logbook.json
    kept = next(e for e in logbook.json["entries"] if e["entry_id"] == wednesday)
    assert kept["status"] == "signed" and kept["revision"] == 2
    assert [(r["start"], r["end"]) for r in kept["earlier_revisions"]] == [("08:00", "12:00")]

    # -- the events really went through Kafka ------------------------------------------------------------------
    records = read_topic(e2e_settings.kafka_bootstrap_servers, e2e_settings.topic("training"))
    types = [dict(r.headers)["ce_type"].decode() for r in records]
    for name, count in (("PracticeLogged", 5), ("PracticeRejected", 1), ("PracticeCorrected", 1),
                        ("PracticeSignedOff", 5)):
        assert types.count(f"dualtrack.training.{name}.v1") == count, (name, types)

    print(f"\n{len(waits)} reads with wait_for took {sum(waits) / len(waits) * 1000:.0f} ms on average "
          f"(max {max(waits) * 1000:.0f} ms)")
    container.close()

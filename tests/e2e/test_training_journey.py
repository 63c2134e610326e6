"""A week of practice hours through HTTP, the relays, Kafka and the `progress` projector: logged, one entry
rejected and corrected, all signed, with the student's progress and the mentor's queue read back after every
command with the command's wait_token."""

from __future__ import annotations

from datetime import date

import pytest

from dualtrack.bootstrap import Container
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import Processes
from tests.e2e.journeys import ApiJourney, place_a_mechatronics_student, read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

ADMIN = bearer(Role.ADMIN, "admin")
TODAY = date(2026, 11, 30)
WEEK = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]  # Monday .. Friday
CODES = ["M1", "M2", "M1", "M2", "M1"]  # alternating; Wednesday (index 2) is M1
WEDNESDAY = 2




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
    journey = ApiJourney(http, processes)
    post, read = journey.post, journey.read

    # -- the enterprise, its centre and mentor; the school, its student and a placement -----------------------
    placed = place_a_mechatronics_student(post, ADMIN)
    student, placement, coordinator, mentor = placed.student, placed.placement, placed.coordinator, placed.mentor
    mentor_assigned, activated = placed.mentor_assigned, placed.activated

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
        version = "v1" if name == "PracticeSignedOff" else "v2"  # v2: no free text published
        assert types.count(f"dualtrack.training.{name}.{version}") == count, (name, types)

    print(f"\n{journey.wait_summary()}")
    container.close()

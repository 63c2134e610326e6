"""Least data per role, over the demo world: which fields of a student each caller sees on the enrolment read
(`GET /api/v1/students/{id}`), and what a mentor or enterprise admin sees of them on the API and on their pages.

The demo's placements in their stages: Xu Lan's just proposed at CRRC's rail base, Deng Hao's approved by the school
and waiting for Haier, Liu Yang's running at the rail base (mentor Zhao Min) after Haier's Qingdao centre (ended
2026-08-31, long past its 14-day edit window), the spring cohort (Wu Hao...) agreed at Haier from March 2027, He
Xiaoyu (a minor, guardian He Jianguo) at Mindray's line, Zhou Jie's at Haier's Hefei workshop stopped on 2026-06-12.
Today is 2026-11-30."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import UUID, uuid4

import pytest

from dualtrack.demo import DEMO_TODAY
from dualtrack.demo.world import acting_as, person_id
from services.common.identity import Actor, Role
from services.common.rules import rule_set_in_force
from services.common.scope import Sight, days_host_sees_after_end, sight_of_student
from services.training.access import mentors_placement
from services.training.domain import PlacementFacts
from tests.conftest import bearer
from tests.support.pages import PageSite, csrf, page_site, text

pytestmark = pytest.mark.api

WHOLE = {"id", "school_id", "name", "major", "cohort", "enrolment_date", "date_of_birth", "guardian_name",
         "guardian_contact", "version"}
NAMED = WHOLE - {"date_of_birth", "guardian_name", "guardian_contact"}
UNNAMED = {"id", "school_id", "major", "cohort", "version"}
REFUSED = None


class Site(PageSite):
    student: dict[str, str]
    """Each demo student's id, by name."""
    old_entry: str
    """A pending entry of Zhou Jie's at Hefei, logged by Li Wei two days before the placement stopped."""
    haier_entry: str
    """A pending entry of Liu Yang's at Haier's Qingdao centre, logged by Wang Fang before Liu moved to CRRC."""


def _log_back_then(container: Any, today: date, handle: str, enterprise: str, student: str, day: date,
                   description: str) -> str:
    """An entry a mentor logged on a day of the past (the clock set back for it), left unsigned."""
    container.training.today = lambda: today
    try:
        return str(container.training.log_practice(
            acting_as(Role.MENTOR, handle, enterprise_id=enterprise), UUID(student), day=day, start=time(8),
            end=time(12), competencies=["MEC-01"], description=description).entry_id)
    finally:
        container.training.today = lambda: DEMO_TODAY


def _prepare(container: Any, ids: Any) -> dict[str, Any]:
    """Li Wei logs an entry for Zhou Jie at Hefei while that placement ran, Wang Fang one for Liu Yang at Qingdao
    while that one ran; nobody signs them."""
    haier, student = ids.enterprises[0], {s.name: s.id for s in container.placements.roster().students.values()}
    return {"student": student,
            "old_entry": _log_back_then(container, date(2026, 6, 10), "mentor-li", haier, student["Zhou Jie"],
                                        date(2026, 6, 9), "bench work"),
            "haier_entry": _log_back_then(container, date(2026, 8, 20), "mentor-wang", haier, student["Liu Yang"],
                                          date(2026, 8, 19), "compressor line")}


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "least-data", _prepare, kind=Site) as built:
        yield built


def _token(site: Site, handle: str) -> dict[str, str]:
    """A bearer token for a demo person in their demo role and scope."""
    haier, crrc, mindray = site.ids.enterprises[:3]
    qtc, szps = site.ids.schools[:2]
    role, scope = {
        "admin-wu": (Role.ADMIN, {}), "auditor-gao": (Role.AUDITOR, {}),
        "coordinator-chen": (Role.COORDINATOR, {"school_id": qtc}),
        "coordinator-huang": (Role.COORDINATOR, {"school_id": szps}),
        "teacher-gao": (Role.TEACHER, {"school_id": qtc}), "teacher-lin": (Role.TEACHER, {"school_id": szps}),
        "mentor-wang": (Role.MENTOR, {"enterprise_id": haier}), "mentor-li": (Role.MENTOR, {"enterprise_id": haier}),
        "mentor-zhao": (Role.MENTOR, {"enterprise_id": crrc}), "mentor-sun": (Role.MENTOR, {"enterprise_id": mindray}),
        "enterprise-admin-zhou": (Role.ENTERPRISE_ADMIN, {"enterprise_id": haier}),
        "enterprise-admin-qian": (Role.ENTERPRISE_ADMIN, {"enterprise_id": crrc}),
        "student-liu": (Role.STUDENT, {"student_id": site.student["Liu Yang"]}),
        "guardian-he": (Role.GUARDIAN, {"student_id": site.student["He Xiaoyu"]}),
    }[handle]
    return bearer(role, person_id(handle), **scope)


def _enrolment(site: Site, handle: str, name: str) -> Any:
    return site.app.test_client().get(f"/api/v1/students/{site.student[name]}", headers=_token(site, handle))


MATRIX = {
    "a mentor of the host before its approval (proposed)": ("mentor-zhao", "Xu Lan", UNNAMED),
    "a mentor of the host before its approval (the school approved)": ("mentor-wang", "Deng Hao", UNNAMED),
    "a mentor of the host during the placement": ("mentor-zhao", "Liu Yang", NAMED),
    "a mentor of the host of an approved placement not yet begun": ("mentor-wang", "Wu Hao", NAMED),
    "a mentor of the host of a minor during the placement": ("mentor-sun", "He Xiaoyu", NAMED),
    "a mentor of the former host after the edit window": ("mentor-wang", "Liu Yang", REFUSED),
    "a mentor of another enterprise": ("mentor-sun", "Liu Yang", REFUSED),
    "a mentor of another enterprise than the one asked": ("mentor-sun", "Xu Lan", REFUSED),
    "the enterprise admin of the host during the placement": ("enterprise-admin-qian", "Liu Yang", NAMED),
    "the enterprise admin of the host before its approval": ("enterprise-admin-qian", "Xu Lan", UNNAMED),
    "the enterprise admin of the former host after the edit window": ("enterprise-admin-zhou", "Zhou Jie", REFUSED),
    "a teacher of the student's school": ("teacher-gao", "Liu Yang", WHOLE),
    "a teacher of another school": ("teacher-lin", "Liu Yang", REFUSED),
    "a coordinator of the student's school": ("coordinator-chen", "Xu Lan", WHOLE),
    "a coordinator of a minor's school": ("coordinator-huang", "He Xiaoyu", WHOLE),
    "a coordinator of another school": ("coordinator-huang", "Liu Yang", REFUSED),
    "an admin": ("admin-wu", "He Xiaoyu", WHOLE),
    "an auditor": ("auditor-gao", "He Xiaoyu", NAMED),
    "the student themself": ("student-liu", "Liu Yang", WHOLE),
    "a student reading another": ("student-liu", "Zhou Jie", REFUSED),
    "the guardian of a minor": ("guardian-he", "He Xiaoyu", WHOLE),
}


@pytest.mark.parametrize("case", MATRIX)
def test_given_a_caller_when_they_read_a_students_enrolment_then_they_see_only_the_fields_of_their_role(
        site: Site, case: str) -> None:
    handle, name, fields = MATRIX[case]
    answer = _enrolment(site, handle, name)
    body = answer.get_data(as_text=True)
    if fields is REFUSED:
        assert answer.status_code == 403, body[:500]
        assert name not in body
        return
    assert answer.status_code == 200, body[:500]
    assert set(answer.json) == fields, "fields not shown are left out, never null"
    assert (name in body) == ("name" in fields)
    if "date_of_birth" not in fields:
        assert "he.jianguo" not in body and "He Jianguo" not in body and "2009-06-30" not in body


def test_given_the_school_staff_of_a_minor_then_they_see_the_birth_date_and_the_guardian(site: Site) -> None:
    seen = _enrolment(site, "coordinator-huang", "He Xiaoyu").json
    assert seen["date_of_birth"] == "2009-06-30" and seen["guardian_name"] == "He Jianguo"
    assert seen["guardian_contact"] == "he.jianguo@family.example"
    assert _enrolment(site, "guardian-he", "He Xiaoyu").json["guardian_contact"] == "he.jianguo@family.example"


def test_given_an_adult_then_their_school_sees_a_null_guardian_where_a_mentor_sees_no_guardian_field(
        site: Site) -> None:
    by_school, by_mentor = _enrolment(site, "coordinator-chen", "Liu Yang").json, _enrolment(
        site, "mentor-zhao", "Liu Yang").json
    assert by_school["guardian_name"] is None, "null: no guardian recorded"
    assert "guardian_name" not in by_mentor, "absent: not the mentor's to see"


@pytest.mark.parametrize(("today", "sees"), [(date(2026, 6, 12), True), (date(2026, 6, 26), True),
                                              (date(2026, 6, 27), False)])
def test_given_a_placement_that_ended_when_its_enterprise_reads_the_student_then_only_within_the_edit_window(
        site: Site, today: date, sees: bool) -> None:
    """Zhou Jie's Hefei placement stopped on 2026-06-12; the Qingdao college's rule set has a 14-day edit window."""
    site.container.training.today = lambda: today
    try:
        answer = _enrolment(site, "enterprise-admin-zhou", "Zhou Jie")
        logbook = site.app.test_client().get(f"/api/v1/students/{site.student['Zhou Jie']}/logbook",
                                             headers=_token(site, "mentor-li"))
    finally:
        site.container.training.today = lambda: DEMO_TODAY
    assert answer.status_code == (200 if sees else 403), answer.json
    assert ("Zhou Jie" in answer.get_data(as_text=True)) is sees
    assert logbook.status_code == (200 if sees else 403), logbook.json


def test_given_the_enterprise_that_hosted_a_student_when_the_window_passed_then_progress_and_logbook_are_refused(
        site: Site) -> None:
    client, liu = site.app.test_client(), site.student["Liu Yang"]
    for handle, status in (("mentor-zhao", 200), ("mentor-wang", 403)):
        assert client.get(f"/api/v1/students/{liu}/progress", headers=_token(site, handle)).status_code == status
    for handle, status in (("mentor-zhao", 200), ("mentor-wang", 403)):
        assert client.get(f"/api/v1/students/{liu}/logbook", headers=_token(site, handle)).status_code == status


def test_given_an_entry_of_a_placement_past_its_window_then_the_mentors_queue_leaves_it_out(site: Site) -> None:
    assert [e["entry_id"] for e in site.container.view("progress").sign_off_queue(
        person_id("mentor-li"), site.ids.enterprises[0])] == [site.old_entry], "the read model still holds it"
    queue = site.app.test_client().get("/api/v1/mentors/me/sign-off-queue", headers=_token(site, "mentor-li"))
    assert queue.status_code == 200 and queue.json == []
    page = text(site.browser("mentor-li").get("/mentor/queue"))
    assert "Zhou Jie" not in page and "bench work" not in page
    assert "Entries not shown here, as their placement ended more than the edit window ago" in page


# -- the pages of mentors and enterprise admins ----------------------------------------------------------------
def test_given_an_enterprise_admin_when_a_placement_waits_for_their_approval_then_the_card_names_no_student(
        site: Site) -> None:
    haier = site.ids.enterprises[0]
    page = text(site.browser("enterprise-admin-zhou").get(f"/admin/enterprises/{haier}"))
    waiting = page[page.index("Placements waiting for your approval"):page.index("Centres")]
    assert "Deng Hao" not in waiting and "assembly apprentice" in waiting
    assert "A student of mechatronics, cohort 2024 (name withheld)" in waiting
    by_admin = text(site.browser("admin-wu").get(f"/admin/enterprises/{haier}"))
    assert "Deng Hao" in by_admin, "an administrator sees the name"


def test_given_a_mentor_when_they_put_another_students_id_in_a_pages_address_then_no_name_shows(site: Site) -> None:
    zhao, xu = site.browser("mentor-zhao"), site.student["Xu Lan"]
    for path in (f"/mentor/practice?logged={xu}", f"/mentor/queue?signed={xu}:e-1", f"/mentor/queue?rejected={xu}:e-1",
                 f"/mentor/practice?student={xu}", f"/mentor/practice?repeat={site.student['Liu Yang']}"):
        answer = zhao.get(path)
        assert answer.status_code in (200, 403, 404) and "Xu Lan" not in text(answer), path
    logged = zhao.post("/mentor/practice", data={
        "csrf_token": csrf(zhao), "students": [xu], "day": "2026-11-27", "start": "08:00", "end": "12:00",
        "competencies": ["MEC-01"], "description": "fitting"})
    assert logged.status_code in (403, 409) and "Xu Lan" not in text(logged)
    assert "(name withheld)" in text(logged)


def test_given_a_mentor_then_the_student_they_host_is_named_and_the_one_they_left_is_refused_as_an_unknown_one(
        site: Site) -> None:
    zhao, wang, liu = site.browser("mentor-zhao"), site.browser("mentor-wang"), site.student["Liu Yang"]
    assert "Liu Yang" in text(zhao.get("/mentor/today"))
    hosting = zhao.get(f"/mentor/students/{liu}")
    assert hosting.status_code == 200 and "Liu Yang" in text(hosting)
    left = wang.get(f"/mentor/students/{liu}")
    unknown = wang.get(f"/mentor/students/{uuid4()}")
    assert left.status_code == unknown.status_code == 403 and "Liu Yang" not in text(left)
    assert "Liu Yang" not in text(wang.get("/mentor/today")) and "Liu Yang" not in text(wang.get("/mentor/centres"))


def test_given_a_student_who_moved_hosts_when_the_new_host_reads_their_logbook_and_progress_then_only_its_entries(
        site: Site) -> None:
    client, liu = site.app.test_client(), site.student["Liu Yang"]
    by_school = client.get(f"/api/v1/students/{liu}/logbook", headers=_token(site, "coordinator-chen")).json
    by_crrc = client.get(f"/api/v1/students/{liu}/logbook", headers=_token(site, "mentor-zhao")).json
    assert site.haier_entry in {e["entry_id"] for e in by_school["entries"]}
    assert by_crrc["entries"] and site.haier_entry not in {e["entry_id"] for e in by_crrc["entries"]}
    assert {e["placement_id"] for e in by_crrc["entries"]} == {site.ids.placements[1]}, "CRRC's placement only"
    pending = client.get(f"/api/v1/students/{liu}/progress", headers=_token(site, "mentor-zhao")).json
    assert site.haier_entry not in {e["entry_id"] for e in pending["pending_sign_offs"]}
    by_staff = client.get(f"/api/v1/students/{liu}/progress", headers=_token(site, "coordinator-chen")).json
    assert site.haier_entry in {e["entry_id"] for e in by_staff["pending_sign_offs"]}
    page = text(site.browser("mentor-zhao").get(f"/mentor/students/{liu}"))
    assert "Liu Yang" in page and "compressor line" not in page


# -- the rule itself (no store) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Placement:
    enterprise_id: str
    status: str
    enterprise_approved: int | None
    ended_on: date | None = None


_NOV_30 = date(2026, 11, 30)


def _sight(actor: Actor, *placements: _Placement, rule_set: str = "default", today: date = _NOV_30) -> Sight:
    return sight_of_student(actor, school_id="qtc", student_id="s-1", placements=placements,
                            rules=rule_set_in_force(rule_set, today), today=today)


_MENTOR = Actor("m-1", Role.MENTOR, enterprise_id="e-1")


@pytest.mark.parametrize(("placement", "sight"), [
    (_Placement("e-1", "proposed", None), Sight.UNNAMED),
    (_Placement("e-1", "proposed", 1), Sight.NAMED),  # the enterprise approved first, the school has not yet
    (_Placement("e-1", "agreed", 1), Sight.NAMED),
    (_Placement("e-1", "active", 1), Sight.NAMED),  # amended terms awaiting approval again keep the first approval
    (_Placement("e-1", "withdrawn", 1), Sight.NONE),
    (_Placement("e-1", "withdrawn", None), Sight.NONE),
    (_Placement("e-1", "completed", 1, date(2026, 11, 16)), Sight.NAMED),  # the 14th day after the end
    (_Placement("e-1", "completed", 1, date(2026, 11, 15)), Sight.NONE),
    (_Placement("e-2", "active", 1), Sight.NONE),
])
def test_given_a_placement_in_a_stage_then_a_mentor_of_the_enterprise_sees_the_student_as_the_rule_says(
        placement: _Placement, sight: Sight) -> None:
    assert _sight(_MENTOR, placement) is sight


def test_given_the_stricter_rule_set_then_the_enterprise_sees_the_student_for_its_shorter_edit_window() -> None:
    ended = _Placement("e-1", "stopped", 1, date(2026, 11, 23))
    assert _sight(_MENTOR, ended, rule_set="cn-vocational-internship") is Sight.NAMED
    assert _sight(_MENTOR, ended, rule_set="cn-vocational-internship", today=date(2026, 12, 1)) is Sight.NONE
    assert days_host_sees_after_end(rule_set_in_force("cn-vocational-internship", _NOV_30)) == 7


def test_given_the_training_rule_for_mentors_then_it_is_the_same_window_as_the_one_for_names() -> None:
    """A mentor may log and sign a placement's practice exactly as long as their enterprise sees the student."""
    rules = rule_set_in_force("default", _NOV_30)
    for ended in (date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 30)):
        facts = PlacementFacts(
            placement_id="p-1", student_id="s-1", school_id="qtc", major="mechatronics", rule_set="default",
            centre_id="c-1", enterprise_id="e-1", status="completed", start=date(2026, 9, 1), planned_end=ended,
            activated_on=date(2026, 9, 1), ended_on=ended, pauses=(), centre_mentors=frozenset({"m-1"}))
        named = _sight(_MENTOR, _Placement("e-1", "completed", 1, ended)) is Sight.NAMED
        assert mentors_placement(_MENTOR, facts, rules, _NOV_30) is named, ended

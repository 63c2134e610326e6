"""The data subject's file: a student (or a minor's guardian) downloads everything held about them as one JSON
document, through the API with a token or from their page with their session; nobody else but admins may take it,
and it never carries a password hash or a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from dualtrack.demo.world import person_id
from services.common.identity import Role
from tests.conftest import bearer
from tests.support.pages import PageSite, page_site, text

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def site(sqlite_demo_template, tmp_path_factory) -> Iterator[PageSite]:
    with page_site(sqlite_demo_template, tmp_path_factory, "personal-data") as site:
        yield site


@pytest.fixture(scope="module")
def liu_file(site) -> Any:
    """Liu Yang's file, as Liu takes it through the API with their own token."""
    return site.app.test_client().get(f"/api/v1/students/{site.liu}/personal-data",
                                      headers=bearer(Role.STUDENT, person_id("student-liu"), student_id=site.liu))


def test_given_a_student_when_they_take_their_file_then_it_is_a_versioned_json_download_never_cached(
        site, liu_file) -> None:
    assert liu_file.status_code == 200, liu_file.get_data(as_text=True)[:2000]
    assert liu_file.headers["Content-Disposition"] == f'attachment; filename="personal-data-{site.liu}.json"'
    assert "no-store" in liu_file.headers["Cache-Control"]
    document = json.loads(liu_file.get_data(as_text=True))
    assert document["format"] == "dualtrack.personal-data" and document["version"] == 1
    assert document["student_id"] == site.liu


def test_given_a_student_when_they_take_their_file_then_it_holds_everything_held_about_them(liu_file) -> None:
    document = liu_file.json
    assert document["enrolment"]["name"] == "Liu Yang" and document["enrolment"]["date_of_birth"]
    assert document["enrolment"]["school_name"]
    assert [a["name"] for a in document["accounts"] if a["role"] == "student"] == ["Liu Yang"]
    assert document["placements"] and all(p["history"] for p in document["placements"])
    assert document["training_plans"]
    entries = document["logbook"]["entries"]
    assert entries and all(e["current"]["day"] for e in entries)
    assert any(e["earlier_revisions"] for e in entries), "a corrected entry keeps its earlier revisions"
    assert document["credit_account"]["awards"] and document["credit_account"]["ledger"]
    assert document["calendar"]["blocks"]
    assert document["assessments"] and {a["side"] for a in document["assessments"]} >= {"enterprise", "school"}
    assert [(r["role"], r["what"], r["times"]) for r in document["reads"]][:3] == [
        ("auditor", "progress", 1), ("coordinator", "progress", 5), ("auditor", "credit-account", 1)]


def test_given_the_file_then_no_password_hash_token_or_secret_is_in_it(site, liu_file) -> None:
    body = liu_file.get_data(as_text=True)
    for secret in ("argon2", "password", "secret", "refresh", "token", site.ids.sign_ins["student-liu"]):
        assert secret not in body.casefold(), secret


@pytest.mark.parametrize("caller", ["another student", "mentor", "coordinator", "auditor"])
def test_given_anyone_but_the_student_their_guardian_or_an_admin_when_they_ask_for_the_file_then_403(
        site, caller) -> None:
    school, crrc = site.ids.schools[0], site.ids.enterprises[1]
    headers = {"another student": bearer(Role.STUDENT, "other", student_id=site.ids.students[1]),
               "mentor": bearer(Role.MENTOR, person_id("mentor-zhao"), enterprise_id=crrc),
               "coordinator": bearer(Role.COORDINATOR, person_id("coordinator-chen"), school_id=school),
               "auditor": bearer(Role.AUDITOR, person_id("auditor-gao"))}[caller]
    answer = site.app.test_client().get(f"/api/v1/students/{site.liu}/personal-data", headers=headers)
    assert answer.status_code == 403, answer.get_data(as_text=True)[:500]
    assert "Liu Yang" not in answer.get_data(as_text=True)


def test_given_an_admin_when_they_take_a_students_file_then_they_get_it(site) -> None:
    answer = site.app.test_client().get(f"/api/v1/students/{site.liu}/personal-data", headers=bearer(Role.ADMIN))
    assert answer.status_code == 200 and answer.json["enrolment"]["name"] == "Liu Yang"


def test_given_a_minors_guardian_on_the_reads_page_when_they_follow_the_download_link_then_they_get_the_minors_file(
        site) -> None:
    guardian = site.browser("guardian-he")
    page = guardian.get("/student/reads")
    assert "Download all your student's data" in text(page)
    answer = guardian.get("/student/personal-data.json")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in answer.headers["Cache-Control"]
    document = json.loads(answer.get_data(as_text=True))
    minor = site.ids.students[3]
    assert document["student_id"] == minor and document["enrolment"]["id"] == minor
    assert document["enrolment"]["guardian_name"]
    assert {a["role"] for a in document["accounts"]} >= {"guardian"}


def test_given_a_student_reading_in_chinese_then_the_download_link_is_in_chinese(site) -> None:
    assert "下载我的全部数据" in text(site.browser("student-liu", "zh").get("/student/reads"))


def test_given_a_student_on_their_reads_page_then_it_says_everyone_s_reads_are_recorded_with_how_many_times(
        site) -> None:
    page = text(site.browser("student-liu").get("/student/reads"))
    assert "anyone but you and your guardians" in page
    assert "school staff, mentors, administrators and auditors alike" in page
    assert "within 15 minutes are one record" in page
    assert re.search(r"read 5 times (at|between) .*? Chen Jing school coordinator your progress", page), page[-1500:]


def test_given_a_student_reading_their_reads_page_in_chinese_then_the_count_is_in_chinese(site) -> None:
    page = text(site.browser("student-liu", "zh").get("/student/reads"))
    assert "任何人每次查看您的个人数据都会被记录" in page
    assert "共查看 5 次" in page

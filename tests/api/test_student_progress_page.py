"""The student's own progress page, signed in through the real form in the demo world: Liu Yang sees his hours by
competency (chart and table), the assessments of both sides and what awaits; a guardian sees their student's; a
mentor is sent elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.pages import PageSite as Site
from tests.support.pages import page_site, text

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "student-page") as built:
        yield built


def test_given_the_student_when_they_sign_in_then_home_leads_to_their_progress(site: Site) -> None:
    liu = site.browser("student-liu")
    assert liu.get("/").headers["Location"].endswith("/student")


def test_given_the_student_when_they_open_their_progress_then_they_see_their_hours_by_competency(site: Site) -> None:
    liu = site.browser("student-liu")
    page = liu.get("/student")
    assert page.status_code == 200
    html, seen = page.get_data(as_text=True), text(page)
    assert "My progress" in seen
    assert "High-Speed Train Maintenance Base" in seen and "CRRC Qingdao Sifang" in seen
    assert "Assemble and adjust drive units" in seen
    assert re.search(r"Signed: [\d.]+ h of the \d+ h the plan asks", seen), seen
    assert '<svg class="chart" role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert '<th scope="row">MEC-01 Assemble and adjust drive units</th>' in html, "the chart's figures in a table"
    assert "Awaiting the mentor's signature" in seen, "the draft and the batch's entries await Zhao Min"
    assert "dismantled and reassembled a gearbox to tolerance" in seen, "the enterprise's assessment"
    assert "oral exam on drive-unit adjustment" in seen, "the school's assessment"
    assert "style=" not in html and "<script" not in html
    assert "Content-Security-Policy" in page.headers


def test_given_the_student_reading_chinese_then_the_page_is_in_chinese(site: Site) -> None:
    liu = site.browser("student-liu", "zh-CN")
    seen = text(liu.get("/student"))
    assert "我的进度" in seen and "My progress" not in seen


def test_given_a_guardian_when_they_open_the_page_then_they_see_their_students_progress(site: Site) -> None:
    he = site.browser("guardian-he")
    page = he.get("/student")
    assert page.status_code == 200
    assert "He Xiaoyu" in text(page) and "Medical Devices Assembly Line" in text(page)


def test_given_a_mentor_when_they_open_the_students_page_then_they_are_refused(site: Site) -> None:
    zhao = site.browser("mentor-zhao")
    assert zhao.get("/student").status_code == 403

"""The student's own progress page, signed in through the real form in the demo world: Liu Yang sees his hours by
competency (chart and table), the assessments of both sides and what awaits; a guardian sees their student's; a
mentor is sent elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from dualtrack.demo import DEMO_TODAY
from dualtrack.settings import CONTEXTS
from tests.support.demo import copy_of_template

pytestmark = pytest.mark.api


class Site:
    def __init__(self, app: Any, ids: Any) -> None:
        self.app, self.ids = app, ids

    def browser(self, handle: str, email: str, language: str = "en") -> Any:
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        answer = client.post("/sign-in", data={"login": email, "password": self.ids.sign_ins[handle]})
        assert answer.status_code == 303, answer.get_data(as_text=True)
        return client


def text(answer: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.support.web import lent_app

    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("student-page"))
    for context in CONTEXTS:
        container.app(context).today = lambda: DEMO_TODAY
    try:
        for name in PROJECTION_CLASSES:
            container.projector(name, embedded=True).catch_up()
        with lent_app(container) as app:
            yield Site(app, sqlite_demo_template.ids)
    finally:
        container.close()


def test_given_the_student_when_they_sign_in_then_home_leads_to_their_progress(site: Site) -> None:
    liu = site.browser("student-liu", "liu.yang@students.qtc.example")
    assert liu.get("/").headers["Location"].endswith("/student")


def test_given_the_student_when_they_open_their_progress_then_they_see_their_hours_by_competency(site: Site) -> None:
    liu = site.browser("student-liu", "liu.yang@students.qtc.example")
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
    liu = site.browser("student-liu", "liu.yang@students.qtc.example", "zh-CN")
    seen = text(liu.get("/student"))
    assert "我的进度" in seen and "My progress" not in seen


def test_given_a_guardian_when_they_open_the_page_then_they_see_their_students_progress(site: Site) -> None:
    he = site.browser("guardian-he", "he.jianguo@family.example")
    page = he.get("/student")
    assert page.status_code == 200
    assert "He Xiaoyu" in text(page) and "Medical Devices Assembly Line" in text(page)


def test_given_a_mentor_when_they_open_the_students_page_then_they_are_refused(site: Site) -> None:
    zhao = site.browser("mentor-zhao", "zhao.min@crrc.example")
    assert zhao.get("/student").status_code == 403

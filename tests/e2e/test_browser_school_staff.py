"""A school's staff at work in a real headless Chromium against `dualtrack run` (demo, API, relays to Kafka,
projectors): coordinators plan a rotation, watch their cohort and run placements, a teacher countersigns; one
deployment for all their journeys (tests/e2e/staff/; auditors and administrators: test_browser_oversight.py). Every
page a journey opens is screenshot (test-artifacts/screenshots/) and checked by axe-core and for
Content-Security-Policy violations; the sweep opens every page of these parts with no network but loopback."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.e2e.running import Running, dualtrack_run
from tests.e2e.staff import Site, dashboard, placements, planner, teacher
from tests.e2e.web import demo_of

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Running]:
    with dualtrack_run(tmp_path_factory.mktemp("browser-school-staff"), kafka_bootstrap) as started:
        yield started


@pytest.fixture
def site(running: Running, request: pytest.FixtureRequest) -> Iterator[Site]:
    opened = Site(running, demo_of(running), request.node.name)
    yield opened
    opened.close()


def test_given_twelve_students_when_a_coordinator_generates_overrides_and_publishes_a_plan_then_a_student_sees_the_blocks(
        site: Site) -> None:
    planner.journey(site)


def test_given_a_placed_student_when_entries_stop_then_the_dashboard_turns_red_and_when_logged_and_signed_green(
        site: Site) -> None:
    dashboard.journey(site)


def test_given_free_places_shown_when_a_coordinator_proposes_and_approves_then_the_enterprise_approves_with_a_mentor(
        site: Site) -> None:
    placements.journey(site)


def test_given_five_entries_awaiting_countersignature_when_a_teacher_countersigns_them_at_once_then_all_are_done(
        site: Site) -> None:
    teacher.journey(site)


@pytest.mark.parametrize("part", [dashboard, placements, planner, teacher],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_given_no_network_but_loopback_then_every_page_of_the_part_renders_accessibly(site: Site,
                                                                                     part: ModuleType) -> None:
    pages = part.PAGES
    assert pages, "a part of the web with no page to check"
    for handle in dict.fromkeys(h for _, h in pages):
        browser = site.browser(handle, offline=True)
        for path, who in pages:
            if who == handle:
                browser.open(path.format(**site.running.student_ids), path.strip("/").replace("/", "-") or "home")

"""Auditors and administrators at work in a real headless Chromium against `dualtrack run` (demo, API, relays to
Kafka, projectors): an auditor reconstructs a correction and verifies an export, an administrator invites and
withdraws and adopts a conversion rule; one deployment for their journeys (tests/e2e/staff/). Every page a journey
opens is screenshot (test-artifacts/screenshots/) and checked by axe-core and for Content-Security-Policy
violations; the sweep opens every page of these parts with no network but loopback."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.e2e.running import Running, dualtrack_run
from tests.e2e.staff import Site, admin, auditor
from tests.e2e.web import demo_of

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Running]:
    with dualtrack_run(tmp_path_factory.mktemp("browser-oversight"), kafka_bootstrap) as started:
        yield started


@pytest.fixture
def site(running: Running, request: pytest.FixtureRequest) -> Iterator[Site]:
    opened = Site(running, demo_of(running), request.node.name)
    yield opened
    opened.close()


def test_given_a_correction_when_an_auditor_finds_the_student_by_name_then_as_of_shows_before_and_after_and_the_export_verifies(
        site: Site) -> None:
    auditor.journey(site)


def test_given_an_administrator_when_she_invites_withdraws_and_adopts_a_rule_then_each_shows_with_its_reason(
        site: Site) -> None:
    admin.journey(site)


@pytest.mark.parametrize("part", [auditor, admin],
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

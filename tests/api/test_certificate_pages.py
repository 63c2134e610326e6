"""The administrator's certificate pages, used as Wu Ming (admin) uses them in the demo world (X-RTM listed with
a junior and an intermediate level, a conversion rule for junior from 1 September 2026). What is asserted is what
a person sees: levels and credits, rules with the day they take effect, the reason of each change, refusals in
words next to the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_people_admin_pages import CHEN, LIU, WU, ZHAO, near
from tests.support.pages import PageSite as Site
from tests.support.pages import csrf, page_site, text

pytestmark = pytest.mark.api

@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "certificate-pages", caught_up=False) as built:
        yield built


def test_given_the_catalogue_when_the_admin_opens_it_then_each_level_shows_its_credits_and_rule_in_force(
        site: Site) -> None:
    seen = text(site.browser(WU).get("/admin/certificates"))
    assert "X-RTM · Rail transit vehicle maintenance" in seen
    assert "junior 4 MEC-201 Drive systems: 3 credits (exempted)" in seen, seen
    assert "intermediate 8 no rule in force" in seen


def test_given_a_level_when_the_admin_adopts_a_rule_with_a_reason_and_a_day_then_the_change_shows_with_both(
        site: Site) -> None:
    wu = site.browser(WU)
    path = "/admin/certificates/X-RTM"
    answer = wu.post(f"{path}/conversion-rules", data={
        "csrf_token": csrf(wu, path), "level": "junior", "effective_from": "2027-02-01",
        "reason": "the college merged drive systems into MEC-210", "course-1": "MEC-210 Traction", "credits-1": "4"})
    assert answer.status_code == 303, text(answer)
    shown = text(wu.get(answer.headers["Location"]))
    assert "The conversion rule was adopted" in shown
    assert "Conversion rule for junior, taking effect on Feb 1, 2027" in shown
    assert "Reason: the college merged drive systems into MEC-210" in shown and "by Wu Ming" in shown
    assert "Sep 1, 2026 in force today" in shown, "the earlier rule stays in force until the new one's day"


def test_given_a_rule_worth_more_than_the_level_when_adopted_then_the_refusal_is_next_to_the_courses(
        site: Site) -> None:
    wu = site.browser(WU)
    path = "/admin/certificates/X-RTM"
    answer = wu.post(f"{path}/conversion-rules", data={
        "csrf_token": csrf(wu, path), "level": "junior", "effective_from": "2027-03-01", "reason": "more",
        "course-1": "A", "credits-1": "3", "course-2": "B", "credits-2": "3"})
    assert answer.status_code == 409
    assert "This level is worth 4 credits; the courses use 6" in near(answer, "course-1")


def test_given_garbage_in_every_field_when_sent_then_each_field_is_named_and_nothing_changes(site: Site) -> None:
    wu = site.browser(WU)
    path = "/admin/certificates/X-RTM"
    answer = wu.post(f"{path}/conversion-rules", data={
        "csrf_token": csrf(wu, path), "level": "grandmaster", "effective_from": "31/02/2027", "reason": "",
        "course-1": "x" * 300, "credits-1": "lots", "credits-2": "-1"})
    assert answer.status_code == 422
    assert "Choose one of the certificate's levels" in near(answer, "level")
    assert "YYYY-MM-DD" in near(answer, "effective_from")
    assert "Give the reason for this rule" in near(answer, "reason")
    assert "whole number" in near(answer, "credits-1")
    listed = wu.post("/admin/certificates/new", data={
        "csrf_token": csrf(wu), "code": "bad code/../", "title": "", "organisation": "x",
        "junior-include": "yes", "junior-credits": "many", "senior-include": "yes", "senior-credits": "2",
        "senior-requirements": "MEC-01; twelve"})
    assert listed.status_code == 422
    assert "letters, digits" in near(listed, "code")
    assert "blank" in near(listed, "title") or "Length" in near(listed, "title") or near(listed, "title") != ""
    assert "whole number" in near(listed, "junior-credits")
    assert "Line 1" in near(listed, "senior-requirements")
    assert wu.get("/admin/certificates/NO-SUCH").status_code == 404
    assert wu.post("/admin/certificates/NO-SUCH/conversion-rules", data={"csrf_token": csrf(wu)}).status_code == 404


def test_given_a_new_certificate_when_listed_then_it_opens_with_its_levels(site: Site) -> None:
    wu = site.browser(WU)
    answer = wu.post("/admin/certificates/new", data={
        "csrf_token": csrf(wu), "code": "X-WLD", "title": "Welding", "organisation": "Welding Institute",
        "junior-include": "yes", "junior-credits": "3", "junior-requirements": "MEC-01, 40\nMEC-02, 20, 3",
        "intermediate-include": "yes", "intermediate-credits": "6", "intermediate-requirements": ""})
    assert answer.status_code == 303, text(answer)
    shown = text(wu.get(answer.headers["Location"]))
    assert "X-WLD · Welding" in shown and "junior: 3 credits" in shown and "MEC-02 20 3" in shown
    again = wu.post("/admin/certificates/new", data={
        "csrf_token": csrf(wu), "code": "X-WLD", "title": "Welding", "organisation": "Welding Institute",
        "junior-include": "yes", "junior-credits": "3"})
    assert again.status_code == 409 and "already in the catalogue" in near(again, "code")
    assert "X-WLD" in text(wu.get("/admin/certificates"))


def test_given_someone_other_than_an_admin_when_they_open_the_certificate_pages_then_they_are_refused(
        site: Site) -> None:
    for who in (CHEN, ZHAO, LIU):
        browser = site.browser(who)
        for path in ("/admin/certificates", "/admin/certificates/new", "/admin/certificates/X-RTM"):
            assert browser.get(path).status_code == 403, (who, path)
        answer = browser.post("/admin/certificates/X-RTM/conversion-rules", data={
            "csrf_token": csrf(browser, "/account"), "level": "junior", "effective_from": "2027-01-01",
            "reason": "x", "course-1": "A", "credits-1": "1"})
        assert answer.status_code == 403, who

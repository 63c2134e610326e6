"""The competency catalogues' pages, used as an administrator uses them: signed in through the real form, in the demo
world (mechatronics and electronics, with a revised target and a retired competency). What is asserted is what a
person sees: the competencies in force, every change with its reason and effective date, refusals next to the
field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.support.pages import PageSite as Site
from tests.support.pages import csrf, page_site, text

pytestmark = pytest.mark.api

WU = "admin-wu"
CHEN = "coordinator-chen"
AUDITOR = "auditor-gao"
ZHAO = "mentor-zhao"


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "catalogue-pages", caught_up=False) as built:
        yield built


def test_given_the_demo_catalogues_when_the_admin_opens_them_then_each_change_shows_with_its_reason_and_date(
        site: Site) -> None:
    wu = site.browser(WU)
    listed = wu.get("/admin/catalogues")
    assert listed.status_code == 200
    assert "mechatronics" in text(listed) and "electronics" in text(listed)
    page = text(wu.get("/admin/catalogues/electronics"))
    assert "Assemble printed circuit boards" in page and "retired from Oct 1, 2026" in page
    assert "through-hole boards left the product range" in page and "Wu Ming" in page
    assert "requested by Huang Li" in page, "the change applied on the coordinator's request, approved by the admin"
    assert "Rejected by Wu Ming: every school of electronics trains to one target" in page
    mechatronics = text(wu.get("/admin/catalogues/mechatronics?on=2026-08-01"))
    assert "the new PLC module adds a week" in mechatronics and "from Sep 1, 2026: 140 h" in mechatronics
    chinese = text(site.browser(WU, "zh-CN").get("/admin/catalogues/electronics"))
    assert "能力目录：electronics" in chinese and "停用" in chinese and "新增能力项" in chinese


def test_given_an_admin_when_they_add_revise_and_retire_then_the_catalogue_shows_each_change_with_reason_and_date(
        site: Site) -> None:
    wu = site.browser(WU)
    token = csrf(wu, "/admin/catalogues/mechatronics")
    added = wu.post("/admin/catalogues/mechatronics/competencies", data={
        "csrf_token": token, "code": "MEC-04", "title": "Hydraulic systems", "target_hours": "60",
        "scale": "five-point", "effective_from": "2027-01-01"})
    assert added.status_code == 303
    assert "Added MEC-04 to the catalogue." in text(wu.get(added.headers["Location"]))
    revised = wu.post("/admin/catalogues/mechatronics/competencies/MEC-04/target", data={
        "csrf_token": token, "target_hours": "80", "effective_from": "2027-03-01",
        "reason": "the hydraulics workshop doubled"})
    assert revised.status_code == 303
    retired = wu.post("/admin/catalogues/mechatronics/competencies/MEC-01/retirement", data={
        "csrf_token": token, "effective_from": "2027-06-01", "reason": "drive units move to MEC-05"})
    assert retired.status_code == 303
    page = text(wu.get("/admin/catalogues/mechatronics"))
    assert "the hydraulics workshop doubled" in page and "Mar 1, 2027" in page and "target revised to 80 h" in page
    assert "drive units move to MEC-05" in page and "Jun 1, 2027" in page
    opened = wu.post("/admin/catalogues", data={
        "csrf_token": token, "major": "welding", "code": "WEL-01", "title": "MIG welding", "target_hours": "100",
        "scale": "percent", "effective_from": "2026-12-01"})
    assert opened.status_code == 303 and "/admin/catalogues/welding" in opened.headers["Location"]
    assert "welding" in text(wu.get("/admin/catalogues"))


def test_given_bad_inputs_when_a_change_is_sent_then_the_refusal_names_the_field_and_nothing_500s(site: Site) -> None:
    wu = site.browser(WU)
    token = csrf(wu, "/admin/catalogues/mechatronics")
    empty = wu.post("/admin/catalogues/mechatronics/competencies/MEC-02/target", data={
        "csrf_token": token, "target_hours": "-4", "effective_from": "someday", "reason": " "})
    assert empty.status_code == 422
    for words in ("Target hours: a whole number", "Effective from: a day as YYYY-MM-DD", "Reason: say why"):
        assert words in text(empty), words
    early = wu.post("/admin/catalogues/mechatronics/competencies/MEC-02/target", data={
        "csrf_token": token, "target_hours": "150", "effective_from": "2026-08-01", "reason": "earlier"})
    assert early.status_code == 409 and "last changed with effect from Sep 1, 2026" in text(early)
    twice = wu.post("/admin/catalogues/mechatronics/competencies", data={
        "csrf_token": token, "code": "MEC-02", "title": "again", "target_hours": "10", "scale": "percent",
        "effective_from": "2026-12-01"})
    assert twice.status_code == 409 and "already has this competency" in text(twice)
    ghost = wu.post("/admin/catalogues/mechatronics/competencies/NOPE/retirement", data={
        "csrf_token": token, "effective_from": "2026-12-01", "reason": "gone"})
    assert ghost.status_code == 404
    assert wu.get("/admin/catalogues/no-such-major").status_code == 404
    assert wu.get("/admin/catalogues/mechatronics?on=garbage").status_code == 200


def test_given_an_auditor_or_a_mentor_then_they_read_the_catalogue_but_change_nothing(site: Site) -> None:
    for who in (AUDITOR, ZHAO):
        browser = site.browser(who)
        page = browser.get("/admin/catalogues/mechatronics")
        assert page.status_code == 200 and "Add a competency" not in text(page)
        answer = browser.post("/admin/catalogues/mechatronics/competencies/MEC-03/retirement", data={
            "csrf_token": csrf(browser, "/admin/catalogues/mechatronics"), "effective_from": "2027-01-01",
            "reason": "not mine to retire"})
        assert answer.status_code == 403, who
    chen = site.browser(CHEN)
    page = text(chen.get("/admin/catalogues/mechatronics"))
    assert "Request a change of the catalogue" in page and "Approve and apply" not in page, "coordinators request"


def test_given_a_coordinator_when_they_ask_for_changes_then_the_admin_approves_or_rejects_them_on_the_page(
        site: Site) -> None:
    chen, wu = site.browser(CHEN), site.browser(WU)
    token = csrf(chen, "/admin/catalogues/mechatronics")
    direct = chen.post("/admin/catalogues/mechatronics/competencies/MEC-02/target", data={
        "csrf_token": token, "target_hours": "150", "effective_from": "2027-04-01", "reason": ""})
    assert direct.status_code == 422 and "Reason: say why" in text(direct), "a request needs its reason"
    asked = chen.post("/admin/catalogues/mechatronics/competencies/MEC-02/target", data={
        "csrf_token": token, "target_hours": "150", "effective_from": "2027-04-01",
        "reason": "robot cells join the PLC module"})
    assert asked.status_code == 303
    assert "Your change request is filed" in text(chen.get(asked.headers["Location"]))
    retire = chen.post("/admin/catalogues/mechatronics/competencies/MEC-04/retirement", data={
        "csrf_token": token, "effective_from": "2027-05-01", "reason": "hydraulics are taught at school"})
    assert retire.status_code == 303
    page = wu.get("/admin/catalogues/mechatronics?on=2027-06-01").get_data(as_text=True)
    assert "Revise the target of MEC-02 to 150 h" in text(page) and "robot cells join the PLC module" in text(page)
    assert "150 h" not in text(page).split("Changes")[0], "nothing applies before the approval"
    [revision] = [r for r in site.container.training.get_catalogue("mechatronics").requests.values()
                  if r.reason == "robot cells join the PLC module"]
    [retirement] = [r for r in site.container.training.get_catalogue("mechatronics").requests.values()
                    if r.reason == "hydraulics are taught at school"]
    assert chen.post(f"/admin/catalogues/mechatronics/requests/{revision.request_id}/approval",
                     data={"csrf_token": token}).status_code == 403
    wu_token = csrf(wu, "/admin/catalogues/mechatronics")
    approved = wu.post(f"/admin/catalogues/mechatronics/requests/{revision.request_id}/approval",
                       data={"csrf_token": wu_token})
    assert approved.status_code == 303
    assert "The request is approved" in text(wu.get(approved.headers["Location"]))
    rejected = wu.post(f"/admin/catalogues/mechatronics/requests/{retirement.request_id}/rejection",
                       data={"csrf_token": wu_token, "reason": "every centre runs hydraulic presses"})
    assert rejected.status_code == 303
    page = text(wu.get("/admin/catalogues/mechatronics?on=2027-06-01"))
    assert "from Apr 1, 2027: 150 h" in page or "target revised to 150 h" in page
    assert "requested by Chen Jing" in page and "Rejected by Wu Ming: every centre runs hydraulic presses" in page
    again = wu.post(f"/admin/catalogues/mechatronics/requests/{revision.request_id}/approval",
                    data={"csrf_token": wu_token})
    assert again.status_code == 409 and "decided already" in text(again)
    chinese = text(site.browser(CHEN, "zh-CN").get("/admin/catalogues/mechatronics"))
    assert "申请修改目录" in chinese and "变更申请" in chinese


def test_given_a_coordinator_when_they_open_a_catalogue_for_a_new_major_then_its_first_competency_is_a_request(
        site: Site) -> None:
    chen = site.browser(CHEN)
    listed = text(chen.get("/admin/catalogues"))
    assert "Request the catalogue" in listed
    opened = chen.post("/admin/catalogues", data={
        "csrf_token": csrf(chen, "/admin/catalogues"), "major": "robotics", "code": "ROB-01",
        "title": "Teach industrial robots", "target_hours": "80", "scale": "percent", "effective_from": "2027-01-01",
        "reason": "our robotics class starts in spring"})
    assert opened.status_code == 303 and "/admin/catalogues/robotics" in opened.headers["Location"]
    page = text(chen.get(opened.headers["Location"]))
    assert "Your change request is filed" in page and "Add ROB-01: Teach industrial robots, 80 h" in page
    assert site.container.training.get_catalogue("robotics").in_force(date(2027, 2, 1)) == []

"""The coordinator's placements pages, used as a coordinator uses them: signed in through the real form, in the demo
world (Chen Jing coordinates the Qingdao college; Huang the Shenzhen school). The Hefei workshop has one place, held
in January and February 2027 by Wu Hao (agreed here), so a second proposal then is over capacity. What is asserted
is what a person sees: names, stages, next actions, free places, refusals in words next to the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from dualtrack.demo import person_id
from services.common.identity import Actor, CommandContext, Role
from tests.support.pages import PageSite as Site
from tests.support.pages import csrf, page_site, text

pytestmark = pytest.mark.api

def near(answer: Any, field_id: str, length: int = 900) -> str:
    """The text around a field (its label, the field and the refusal beside it)."""
    html = answer.get_data(as_text=True)
    at = html.index(f'id="{field_id}"')
    return text(html[at:at + length])


def acting(handle: str, role: Role, **scope: str) -> CommandContext:
    return CommandContext(Actor(person_id(handle), role, **scope), correlation_id="pages-test")


def agree_at_hefei(container: Any, ids: Any) -> None:
    """Wu Hao (spring cohort, an adult) holds Hefei's one place in January and February 2027; He Xiaoyu (a minor
at the Shenzhen school) is proposed a spring placement that her guardian confirms."""
    app, student, hefei = container.placements, UUID(ids.spring_cohort[0]), UUID(ids.centres[1])
    chen = acting("coordinator-chen", Role.COORDINATOR, school_id=ids.schools[0])
    placement = app.propose_placement(chen, student, centre_id=hefei, start=date(2027, 1, 4),
                                      planned_end=date(2027, 2, 26), post="refrigeration apprentice",
                                      weekly_hours=36).placement_id
    app.approve_placement_as_school(chen, student, placement)
    app.approve_placement_as_enterprise(acting("enterprise-admin-zhou", Role.ENTERPRISE_ADMIN,
                                               enterprise_id=ids.enterprises[0]), student, placement,
                                        mentor_id=person_id("mentor-li"))
    app.confirm_placement(CommandContext(Actor(str(student), Role.STUDENT, student_id=str(student)),
                                         correlation_id="pages-test"), student, placement)
    huang = acting("coordinator-huang", Role.COORDINATOR, school_id=ids.schools[1])
    app.propose_placement(huang, UUID(ids.students[3]), centre_id=UUID(ids.centres[3]), start=date(2027, 3, 1),
                          planned_end=date(2027, 4, 30), post="test assistant", weekly_hours=30)


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "coordinator-placements", agree_at_hefei) as built:
        yield built


def proposal(site: Site, **changes: str) -> dict[str, str]:
    ids = site.ids
    zhou = next(s for s in ids.students if site.container.placements.find_student(s).name == "Zhou Jie")
    return {"student_id": zhou, "centre_id": ids.centres[0], "kind": "post", "start": "2027-03-01",
            "planned_end": "2027-06-30", "post": "assembly apprentice", "weekly_hours": "36",
            "speciality_override_reason": "", "capacity_override_justification": "", **changes}


def test_given_a_proposal_when_the_coordinator_checks_it_proposes_and_approves_then_it_moves_along_the_pipeline(
        site: Site) -> None:
    chen = site.browser("coordinator-chen")
    token = csrf(chen, "/coordinator/placements/new")
    checked = chen.post("/coordinator/placements/new", data={**proposal(site), "csrf_token": token,
                                                             "action": "check"})
    assert checked.status_code == 200
    seen = text(checked)
    assert "Free places at Qingdao Appliance Training Centre" in seen
    assert "Mar 1, 2027 6 3 9" in seen, "6 of the 15 places held by the spring cohort (3 expected there by the plan): 9 free"
    assert 'value="assembly apprentice"' in checked.get_data(as_text=True), "what was typed is kept"

    proposed = site.follow(chen, chen.post("/coordinator/placements/new", data={
        **proposal(site), "csrf_token": token, "action": "propose"}))
    seen = text(proposed)
    assert "The placement is proposed." in seen
    html = proposed.get_data(as_text=True)
    approvals = text(html[html.index('id="stage-approvals"'):html.index('id="stage-agreed"')])
    assert "Zhou Jie" in approvals and "waiting for the school's approval (yours)" in approvals
    assert "waiting for the approval of Haier Smart Home" in approvals

    row = html[html.index("Zhou Jie", html.index('id="stage-approvals"')):]
    placement = re.search(r'/coordinator/placements/([0-9a-f-]{36})/school-approval', row).group(1)
    student = re.search(r'name="student_id" value="([0-9a-f-]{36})"', row).group(1)
    approved = site.follow(chen, chen.post(f"/coordinator/placements/{placement}/school-approval",
                                           data={"csrf_token": token, "student_id": student}))
    seen = text(approved)
    assert "Approved for the school." in seen
    row = approved.get_data(as_text=True)
    row = text(row[row.index(f'id="placement-{placement}"'):][:4000])
    assert "waiting for the approval of Haier Smart Home" in row and "(yours)" not in row
    assert "Approve for the school" not in row


def test_given_a_full_centre_when_the_coordinator_proposes_there_then_the_refusals_are_next_to_their_fields(
        site: Site) -> None:
    chen = site.browser("coordinator-chen")
    token = csrf(chen, "/coordinator/placements/new")
    ma = next(s for s in site.ids.students if site.container.placements.find_student(s).name == "Ma Lin")
    at_hefei = proposal(site, student_id=ma, centre_id=site.ids.centres[1], start="2027-01-11",
                        planned_end="2027-02-12", post="line welder")
    checked = chen.post("/coordinator/placements/new", data={**at_hefei, "csrf_token": token, "action": "check"})
    assert "Weeks of the period with no free place: 5." in text(checked)

    full = chen.post("/coordinator/placements/new", data={**at_hefei, "csrf_token": token, "action": "propose"})
    assert full.status_code == 409
    assert "The centre is full in this period: 1 of 1 places are held." in near(full, "capacity_override_justification")
    assert 'value="line welder"' in full.get_data(as_text=True)

    justified = chen.post("/coordinator/placements/new", data={
        **at_hefei, "capacity_override_justification": "a bench lent by Qingdao", "csrf_token": token,
        "action": "propose"})
    assert justified.status_code == 409
    assert "does not train the student's major (welding" in near(justified, "speciality_override_reason")
    assert ">a bench lent by Qingdao<" in justified.get_data(as_text=True)

    backwards = chen.post("/coordinator/placements/new", data={
        **at_hefei, "planned_end": "2026-12-01", "csrf_token": token, "action": "propose"})
    assert backwards.status_code == 422
    assert "not before the start" in near(backwards, "planned_end")


def test_given_garbage_in_every_field_when_proposed_then_each_field_is_named_and_nothing_breaks(site: Site) -> None:
    chen = site.browser("coordinator-chen")
    token = csrf(chen, "/coordinator/placements/new")
    garbage = {"student_id": "' OR 1=1 --", "centre_id": "x" * 5000, "kind": "\x00", "start": "31/02/2027",
               "planned_end": "tomorrow", "post": "\x1b[2J", "weekly_hours": "-4e9",
               "speciality_override_reason": "\x07", "capacity_override_justification": "<script>"}
    for action in ("check", "propose"):
        answer = chen.post("/coordinator/placements/new", data={**garbage, "csrf_token": token, "action": action})
        assert answer.status_code in (200, 422), (action, answer.status_code)
    assert "Choose a student of your school." in near(answer, "student_id", 6000)
    for field in ("centre_id", "kind", "start", "planned_end", "post", "weekly_hours", "speciality_override_reason"):
        assert 'aria-invalid="true"' in answer.get_data(as_text=True).split(f'id="{field}"')[1][:300], field
    assert "&lt;script&gt;" in answer.get_data(as_text=True)
    for path in ("/coordinator/placements?stage=%00&centre=zzz&cohort=abc&page=-1",
                 "/coordinator/placements/new?centre_id=nope&start=x&planned_end=y"):
        assert chen.get(path).status_code == 200, path
    row = chen.post(f"/coordinator/placements/{site.ids.placements[0]}/school-approval",
                    data={"csrf_token": token, "student_id": "nobody"})
    assert row.status_code == 404 and "Not found" in text(row)


def test_given_another_schools_coordinator_or_a_student_then_they_never_see_these_placements(site: Site) -> None:
    huang = site.browser("coordinator-huang")
    page = huang.get("/coordinator/placements?stage=approvals")
    seen = text(page)
    assert "He Xiaoyu" in seen and "waiting for the guardian's confirmation" in seen
    html = page.get_data(as_text=True)
    code = re.search(r'action="(/coordinator/placements/[0-9a-f-]{36}/guardian-code)"', html).group(1)
    mailed = huang.post(code, data={"csrf_token": csrf(huang, "/coordinator/placements"),
                                    "student_id": site.ids.students[3], "stage": "approvals"})
    assert mailed.status_code == 303 and "stage=approvals" in mailed.headers["Location"]
    assert "A code was mailed to the guardian at h***@family.example." in text(huang.get(mailed.headers["Location"]))
    for name in ("Liu Yang", "Zhou Jie", "Wu Hao"):
        assert name not in seen, name
    form = text(huang.get("/coordinator/placements/new"))
    assert "Zhou Jie" not in form and "He Xiaoyu" in form
    token = csrf(huang, "/coordinator/placements")
    liu, first = site.ids.students[0], site.ids.placements[1]
    refused = huang.post(f"/coordinator/placements/{first}/withdrawal", data={
        "csrf_token": token, "student_id": liu, "reason": "not ours"})
    assert refused.status_code == 403 and "Liu Yang" not in text(refused)
    proposing = huang.post("/coordinator/placements/new", data={
        **proposal(site), "csrf_token": token, "action": "propose"})
    assert proposing.status_code == 422 and "Choose a student of your school." in text(proposing)
    for handle in ("student-liu", "mentor-zhao", "admin-wu"):
        assert site.browser(handle).get("/coordinator/placements").status_code == 403, handle


def test_given_a_chinese_browser_when_the_coordinator_checks_a_proposal_then_the_pages_speak_chinese(
        site: Site) -> None:
    chen = site.browser("coordinator-chen", "zh-CN")
    assert "等待审批" in text(chen.get("/coordinator/placements"))
    token = csrf(chen, "/coordinator/placements/new")
    checked = chen.post("/coordinator/placements/new", data={
        **proposal(site, start="2027-07-05", planned_end="2027-07-02"), "csrf_token": token, "action": "propose"})
    assert checked.status_code == 422 and "不得早于开始日期" in near(checked, "planned_end")

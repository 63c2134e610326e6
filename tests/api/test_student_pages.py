"""The student's pages, as a student (and a minor's guardian) sees them in the demo world, signed in through the
real sign-in form: placements and confirming them, the calendar and its subscription links, certificates and
credits, and who read their data; refused to other roles, to a form without its CSRF token, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from dualtrack.demo.world import acting_as, person_id
from services.common.identity import CommandContext, Role
from tests.support.pages import EMAILS, PageSite, page_site, text, token_in

pytestmark = pytest.mark.api

LIU = "student-liu"
GUARDIAN = "guardian-he"
MENTOR = "mentor-zhao"
HE_XIAOYU = ("he.xiaoyu@students.szps.example", "xiaoyu-password-2026")
PAGES = ["/student/placements", "/student/calendar", "/student/credits", "/student/credits/statement.json",
         "/student/reads"]


class World(PageSite):
    """The demo world copied for this module, a test client per person, the read models caught up on demand."""

    def __init__(self, app: Any, container: Any, ids: Any) -> None:
        super().__init__(app, container, ids)
        self.he = ids.students[3]
        self.clients: dict[tuple[str, str], Any] = {}

    def signed_in(self, login: str, password: str, language: str = "en") -> Any:
        """A client signed in through the sign-in form (one per person and language: argon2 is slow on purpose)."""
        if (login, language) in self.clients:
            return self.clients[login, language]
        http = self.clients[login, language] = self.app.test_client()
        http.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        answer = http.post("/sign-in", data={"login": login, "password": password})
        assert answer.status_code == 303, answer.text
        return http

    def as_(self, handle: str, language: str = "en") -> Any:
        return self.signed_in(EMAILS[handle], self.ids.sign_ins[handle], language)


@pytest.fixture(scope="module")
def world(sqlite_demo_template, tmp_path_factory) -> Iterator[World]:
    def prepare(container: Any, ids: Any) -> None:
        _give_he_xiaoyu_an_account(container, ids.students[3])

    with page_site(sqlite_demo_template, tmp_path_factory, "student-pages", prepare, World) as world:
        yield world


def _give_he_xiaoyu_an_account(container: Any, he: str) -> None:
    """The minor He Xiaoyu signs in too (the demo gives her no account): an account and a student grant."""
    loader = CommandContext.for_system("test-loader")
    email, password = HE_XIAOYU
    container.identity.add_account(loader, name="He Xiaoyu", email=email, phone=None, password=password,
                                   person_id=uuid4())
    container.identity.invite(loader, name="He Xiaoyu", email=email, role=Role.STUDENT, student_id=he)


def _proposed(world: World, student: str, school: str, coordinator: str, centre: str, enterprise_admin: str,
              enterprise: str, mentor: str, start: date, end: date, post: str) -> str:
    """A placement proposed by the student's coordinator and approved by school and enterprise: it waits for the
    student's (or guardian's) confirmation."""
    app = world.container.placements
    ctx = acting_as(Role.COORDINATOR, coordinator, school_id=school)
    placement = app.propose_placement(ctx, UUID(student), centre_id=UUID(centre), start=start, planned_end=end,
                                      post=post, weekly_hours=40).placement_id
    app.approve_placement_as_school(ctx, UUID(student), placement)
    app.approve_placement_as_enterprise(acting_as(Role.ENTERPRISE_ADMIN, enterprise_admin, enterprise_id=enterprise),
                                        UUID(student), placement, mentor_id=person_id(mentor))
    world.project()
    return placement


# -- placements ----------------------------------------------------------------------------------------------------


def test_given_liu_signed_in_when_she_opens_her_placements_then_she_sees_the_centres_and_enterprises_by_name(
        world: World) -> None:
    page = world.as_(LIU).get("/student/placements")
    assert page.status_code == 200
    seen = text(page.text)
    assert "High-Speed Train Maintenance Base" in seen and "CRRC Qingdao Sifang" in seen
    assert "Qingdao Appliance Training Centre" in seen and "Haier Smart Home" in seen
    assert "Zhao Min" in seen, "the mentor by name"
    assert "bogie fitter" in seen and "moved to another centre" in seen
    assert "Nothing waits for your confirmation" in seen
    assert world.ids.centres[2] not in seen, "names, not ids"


def test_given_a_placement_waiting_for_liu_when_she_presses_confirm_then_the_page_shows_it_confirmed(
        world: World) -> None:
    ids = world.ids
    placement = _proposed(world, world.liu, ids.schools[0], "coordinator-chen", ids.centres[0],
                          "enterprise-admin-zhou", ids.enterprises[0], "mentor-wang", date(2027, 1, 4),
                          date(2027, 2, 26), "line inspector")
    liu = world.as_(LIU)
    page = liu.get("/student/placements")
    waiting = text(page.text).split("All my placements")[0]
    assert "line inspector" in waiting and "Confirm" in waiting
    assert f'action="/student/placements/{placement}/confirmation"' in page.text

    pressed = liu.post(f"/student/placements/{placement}/confirmation", data={"csrf_token": token_in(page.text)})
    assert pressed.status_code == 303
    location = pressed.headers["Location"]
    assert location.startswith(f"/student/placements?confirmed={placement}&wait_for=")
    world.project()
    after = liu.get(location)
    assert after.status_code == 200
    seen = text(after.text)
    assert "Nothing waits for your confirmation" in seen and "Confirmed. Thank you." in seen
    assert "agreed, not started yet" in seen
    again = liu.post(f"/student/placements/{placement}/confirmation", data={"csrf_token": token_in(page.text)})
    assert again.status_code == 409 and "waits for no confirmation" in text(again.text)


def test_given_a_minors_placement_then_she_is_refused_in_words_and_her_guardian_confirms_it(world: World) -> None:
    ids = world.ids
    placement = _proposed(world, world.he, ids.schools[1], "coordinator-huang", ids.centres[3],
                          "enterprise-admin-ma", ids.enterprises[2], "mentor-sun", date(2027, 2, 1),
                          date(2027, 4, 30), "calibration assistant")
    xiaoyu = world.signed_in(*HE_XIAOYU)
    page = xiaoyu.get("/student/placements")
    seen = text(page.text)
    assert "your guardian confirms this placement" in seen and "Send my guardian a code" in seen
    assert f"/student/placements/{placement}/confirmation" not in page.text, "no button she cannot use"

    refused = xiaoyu.post(f"/student/placements/{placement}/confirmation", data={"csrf_token": token_in(page.text)})
    assert refused.status_code == 409
    assert "You are under 18 on the start date: your guardian confirms this placement." in text(refused.text)
    assert "guardian-consent-required" not in refused.text

    sent = xiaoyu.post(f"/student/placements/{placement}/guardian-code", data={"csrf_token": token_in(page.text)})
    assert sent.status_code == 303
    shown = text(xiaoyu.get(sent.headers["Location"]).text)
    assert "A code was mailed to your guardian at h***@family.example" in shown
    assert "he.jianguo@family.example" not in shown

    guardian = world.as_(GUARDIAN)
    theirs = guardian.get("/student/placements")
    assert "Placements of He Xiaoyu" in text(theirs.text) and "Confirm as guardian" in theirs.text
    pressed = guardian.post(f"/student/placements/{placement}/confirmation", data={"csrf_token": token_in(theirs.text)})
    assert pressed.status_code == 303
    world.project()
    after = text(guardian.get(pressed.headers["Location"]).text)
    assert "Confirmed. Thank you." in after and "Confirmed by the guardian." in after


@pytest.mark.parametrize("form", ["/student/placements/{placement}/confirmation",
                                  "/student/placements/{placement}/guardian-code", "/student/calendar/links"])
def test_given_a_form_without_its_csrf_token_then_it_is_refused_and_nothing_is_done(world: World, form: str) -> None:
    liu = world.as_(LIU)
    path = form.format(placement=world.ids.placements[1])
    assert liu.post(path, data={}).status_code == 400
    assert liu.post(path, data={"csrf_token": "0" * 64}).status_code == 400
    assert "Link 1" not in text(liu.get("/student/calendar").text), "no calendar link was made"


@pytest.mark.parametrize("path", PAGES)
def test_given_a_mentor_then_the_students_pages_are_refused_in_words(world: World, path: str) -> None:
    answer = world.as_(MENTOR).get(path)
    assert answer.status_code == 403
    assert "These pages are for students and their guardians." in text(answer.text)


@pytest.mark.parametrize("path", PAGES)
def test_given_nobody_signed_in_then_the_students_pages_lead_to_the_sign_in(world: World, path: str) -> None:
    answer = world.app.test_client().get(path)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize(("path", "english", "chinese"), [
    ("/student/placements", "My placements", "我的岗位安排"),
    ("/student/calendar", "At High-Speed Train Maintenance Base", "在 High-Speed Train Maintenance Base"),
    ("/student/credits", "My certificates and credits", "我的证书与学分"),
    ("/student/reads", "Who read my data", "谁查看了我的数据"),
])
def test_given_a_browser_asking_for_chinese_then_each_page_speaks_chinese_and_english_otherwise(
        world: World, path: str, english: str, chinese: str) -> None:
    page = world.as_(LIU, language="zh-CN,zh;q=0.9").get(path)
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert chinese in text(page.text) and english not in text(page.text)
    page = world.as_(LIU).get(path)
    assert page.status_code == 200 and 'lang="en"' in page.text and english in text(page.text)


@pytest.mark.parametrize("path", PAGES)
def test_given_the_guardian_of_a_minor_then_each_page_shows_her_records(world: World, path: str) -> None:
    assert world.as_(GUARDIAN).get(path).status_code == 200


# -- calendar ------------------------------------------------------------------------------------------------------


def test_given_liu_signed_in_when_she_opens_her_calendar_then_she_sees_her_weeks_at_school_and_at_the_rail_base(
        world: World) -> None:
    liu = world.as_(LIU)
    page = liu.get("/student/calendar")
    assert page.status_code == 200
    seen = text(page.text)
    assert "At High-Speed Train Maintenance Base" in seen and "36 hours a week" in seen
    assert "At school" in seen and "Holiday: New Year's Day" in seen and "this week" in seen
    assert "mid-term exams" not in seen and "Show the 4 weeks before this one too" in seen
    earlier = text(liu.get("/student/calendar?past=1").text)
    assert "Exams: mid-term exams" in earlier


def test_given_a_calendar_link_made_on_the_page_then_it_serves_the_feed_without_a_token_until_it_is_stopped(
        world: World) -> None:
    liu = world.as_(LIU)
    page = liu.get("/student/calendar")
    made = liu.post("/student/calendar/links", data={"csrf_token": token_in(page.text)})
    assert made.status_code == 201
    url = re.search(r'id="link-url" type="text" readonly value="([^"]+)"', made.text).group(1)
    assert url.startswith("http://localhost/api/v1/calendar-links/") and url.endswith(".ics")
    assert 'href="webcal://localhost/api/v1/calendar-links/' in made.text
    assert "Add to my phone's calendar" in text(made.text)
    path = url.removeprefix("http://localhost")

    feed = world.app.test_client().get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in feed.text and "High-Speed Train Maintenance Base" in feed.text

    listed = liu.get("/student/calendar")
    assert path.split("/")[-1] not in listed.text, "the secret is shown once only"
    stops = re.findall(r'action="(/student/calendar/links/[0-9a-f]+/revocation)"', listed.text)
    assert len(stops) == 1 and "Link 1 to this calendar" in text(listed.text)
    stopped = liu.post(stops[0], data={"csrf_token": token_in(listed.text)})
    assert stopped.status_code == 303
    after = text(liu.get(stopped.headers["Location"]).text)
    assert "The link was stopped" in after and "You have no calendar links." in after
    assert world.app.test_client().get(path).status_code == 401


# -- certificates and credits --------------------------------------------------------------------------------------


def test_given_liu_signed_in_when_she_opens_her_credits_then_she_sees_her_certificate_and_the_balance(
        world: World) -> None:
    liu = world.as_(LIU)
    page = liu.get("/student/credits")
    assert page.status_code == 200
    seen = text(page.text)
    assert "Rail transit vehicle maintenance · junior" in seen and "RTM-J-2026-0171" in seen
    assert "CRRC Vocational Skills Assessment Centre" in seen
    assert "Credits available now: 1" in seen
    assert "Converted into the course MEC-201 Drive systems (you are exempt from it)" in seen
    assert "+4" in seen and "-3" in seen

    signed = liu.get("/student/credits/statement.json")
    assert signed.status_code == 200 and signed.mimetype == "application/json"
    assert "attachment" in signed.headers["Content-Disposition"]
    document = signed.get_json()
    assert document["statement"]["student_id"] == world.liu and document["statement"]["balance"] == 1
    assert document["signature"]["algorithm"] == "Ed25519"


# -- who read my data ----------------------------------------------------------------------------------------------


def test_given_an_auditor_read_liu_s_progress_when_she_opens_who_read_her_data_then_she_sees_them_by_name(
        world: World) -> None:
    page = world.as_(LIU).get("/student/reads")
    assert page.status_code == 200
    seen = text(page.text)
    assert "Gao Ping" in seen and "auditor" in seen and "your progress" in seen
    assert "Chen Jing" in seen and "school coordinator" in seen and "your credit account" in seen
    assert "Reads on record: 3" in seen
    assert person_id("auditor-gao") not in page.text, "names, not ids"


def test_given_the_guardian_when_he_opens_who_read_the_data_then_he_sees_the_minors_reads_not_liu_s(
        world: World) -> None:
    page = world.as_(GUARDIAN).get("/student/reads")
    assert page.status_code == 200
    assert "Who read your student&#39;s data" in page.text or "Who read your student's data" in text(page.text)
    assert "Gao Ping" not in text(page.text)

"""The administrator's people pages, used as Wu Ming (admin) uses them: signed in through the real form, in the
demo world. What is asserted is what a person sees: names and roles in words, invitations waiting with their
expiry, refusals in words next to the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dualtrack.demo import DEMO_TODAY, person_id
from tests.support.pages import PageSite, csrf, page_site, text

pytestmark = pytest.mark.api

WU = "admin-wu"
CHEN = "coordinator-chen"
ZHAO = "mentor-zhao"
LIU = "student-liu"
GAO = "teacher-gao"
QTC = "Qingdao Technician College"


class Site(PageSite):
    def mail_to(self, address: str) -> str | None:
        with self.container.view_db.transaction() as tx:
            row = tx.execute("SELECT subject FROM mail_outbox WHERE recipient = ?", (address,)).fetchone()
        return row[0] if row else None


def near(answer: Any, field: str) -> str:
    """The words of the page from the field's input to the next field's label (where its refusal is shown)."""
    page = answer.get_data(as_text=True)
    start = page.index(f'id="{field}"')
    end = page.find("<label", start)
    return text(page[start:end if end > 0 else None])


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "people-pages", kind=Site, caught_up=False) as built:
        yield built


def test_given_the_admin_when_they_search_people_by_name_then_each_is_shown_with_their_roles_in_words(
        site: Site) -> None:
    wu = site.browser(WU)
    page = wu.get("/admin/people?q=chen")
    assert page.status_code == 200
    seen = text(page)
    assert "Chen Jing" in seen and "chen.jing@qtc.example" in seen
    assert f"Coordinator · {QTC}" in seen or f"coordinator · {QTC}" in seen, seen
    assert "Zhao Min" not in seen, "only those matching the search"
    assert site.ids.schools[0] not in seen, "names, not ids"
    everyone = text(wu.get("/admin/people"))
    assert "Liu Yang" in everyone and re.search(r"Everyone with an account: \d+", everyone)
    assert "Liu Yang" in text(wu.get("/admin/people?page=99")), "a page past the last shows the last"
    waiting = everyone[everyone.index("Invitations waiting"):]
    assert "Lin Fang" in waiting, "the demo's teacher invited by Chen Jing, who has not joined"
    renew = re.findall(r'action="(/admin/people/[0-9a-f-]+/invitation)"', wu.get("/admin/people").get_data(as_text=True))
    mailed = wu.post(renew[0], data={"csrf_token": csrf(wu)})
    assert mailed.status_code == 303
    assert "A new link to join was mailed to Lin Fang." in text(wu.get(mailed.headers["Location"]))


def test_given_the_admin_when_they_invite_a_teacher_then_a_mail_waits_in_the_outbox_and_the_invitation_is_pending(
        site: Site) -> None:
    wu = site.browser(WU)
    form = wu.get("/admin/people/invite")
    assert form.status_code == 200 and QTC in text(form)
    answer = wu.post("/admin/people/invite", data={
        "csrf_token": csrf(wu), "name": "Xu Lan", "email": "xu.lan@qtc.example", "role": "teacher",
        "school": site.ids.schools[0], "action": "invite"})
    assert answer.status_code == 303, text(answer)
    person = wu.get(answer.headers["Location"])
    assert "The invitation was mailed to xu.lan@qtc.example" in text(person)
    assert f"· {QTC}" in text(person)
    assert site.mail_to("xu.lan@qtc.example") == "You are invited to dualtrack"
    waiting = text(wu.get("/admin/people"))
    waiting = waiting[waiting.index("Invitations waiting"):]
    assert "Xu Lan" in waiting and str(DEMO_TODAY.year) in waiting


def test_given_a_grant_when_the_admin_withdraws_it_with_a_reason_then_the_person_is_refused_at_their_next_request(
        site: Site) -> None:
    gao = site.browser(GAO)
    assert gao.get("/account").status_code == 200
    wu = site.browser(WU)
    path = f"/admin/people/{person_id('teacher-gao')}"
    page = wu.get(path).get_data(as_text=True)
    found = re.search(r'action="(/admin/people/[^"]+/withdrawal)"', page)
    assert found is not None, "a form to withdraw each role"
    action = found.group(1)
    empty = wu.post(action, data={"csrf_token": csrf(wu, path), "reason": "  "})
    assert empty.status_code == 422
    assert "Give the reason for withdrawing this role" in near(empty, "reason-1")
    done = wu.post(action, data={"csrf_token": csrf(wu, path), "reason": "left the college in November"})
    assert done.status_code == 303
    shown = text(wu.get(done.headers["Location"]))
    assert "The role was withdrawn" in shown
    assert "Role withdrawn" in shown and "Reason: left the college in November" in shown
    refused = gao.get("/account")
    assert refused.status_code in (303, 401) and "/sign-in" in refused.headers.get("Location", "/sign-in")


def test_given_someone_other_than_an_admin_when_they_open_the_people_pages_then_they_are_refused(site: Site) -> None:
    for who in (CHEN, ZHAO, LIU):
        browser = site.browser(who)
        for path in ("/admin/people", "/admin/people/invite", f"/admin/people/{person_id('admin-wu')}"):
            assert browser.get(path).status_code == 403, (who, path)
        answer = browser.post("/admin/people/invite", data={
            "csrf_token": csrf(browser, "/account"), "name": "Eve", "email": "eve@example.com", "role": "admin"})
        assert answer.status_code == 403, who


def test_given_garbage_in_every_field_when_the_admin_invites_then_each_field_is_named_and_nothing_is_sent(
        site: Site) -> None:
    wu = site.browser(WU)
    answer = wu.post("/admin/people/invite", data={
        "csrf_token": csrf(wu), "name": "", "email": "not an address", "phone": "9" * 80, "role": "wizard",
        "school": "'; drop table", "action": "invite"})
    assert answer.status_code == 422
    assert "Give the person's name" in near(answer, "name")
    assert "Give an email address" in near(answer, "email")
    assert "Choose a role from the list" in near(answer, "role")
    answer = wu.post("/admin/people/invite", data={
        "csrf_token": csrf(wu), "name": "Xu Lan", "email": "xu2@qtc.example", "role": "teacher",
        "school": "not-a-school", "action": "invite"})
    assert answer.status_code == 422 and "Choose the school from the list" in near(answer, "school")
    answer = wu.post("/admin/people/invite", data={
        "csrf_token": csrf(wu), "name": "Xu Lan", "email": "xu2@qtc.example", "role": "student",
        "student": "00000000-0000-4000-8000-000000000000", "action": "invite"})
    assert answer.status_code == 404 and "no student" in near(answer, "student")
    assert site.mail_to("xu2@qtc.example") is None
    assert wu.get("/admin/people/not-a-person").status_code == 404
    assert wu.get(f"/admin/people/{person_id('admin-wu')}?page=x").status_code == 200
    assert wu.get("/admin/people?page=-3&q=" + "z" * 500).status_code == 200
    missing = wu.post(f"/admin/people/{person_id('mentor-zhao')}/grants/nope/withdrawal",
                      data={"csrf_token": csrf(wu), "reason": "x"})
    assert missing.status_code == 404


def test_given_a_student_named_when_the_admin_looks_for_them_then_the_list_holds_them_by_name(site: Site) -> None:
    wu = site.browser(WU, "zh-CN")
    answer = wu.post("/admin/people/invite", data={"csrf_token": csrf(wu), "student_q": "liu", "action": "find"})
    assert answer.status_code == 200
    options = re.findall(r'<option value="[0-9a-f-]{36}">([^<]+)</option>', answer.get_data(as_text=True))
    assert any(o.startswith("Liu Yang (") for o in options), options
    assert "邀请" in text(answer)

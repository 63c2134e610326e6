"""The administrators' pages of schools, enterprises and centres, used as an administrator and an enterprise admin use
them: signed in through the real form, in the demo world (Wu Ming administers; Qian runs CRRC's side, whose rail base
is asked here to host Zhou Jie, whose name Qian sees only once CRRC approved). What is asserted is what a person
sees: names, figures, refusals in words next to the field, and the refusal of whoever is not theirs to see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from services.common.identity import Role
from tests.api.test_coordinator_placement_pages import acting, near
from tests.support.pages import PageSite as Site
from tests.support.pages import csrf, page_site, text

pytestmark = pytest.mark.api


def waiting_for_crrc(container: Any, ids: Any) -> None:
    """Zhou Jie proposed at the rail base and approved by the school: it waits for CRRC's approval."""
    chen = acting("coordinator-chen", Role.COORDINATOR, school_id=ids.schools[0])
    zhou = UUID(ids.students[1])
    placement = container.placements.propose_placement(
        chen, zhou, centre_id=UUID(ids.centres[2]), start=date(2027, 1, 4), planned_end=date(2027, 2, 26),
        post="bogie fitter", weekly_hours=36, speciality_override_reason="bogie drives").placement_id
    container.placements.approve_placement_as_school(chen, zhou, placement)


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "organisation-admin", waiting_for_crrc) as built:
        yield built


def test_given_an_admin_when_they_register_an_enterprise_and_run_a_centre_then_each_change_shows(site: Site) -> None:
    wu = site.browser("admin-wu")
    token = csrf(wu, "/admin/enterprises")
    assert "CRRC Qingdao Sifang" in text(wu.get("/admin/enterprises"))
    page = site.follow(wu, wu.post("/admin/enterprises", data={
        "csrf_token": token, "name": "Weichai Power", "registration_number": "913707007058103376"}))
    assert page.status_code == 200 and "Weichai Power" in text(page) and "The enterprise is registered" in text(page)
    enterprise = re.search(r"/admin/enterprises/([0-9a-f-]{36})/centres", page.get_data(as_text=True)).group(1)

    opened = site.follow(wu, wu.post(f"/admin/enterprises/{enterprise}/centres", data={
        "csrf_token": token, "name": "Engine Assembly School", "address": "197 Fushou East Street, Weifang",
        "capacity": "8", "specialities": "mechatronics, welding"}))
    assert "The centre is open." in text(opened) and "Engine Assembly School" in text(opened)
    centre = re.search(r"/admin/centres/([0-9a-f-]{36})/capacity", opened.get_data(as_text=True)).group(1)
    assert "mechatronics, welding" in text(opened)

    changed = site.follow(wu, wu.post(f"/admin/centres/{centre}/capacity", data={
        "csrf_token": token, "capacity": "12", "reason": "a second hall opened"}))
    assert "The capacity is changed." in text(changed) and "Places 12" in text(changed)
    assert site.container.placements.get_centre(UUID(centre)).capacity == 12

    assigned = site.follow(wu, wu.post(f"/admin/centres/{centre}/mentors", data={
        "csrf_token": token, "mentor_id": "person-weichai-1", "name": "Gao Peng"}))
    assert "The mentor is assigned." in text(assigned) and "Gao Peng" in text(assigned)
    again = wu.post(f"/admin/centres/{centre}/mentors", data={
        "csrf_token": token, "mentor_id": "person-weichai-1", "name": "Gao Peng"})
    assert again.status_code == 409
    assert "already a mentor at the centre" in near(again, f"assign-{centre}-mentor_id")
    withdrawn = site.follow(wu, wu.post(f"/admin/centres/{centre}/mentors/withdrawal", data={
        "csrf_token": token, "mentor_id": "person-weichai-1", "reason": "moved to Jinan"}))
    assert "The mentor is withdrawn." in text(withdrawn)

    no_reason = wu.post(f"/admin/centres/{centre}/closure", data={"csrf_token": token, "reason": "  "})
    assert no_reason.status_code == 422 and "Give the reason" in near(no_reason, f"close-{centre}-reason")
    closed = site.follow(wu, wu.post(f"/admin/centres/{centre}/closure", data={
        "csrf_token": token, "reason": "the hall is rebuilt"}))
    assert "The centre is closed." in text(closed) and "closed" in text(closed)


def test_given_an_admin_when_they_register_a_school_then_its_page_shows_its_students_and_rule_set(
        site: Site) -> None:
    wu = site.browser("admin-wu")
    token = csrf(wu, "/admin/schools")
    listed = text(wu.get("/admin/schools"))
    assert "Qingdao Technician College" in listed and "cn-vocational-internship" in listed
    bad = wu.post("/admin/schools", data={"csrf_token": token, "name": "", "code": "\x00", "rule_set": "lenient"})
    assert bad.status_code == 422
    for field in ("school-name", "school-code", "school-rule_set"):
        assert 'aria-invalid="true"' in bad.get_data(as_text=True).split(f'id="{field}"')[1][:200], field
    done = site.follow(wu, wu.post("/admin/schools", data={
        "csrf_token": token, "name": "Weifang Vocational College", "code": "WVC", "rule_set": "default"}))
    assert "Weifang Vocational College is registered." in text(done)
    qtc = wu.get(f"/admin/schools/{site.ids.schools[0]}")
    seen = text(qtc)
    assert qtc.status_code == 200 and "Qingdao Technician College" in seen and "Students 12" in seen
    assert "Hours a week, at most 40" in seen
    assert wu.get("/admin/schools/00000000-0000-0000-0000-000000000000").status_code == 404


def test_given_an_enterprise_admin_then_they_see_only_their_enterprise_and_approve_with_the_mentor(
        site: Site) -> None:
    qian = site.browser("enterprise-admin-qian")
    home = qian.get("/admin/enterprises")
    seen = text(home)
    assert home.status_code == 200 and "CRRC Qingdao Sifang" in seen and "High-Speed Train Maintenance Base" in seen
    assert "Haier Smart Home" not in seen and "Register an enterprise" not in seen
    haier, haier_centre = site.ids.enterprises[0], site.ids.centres[0]
    token = csrf(qian, "/admin/enterprises")
    assert qian.get(f"/admin/enterprises/{haier}").status_code == 403
    assert qian.post(f"/admin/centres/{haier_centre}/capacity", data={
        "csrf_token": token, "capacity": "1", "reason": "mine now"}).status_code == 403
    assert qian.post("/admin/enterprises", data={"csrf_token": token, "name": "Mine"}).status_code == 403
    assert qian.get("/admin/schools").status_code == 403

    waiting = seen[seen.index("Placements waiting for your approval"):seen.index("Centres")]
    # Least data per role: before CRRC approves, Qian sees the student's major and cohort, not their name.
    assert "Zhou Jie" not in waiting and "Xu Lan" not in waiting and "bogie fitter" in waiting
    assert "A student of mechatronics, cohort 2024 (name withheld)" in waiting
    html = home.get_data(as_text=True)
    card = next(c for c in re.findall(r'<section class="card".*?</section>', html, re.S) if "36 h a week" in c)
    action = re.search(r'action="(/admin/enterprises/[^"]+/approval)"', card).group(1)
    student = re.search(r'name="student_id" value="([0-9a-f-]{36})"', card).group(1)
    wrong = qian.post(action, data={"csrf_token": token, "student_id": student, "mentor_id": "someone-else"})
    assert wrong.status_code == 409
    assert "Choose a mentor assigned to the centre." in text(wrong)
    approved = site.follow(qian, qian.post(action, data={
        "csrf_token": token, "student_id": student, "mentor_id": re.search(
            r'<option value="([^"]+)">Zhao Min</option>', html).group(1)}))
    assert "Approved for the enterprise." in text(approved)
    after = text(approved)
    still_waiting = after[after.index("Placements waiting for your approval"):after.index("Centres")]
    assert "36 h a week" not in still_waiting and "40 h a week" in still_waiting, "the demo's proposal still waits"
    assert "Xu Lan" not in still_waiting


def test_given_garbage_in_every_field_or_the_wrong_role_then_a_page_names_the_field_or_refuses(site: Site) -> None:
    wu = site.browser("admin-wu")
    token = csrf(wu, "/admin/enterprises")
    crrc = site.ids.enterprises[1]
    garbage = wu.post(f"/admin/enterprises/{crrc}/centres", data={
        "csrf_token": token, "name": "", "address": "\x00", "capacity": "-1e99", "specialities": " , ,"})
    assert garbage.status_code == 422
    for field in ("name", "address", "capacity", "specialities"):
        assert 'aria-invalid="true"' in garbage.get_data(as_text=True).split(
            f'id="open-centre-{field}"')[1][:300], field
    assert "Give the number of places" in near(garbage, "open-centre-capacity")
    nonsense = wu.post("/admin/enterprises", data={"csrf_token": token, "name": "x" * 300,
                                                   "registration_number": "\x07"})
    assert nonsense.status_code == 422 and "at most 200 characters" in text(nonsense)
    assert wu.post(f"/admin/centres/{site.ids.centres[2]}/capacity", data={
        "csrf_token": token, "capacity": "zero"}).status_code == 422
    assert wu.get("/admin/enterprises/not-a-uuid").status_code == 404
    for handle in ("coordinator-chen", "mentor-zhao", "student-liu"):
        browser = site.browser(handle)
        for path in ("/admin/schools", "/admin/enterprises", f"/admin/enterprises/{crrc}"):
            assert browser.get(path).status_code == 403, (handle, path)

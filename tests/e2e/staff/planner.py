"""The rotation planner's journey: twelve students of Chen Jing's college are placed (through the API, as the admin)
at a workshop whose capacity is then cut to four; Chen Jing generates a plan for the twelve on the page (filtered
by cohort and centre, all chosen at once), sees the workshop over capacity next to its cells, is refused
publication, overrides with a justification, publishes; one of the twelve, invited by mail, signs in and her
calendar shows the plan's blocks once the read model has them. Dates are relative to today, so it runs on any
day."""

from __future__ import annotations

import email as email_parser
import email.policy as email_policy
import re
import time
import uuid
from datetime import date, timedelta

from selenium.webdriver.common.by import By

from services.common.identity import Role
from tests.e2e.staff import Site
from tests.e2e.web import PASSWORD, folded, set_value, sign_in, submit, tick
from tests.support.browser import Browser
from toolkit.http.auth import issue_token

PAGES: list[tuple[str, str]] = [
    ("/coordinator/plans", "coordinator-chen"),
    ("/coordinator/plans/new", "coordinator-chen"),
    ("/coordinator/plans/new?year=2024&major=mechatronics", "coordinator-chen"),
]
"""The pages of this part: (path, handle of who opens it). A plan's page, a block's and the revisions are opened by
the journey (plans' ids are not known beforehand)."""

NAMES = ["Qiao Lan", "Fang Yi", "Tang Rui", "Cheng Bo", "Yao Jing", "Pan Hui", "Du Xin", "Shi Lei", "Jiang Ning",
         "Lu Wen", "Song Jia", "Hou Yan"]
"""The twelve; the last is invited by mail and signs in."""
CAPACITY = 4


def _place(site: Site, centre: str, mentor: str, name: str, start: date) -> str:
    """A student of the college (cohort 2025), agreed at the workshop from `start` (approved by school and
    enterprise, confirmed by the student)."""
    demo = site.demo
    student = site.api("POST", f"/schools/{demo.school}/students", {
        "name": name, "major": "mechatronics", "cohort": 2025, "enrolment_date": "2025-09-01",
        "date_of_birth": "2006-05-05"})["id"]
    placement = site.api("POST", f"/students/{student}/placements", {
        "centre_id": centre, "start": start.isoformat(), "planned_end": (start + timedelta(weeks=12)).isoformat(),
        "post": "bogie fitter", "weekly_hours": 40})["placement_id"]
    path = f"/students/{student}/placements/{placement}"
    site.api("POST", f"{path}/school-approval", {})
    site.api("POST", f"{path}/enterprise-approval", {"mentor_id": mentor})
    himself = issue_token(demo.secret, role=Role.STUDENT, subject=str(student), student_id=str(student))
    demo.api.call("POST", f"{path}/confirmation", {}, himself)
    return str(student)


def _invite(site: Site, student: str, name: str, address: str) -> None:
    """The student invited by the admin; the mailed link (read from the mail catcher) sets PASSWORD."""
    site.api("POST", "/invitations", {"name": name, "email": address, "role": "student", "student_id": student},
             expect=(201,))
    mailbox = site.running.data_dir / "mail" / "new"
    deadline = time.monotonic() + 60
    while True:
        for mail in (mailbox.glob("*") if mailbox.exists() else []):
            message = email_parser.message_from_bytes(mail.read_bytes(), policy=email_policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = re.search(r"/invitations/([A-Za-z0-9_-]{20,})", body.get_content() if body else "")
            if message["To"] == address and found:
                site.demo.api.call("POST", f"/invitations/{found.group(1)}/acceptance", {"password": PASSWORD})
                return
        assert time.monotonic() < deadline, f"no invitation reached {address} in {mailbox}"
        time.sleep(0.3)


def _reload_until(browser: Browser, path: str, name: str, shown: str, seconds: float = 90) -> None:
    """Open `path` again until its text holds `shown` (a read model catching up), bounded."""
    deadline = time.monotonic() + seconds
    while True:
        browser.driver.get(browser.base_url + path)
        if shown in folded(browser.text()):
            browser.page(name)
            return
        assert time.monotonic() < deadline, f"{path} never showed {shown!r}: {folded(browser.text())[:1500]}"
        time.sleep(1)


def journey(site: Site) -> None:
    today = date.today()
    start = today + timedelta(days=7 - today.weekday())  # next Monday
    suffix = uuid.uuid4().hex[:6]
    workshop = f"Planner Workshop {suffix}"
    enterprise = next(c for c in site.api("GET", "/centres?page_size=100")
                      if c["id"] == site.demo.rail)["enterprise"]["id"]
    centre = site.api("POST", f"/enterprises/{enterprise}/centres", {
        "name": workshop, "address": "8 Rotation Road, Qingdao", "capacity": 12,
        "specialities": ["mechatronics"]})["id"]
    mentor = f"planner-mentor-{suffix}"
    site.api("POST", f"/centres/{centre}/mentors", {"mentor_id": mentor, "name": "Gu Ming"})
    students = [_place(site, centre, mentor, name, start) for name in NAMES]
    address = f"hou.yan.{suffix}@students.qtc.example"
    _invite(site, students[-1], NAMES[-1], address)
    site.api("PUT", f"/centres/{centre}/capacity", {"capacity": CAPACITY, "reason": "one hall closed for repairs"})

    # -- Chen Jing generates the plan ---------------------------------------------------------------------------
    chen = site.browser("coordinator-chen")
    chen.open("/coordinator/plans", "plans")
    assert "Mechatronics 2024 class 2: spring 2027 alternation" in folded(chen.text())
    chen.press(chen.driver.find_element(By.LINK_TEXT, "New plan from a pattern"))
    chen.page("new-plan")
    _reload_until(chen, f"/coordinator/plans/new?year=2025&centre={centre}", "new-plan-filtered",
                  "Students: 12 shown")
    for name in NAMES:
        assert name in chen.text()
    tick(chen, chen.driver.find_element(By.ID, "all-shown"))
    chen.fill("title", f"Workshop rotation {suffix}")
    chen.fill("cohort", "mechatronics-2025")
    set_value(chen, "start", start.isoformat())
    for field, value in (("school_weeks", "1"), ("enterprise_weeks", "2"), ("cycles", "2"), ("groups", "2"),
                         ("hours_per_week", "40")):
        chen.fill(field, value)
    chen.fill("holiday-0-name", "Sports day")
    set_value(chen, "holiday-0-start", (start + timedelta(days=2)).isoformat())
    set_value(chen, "holiday-0-end", (start + timedelta(days=2)).isoformat())
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "form.generate button[type=submit]"))
    chen.page("plan-generated")
    seen = folded(chen.text())
    assert "The draft is generated" in seen and f"Workshop rotation {suffix}" in seen
    assert "Group A" in seen and "Group B" in seen and "Holiday: Sports day" in seen

    # -- the capacity conflict, next to its cells -----------------------------------------------------------------
    flagged = [c for c in chen.find("td.has-conflict") if f"Centre: {workshop}" in folded(c.text)]
    assert flagged, "the workshop's conflict marked in its cells"
    assert f"{workshop}: 6" in folded(flagged[0].text), folded(flagged[0].text)
    group = next(g for g in chen.find("article.conflict-group") if f"Centre: {workshop}" in folded(g.text))
    assert f"for {CAPACITY} places" in folded(group.text)
    for name in NAMES:
        assert folded(group.text).count(f"{name} (group ") == 1, "the students concerned, one line each"
    group_id = group.get_attribute("id").removeprefix("conflicts-")

    # -- refused, overridden, published ---------------------------------------------------------------------------
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "#publish-form button[value=publish]"))
    chen.page("publish-refused")
    assert "Not published:" in folded(chen.text())
    why = "the enterprise opens its second hall to the cohort for these weeks"
    chen.fill(f"why-{group_id}", why)
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, f"button[value='override:{group_id}']"))
    chen.page("overridden")
    assert "Overridden with this justification" in folded(chen.text())
    for field in chen.find("textarea[name^=why-]"):
        if not field.get_attribute("value"):
            chen.fill(str(field.get_attribute("id")), "agreed with the enterprise for this term")
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "#publish-form button[value=publish]"))
    chen.page("published")
    assert "Published as revision 1" in folded(chen.text()), folded(chen.text())[:2000]
    assert f"Justified earlier: {why}" in folded(chen.text())
    on_phone = site.browser("coordinator-chen", phone=True)
    on_phone.open(chen.driver.current_url.removeprefix(site.running.base_url).split("?")[0], "plan-on-a-phone")
    assert on_phone.find("div.grid-scroll[role=region] table.plan-grid"), "the grid scrolls inside its region"
    chen.press(chen.driver.find_element(By.LINK_TEXT, "Change block A1"))
    chen.page("block")
    chen.open("/coordinator/plans", "plans-after")
    chen.press(chen.driver.find_element(By.LINK_TEXT, "Mechatronics 2024 class 2: spring 2027 alternation"))
    chen.press(chen.driver.find_element(By.LINK_TEXT, "Compare revisions side by side"))
    chen.page("revisions")
    assert "Haier moved apprentices" in folded(chen.text())

    # -- the student sees the blocks --------------------------------------------------------------------------
    student = Browser(site.running.base_url, test_name=f"{site.test_name}-student-{len(site.opened)}")
    site.opened.append(student)
    student.phone()
    sign_in(student, address, PASSWORD)
    _reload_until(student, "/student/calendar", "student-calendar", f"At {workshop}")
    shown = folded(student.text())
    assert "At school" in shown and "Sports day" in shown

"""The coordinator's placements and the administrators' schools and enterprises, in a real browser: the journey
proposes a placement after checking the centre's free places, and it is approved by the school and the enterprise.

`PAGES` names every page of this part with who opens it, for the offline accessibility sweep
(tests/e2e/test_browser_staff.py). A school's own page and an enterprise's page as the admin sees it are opened
from the lists (their ids are not among the sweep's fields); the enterprise page is the enterprise admin's home."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.e2e.staff import Site
from tests.e2e.web import folded, set_value, submit

QINGDAO = "Qingdao Appliance Training Centre"

PAGES: list[tuple[str, str]] = [
    ("/coordinator/placements", "coordinator-chen"),
    ("/coordinator/placements?stage=agreed&cohort=2024", "coordinator-chen"),
    ("/coordinator/placements/new", "coordinator-chen"),
    ("/coordinator/placements/new?student_id={Zhou Jie}&start=2027-03-01&planned_end=2027-06-30", "coordinator-chen"),
    ("/admin/schools", "admin-wu"),
    ("/admin/enterprises", "admin-wu"),
    ("/admin/enterprises", "enterprise-admin-qian"),
]
"""The pages of this part: (path, handle of who opens it)."""

START_IN = 400
"""How many days from today the journey's proposal starts: past every placement of the demo's students."""


def _row(browser: Any, css: str, words: str) -> Any:
    """The element matching `css` whose text holds `words`."""
    found = [e for e in browser.find(css) if words in folded(e.text)]
    assert found, (css, words, folded(browser.text())[:3000])
    return found[0]


def journey(site: Site) -> None:
    """Chen Jing, on a phone, checks the free places at Haier's Qingdao centre, proposes Zhou Jie there and approves
    for the school; Haier's enterprise admin approves with the mentor; Chen sees it wait for the student; the admin
    opens a school's and an enterprise's pages from the lists."""
    start = date.today() + timedelta(days=START_IN)
    end = start + timedelta(days=60)
    chen = site.browser("coordinator-chen", phone=True)
    chen.open("/coordinator/placements", "placements-pipeline-phone")
    chen.click("Propose a placement")
    chen.page("placements-propose")
    Select(chen.driver.find_element(By.ID, "student_id")).select_by_visible_text("Zhou Jie · mechatronics · 2024")
    centre = Select(chen.driver.find_element(By.ID, "centre_id"))
    centre.select_by_visible_text(next(o.text for o in centre.options if o.text.startswith(QINGDAO)))
    set_value(chen, "start", start.isoformat())
    set_value(chen, "planned_end", end.isoformat())
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "button[value=check]"))
    chen.page("placements-propose-free-places")
    assert f"Free places at {QINGDAO}" in folded(chen.text())
    chen.fill("post", "assembly apprentice")
    chen.fill("weekly_hours", "36")
    submit(chen, chen.driver.find_element(By.CSS_SELECTOR, "button[value=propose]"))
    chen.page("placements-proposed")
    assert "The placement is proposed." in folded(chen.text())
    row = _row(chen, "#stage-approvals ~ table tr, section.stage tr", "Zhou Jie")
    submit(chen, row.find_element(By.CSS_SELECTOR, "form[action$=school-approval] button"))
    chen.page("placements-approved-for-the-school")
    assert "Approved for the school." in folded(chen.text())

    haier = site.browser("enterprise-admin-zhou")
    haier.open("/admin/enterprises", "enterprise-home")
    card = _row(haier, "section.card", "36 h a week")  # the name shows once Haier approved (least data per role)
    assert "Zhou Jie" not in folded(card.text)
    submit(haier, card.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    haier.page("enterprise-approved")
    assert "Approved for the enterprise." in folded(haier.text())

    chen.open("/coordinator/placements?stage=confirmation", "placements-waiting-for-confirmation")
    assert "waiting for the student's confirmation" in folded(_row(chen, "section.stage tr", "Zhou Jie").text)

    wu = site.browser("admin-wu")
    wu.open("/admin/schools", "admin-schools")
    wu.click("Qingdao Technician College")
    wu.page("admin-school")
    assert "Students per cohort" in folded(wu.text())
    wu.open("/admin/enterprises", "admin-enterprises")
    wu.click("Haier Smart Home")
    wu.page("admin-enterprise")
    assert QINGDAO in folded(wu.text())

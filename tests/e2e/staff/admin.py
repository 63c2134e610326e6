"""The administrators' pages: people and invitations, certificates with their levels and conversion rules.

`PAGES` names every page of this part with who opens it (the sweep opens each offline and checks it with axe-core);
`journey` is Wu Ming (admin), on a phone's screen, inviting a teacher of the demo's college, withdrawing the role
again with a reason, and adopting a conversion rule for a certificate level from a later day, with its reason."""

from __future__ import annotations

import time
from datetime import date, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from dualtrack.demo import person_id
from tests.e2e.staff import Site
from tests.e2e.web import folded, heading, set_value, submit

PAGES: list[tuple[str, str]] = [
    ("/admin/people", "admin-wu"),
    ("/admin/people/invite", "admin-wu"),
    (f"/admin/people/{person_id('coordinator-chen')}", "admin-wu"),
    ("/admin/certificates", "admin-wu"),
    ("/admin/certificates/new", "admin-wu"),
    ("/admin/certificates/X-RTM", "admin-wu"),
]
"""The pages of this part: (path, handle of who opens it)."""

COLLEGE = "Qingdao Technician College"


def journey(site: Site) -> None:
    wu = site.browser("admin-wu", phone=True)
    email = f"qiao.an.{int(time.time())}@qtc.example"  # a new address each run: the invitation is always mailed
    wu.open("/admin/people/invite", "admin-invite")
    wu.fill("name", "Qiao An")
    wu.fill("email", email)
    Select(wu.driver.find_element(By.ID, "role")).select_by_value("teacher")
    Select(wu.driver.find_element(By.ID, "school")).select_by_visible_text(COLLEGE)
    submit(wu, wu.driver.find_element(By.CSS_SELECTOR, "button[value=invite]"))
    wu.page("admin-invited")
    assert heading(wu) == "Qiao An"
    assert f"The invitation was mailed to {email}" in folded(wu.text())
    assert f"Teacher · {COLLEGE}" in folded(wu.text()) or f"teacher · {COLLEGE}" in folded(wu.text())

    wu.open("/admin/people?q=qiao", "admin-people-found")
    waiting = folded(wu.text())
    assert "Qiao An" in waiting[waiting.index("Invitations waiting"):], waiting

    wu.open(f"/admin/people?q={email}", "admin-people-by-email")
    submit(wu, wu.driver.find_element(By.LINK_TEXT, "Qiao An"))
    wu.fill("reason-1", "invited to the wrong school")
    submit(wu, wu.driver.find_element(By.CSS_SELECTOR, "form.admin-grant button"))
    wu.page("admin-withdrawn")
    shown = folded(wu.text())
    assert "The role was withdrawn" in shown and "Reason: invited to the wrong school" in shown

    day = date.today() + timedelta(days=30)
    wu.open("/admin/certificates/X-RTM", "admin-certificate")
    Select(wu.driver.find_element(By.ID, "level")).select_by_value("junior")
    set_value(wu, "effective_from", day.isoformat())
    wu.fill("reason", "drive systems taught as MEC-210 from next term")
    wu.fill("course-1", "MEC-210 Traction")
    wu.fill("credits-1", "4")
    submit(wu, wu.driver.find_element(By.XPATH, "//button[normalize-space()='Adopt the rule']"))
    wu.page("admin-rule-adopted")
    shown = folded(wu.text())
    assert "The conversion rule was adopted" in shown
    assert "Reason: drive systems taught as MEC-210 from next term" in shown

"""The coordinator's placements and the administrators' schools and enterprises, in a real browser.

`PAGES` names every page of this part with who opens it, for the offline accessibility sweep
(tests/e2e/test_browser_staff.py). A school's own page and an enterprise's page as the admin sees it are opened
from the lists (their ids are not among the sweep's fields); the enterprise page is the enterprise admin's home."""

from __future__ import annotations

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

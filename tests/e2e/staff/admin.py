"""The administrators' pages: people and invitations, certificates with their levels and conversion rules.

`PAGES` names every page of this part with who opens it (the sweep opens each offline and checks it with axe-core);
`journey` is an administrator inviting a teacher and withdrawing the role with a reason, in the browser."""

from __future__ import annotations

from dualtrack.demo import person_id
from tests.e2e.staff import Site

PAGES: list[tuple[str, str]] = [
    ("/admin/people", "admin-wu"),
    ("/admin/people/invite", "admin-wu"),
    (f"/admin/people/{person_id('coordinator-chen')}", "admin-wu"),
    ("/admin/certificates", "admin-wu"),
    ("/admin/certificates/new", "admin-wu"),
    ("/admin/certificates/X-RTM", "admin-wu"),
]
"""The pages of this part: (path, handle of who opens it)."""


def journey(site: Site) -> None:
    raise NotImplementedError("the administrators' journey is not written yet")

"""(to be written)"""

from __future__ import annotations

from tests.e2e.staff import Site

PAGES: list[tuple[str, str]] = []
"""The pages of this part: (path, handle of who opens it)."""


def journey(site: Site) -> None:
    raise NotImplementedError("the planner journey is not written yet")

"""The journeys of coordinators, teachers, auditors and administrators in a real headless Chromium, one module per
part of the web (dashboard, planner, teacher, auditor...), run by tests/e2e/test_browser_school_staff.py and test_browser_oversight.py, each against one
`dualtrack run` so that the browser tests stay within `make test`'s time.

Each journey is `journey(site: Site) -> None`; each module also names the pages of its part in `PAGES` (path and
the handle of who opens it), which the sweep opens offline and checks with axe-core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dualtrack.demo.people import PEOPLE
from tests.e2e.running import Running
from tests.e2e.web import Demo, sign_in
from tests.support.browser import Browser

EMAILS = {p.handle: p.email for p in PEOPLE}


@dataclass
class Site:
    """One running deployment (the demo loaded), the API as its admin, and browsers signed in as demo people."""

    running: Running
    demo: Demo
    test_name: str
    opened: list[Browser] = field(default_factory=list)
    admin_token: Callable[[], str] | None = None

    def browser(self, handle: str | None, language: str = "en", *, phone: bool = False,
                offline: bool = False) -> Browser:
        """A fresh Chromium, signed in as the demo person `handle` (None: signed out); closed after the test."""
        browser = Browser(self.running.base_url, language=language, offline=offline,
                          test_name=f"{self.test_name}-{handle or 'anonymous'}-{len(self.opened)}")
        self.opened.append(browser)
        if phone:
            browser.phone()
        if handle:
            sign_in(browser, EMAILS[handle], self.running.sign_ins[handle])
        return browser

    def token(self, handle: str) -> str:
        """A fresh access token of the demo person `handle` (they last 15 minutes)."""
        return self.demo.api.sign_in(EMAILS[handle], self.running.sign_ins[handle])

    def api(self, method: str, path: str, body: dict[str, Any] | None = None, *, as_: str = "admin-wu",
            expect: tuple[int, ...] = (200, 201)) -> Any:
        """/api/v1 as the demo person `as_` (the admin by default)."""
        return self.demo.api.call(method, path, body, self.token(as_), expect=expect)

    def close(self) -> None:
        for browser in self.opened:
            browser.close()

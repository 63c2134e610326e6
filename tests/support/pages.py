"""The demo world for the page tests (tests/api/test_*_pages.py): a module's own copy of the seeded demo, its day
pinned to DEMO_TODAY, an app lent to it, and browsers (Flask test clients with their cookies) signed in through the
real `/sign-in` form as demo people. The projectors are caught up in-process (Kafka's part, elsewhere).

A module's fixture is `with page_site(sqlite_demo_template, tmp_path_factory, "name", prepare) as site: yield site`;
`prepare(container, ids)` adds what the module needs to the demo before the app is lent and returns extra attributes
of the site (a subclass of PageSite passed as `kind` declares them)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from dualtrack.demo import DEMO_TODAY
from dualtrack.demo.people import PEOPLE
from dualtrack.settings import CONTEXTS
from tests.support.demo import Template, copy_of_template

EMAILS = {person.handle: person.email for person in PEOPLE}

class PageSite:
    """A browser's view of the site: test clients with their cookies, the demo's ids and passwords."""

    def __init__(self, app: Any, container: Any, ids: Any, **extra: Any) -> None:
        self.app, self.container, self.ids = app, container, ids
        self.liu = ids.students[0]
        for name, value in extra.items():
            setattr(self, name, value)

    def browser(self, handle: str, language: str = "en") -> Any:
        """A test client signed in through the sign-in form as a demo person (by their handle: "mentor-zhao")."""
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        answer = client.post("/sign-in", data={"login": EMAILS[handle], "password": self.ids.sign_ins[handle]})
        assert answer.status_code == 303, answer.get_data(as_text=True)
        return client

    def project(self) -> None:
        for name in PROJECTION_CLASSES:
            self.container.projector(name, embedded=True).catch_up()

    def follow(self, client: Any, answer: Any) -> Any:
        """After a write: the projectors catch up (Kafka's part, here), then the browser follows the redirect."""
        assert answer.status_code == 303, text(answer)[:3000]
        self.project()
        return client.get(answer.headers["Location"])


@contextmanager
def page_site(template: Template, tmp_path_factory: pytest.TempPathFactory, name: str,
              prepare: Callable[[Any, Any], dict[str, Any] | None] | None = None,
              kind: type[PageSite] = PageSite, caught_up: bool = True) -> Iterator[Any]:
    """The module's copy of the demo on its day, `prepare`d, with an app lent to it and (unless `caught_up` is
    False) the projectors caught up: a `kind` of site (PageSite or the module's subclass)."""
    from tests.support.web import lent_app

    container = copy_of_template(template, tmp_path_factory.mktemp(name))
    for context in CONTEXTS:
        container.app(context).today = lambda: DEMO_TODAY
    try:
        extra = (prepare(container, template.ids) if prepare else None) or {}
        with lent_app(container) as app:
            site = kind(app, container, template.ids, **extra)
            if caught_up:
                site.project()
            yield site
    finally:
        container.close()


def token_in(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found is not None, page[-2000:]
    return found.group(1)


def csrf(client: Any, path: str = "/account") -> str:
    """The session's CSRF token, as the page at `path` carries it in its forms."""
    return token_in(client.get(path).get_data(as_text=True))


def text(answer_or_html: Any) -> str:
    """The page's text as a person reads it: tags dropped, entities read, spaces folded."""
    page = answer_or_html if isinstance(answer_or_html, str) else answer_or_html.get_data(as_text=True)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))

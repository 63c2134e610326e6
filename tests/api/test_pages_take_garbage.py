"""Every page of the web tried as an adversary would, by every role of the demo and by nobody: each GET with real and
made-up ids in its path and garbage in every query parameter the pages read, each POST with garbage in the fields
the forms send. A page may refuse (400, 403, 404, 409, 413, 422) or lead elsewhere (303), never answer 500."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest
from werkzeug.routing import Rule

from dualtrack.demo import person_id
from tests.support.pages import PageSite, page_site

pytestmark = pytest.mark.api

ROLES = ("admin-wu", "coordinator-chen", "teacher-lin", "mentor-zhao", "enterprise-admin-qian", "auditor-gao",
         "student-liu", "guardian-he", None)
NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz")
LAST = ("/sign-out", "/language")
"""Sent by nobody but the anonymous visitor: either would end or change the session the rest of the sweep uses."""
GARBAGE_QUERY = {"page": "-1", "on": "2026-13-45", "known_at": "yesterday", "q": "\u202e" + "x" * 3000,
                 "light": "purple", "cohort": "abc", "class": "\x00", "centre": "zz", "year": "MMXXIV", "major": "../",
                 "first": "x", "second": "-5", "kind": "zzz", "context": "nope", "from": "2026-02-30", "to": "tomorrow",
                 "actor": "%00", "type": "<script>", "student_id": "zz", "centre_id": "not-a-uuid", "start": "25:99",
                 "planned_end": "x", "wait_for": "forged.token", "stage": "done?", "next": "//evil.example"}
GARBAGE_FORM = {"students": ["not-a-uuid", ""], "entries": ["x"], "day": "2026-02-30", "start": "25:99", "end": "",
                "reason": "\x00", "capacity": "-1e99", "mentor_id": "x", "student_id": "zz", "centre_id": "zz",
                "planned_end": "x", "weekly_hours": "NaN", "role": "god", "email": "not an address", "name": "",
                "competencies": ["\u202e"], "description": "x" * 20_000, "justification": "", "title": "\r\n",
                "groups": "1e9", "cycles": "-3", "school_weeks": "0", "enterprise_weeks": "x", "level": "legend",
                "effective_from": "never", "target_hours": "-8", "code": "\x00", "scale": "?", "result": "9999",
                "block": "../../etc", "kind": "holiday?", "action": "launch", "password": "", "login": "",
                "language": "klingon", "on": "2026-99-99", "code_word": "x", "q": "x"}


class Sweep(PageSite):
    @cached_property
    def clients(self) -> dict[str | None, Any]:
        return {handle: self.browser(handle) if handle else self.app.test_client() for handle in ROLES}

    def token(self, client: Any) -> str:
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/sign-in").get_data(as_text=True))
        return found.group(1) if found else ""

    def real(self, name: str) -> str:
        """A real id of the demo for a path parameter, by its name."""
        ids = self.ids
        return {"student_id": ids.students[0], "centre_id": ids.centres[2], "enterprise_id": ids.enterprises[1],
                "school_id": ids.schools[0], "placement_id": ids.placements[1], "ident": ids.students[0],
                "aggregate_id": ids.students[0], "plan_id": ids.plans[-1], "person_id": person_id("teacher-gao"),
                "major": "mechatronics", "code": "MEC-01", "context": "placements", "version": "1",
                "what": "student", "fmt": "csv", "block_id": "B1", "token": "x", "secret": "x", "grant_id": "x",
                "link_id": "x"}.get(name, "x")

    def paths(self, rule: Rule) -> list[str]:
        """The rule with real ids, and with made-up ones (a random UUID, garbage text)."""
        real = {name: self.real(name) for name in rule.arguments}
        made_up = {name: (str(uuid.uuid4()) if type(conv).__name__ == "UUIDConverter" else
                          "99999" if type(conv).__name__ == "IntegerConverter" else
                          next(iter(getattr(conv, "items", ())), "\u202e%0d%0a" + "z" * 300))
                   for name, conv in rule._converters.items()}
        return [rule.build(values, append_unknown=False)[1] for values in (real, made_up)]  # type: ignore[index]


@pytest.fixture(scope="module")
def sweep(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    with page_site(sqlite_demo_template, tmp_path_factory, "pages-garbage", kind=Sweep) as built:
        yield built


def page_rules(sweep: Sweep, method: str) -> list[Rule]:
    return [rule for rule in sweep.app.url_map.iter_rules() if method in (rule.methods or ())
            and not rule.rule.startswith(NOT_PAGES) and rule.endpoint != "static"]


def test_given_every_role_and_garbage_in_every_query_when_each_page_is_opened_then_none_answers_a_server_error(
        sweep: Sweep) -> None:
    failures = []
    for handle in ROLES:
        client = sweep.clients[handle]
        for rule in page_rules(sweep, "GET"):
            for path in sweep.paths(rule):
                for query in (None, GARBAGE_QUERY):
                    status = client.get(path, query_string=query).status_code
                    if status >= 500:
                        failures.append((handle, path[:120], "garbage query" if query else "", status))
    assert failures == [], failures


def test_given_every_role_and_garbage_in_every_field_when_each_form_is_sent_then_none_answers_a_server_error(
        sweep: Sweep) -> None:
    failures = []
    for handle in ROLES:
        client = sweep.clients[handle]
        token = sweep.token(client)
        for rule in page_rules(sweep, "POST"):
            if rule.rule in LAST and handle is not None:
                continue
            for path in sweep.paths(rule):
                status = client.post(path, data={**GARBAGE_FORM, "csrf_token": token}).status_code
                if status >= 500:
                    failures.append((handle, path[:120], status))
    assert failures == [], failures

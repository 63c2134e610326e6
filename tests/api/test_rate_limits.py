"""Rate limits through the app: per account and per address on every route, stricter on the expensive ones, answered
429 with Retry-After in the one error shape (issue 18).

One deployment for the module with low limits: 5 requests a minute per account, 2 on the expensive routes, 12 per
address; each test asks from an address of its own (the test client's REMOTE_ADDR) with accounts of its own, so the
tests share no counter. The limiter's clock is moved on instead of waiting for a window to pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from dualtrack.bootstrap import Container
from dualtrack.settings import Settings, SettingsError
from services.common.identity import Role
from tests.conftest import bearer, make_settings
from tests.support.web import lent_app
from toolkit.http.rate_limited_routes import EXPENSIVE_ROUTES
from toolkit.http.rate_limits import Rate, RateLimits

pytestmark = pytest.mark.api

LOW = RateLimits(account=Rate(5, 60), account_expensive=Rate(2, 60), address=Rate(12, 60),
                 address_expensive=Rate(100, 60))
CHEAP = "/api/v1/centres"
EXPENSIVE = f"/api/v1/audit/students/{uuid4()}/timeline"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Any]]:
    container = Container(make_settings(tmp_path_factory.mktemp("rate-limits") / "var", rate_limits=LOW))
    try:
        with lent_app(container) as app:
            yield container, app
    finally:
        container.close()


class Caller:
    """Requests from one address of the test's own."""

    addresses = iter(range(1, 250))

    def __init__(self, deployment: tuple[Container, Any]) -> None:
        self.container, app = deployment
        self.http = app.test_client()
        self.address = f"10.18.3.{next(self.addresses)}"

    def get(self, path: str, account: str | None = None, role: Role = Role.ADMIN) -> Any:
        headers = bearer(role, account) if account else {}
        return self.http.get(path, headers=headers, environ_base={"REMOTE_ADDR": self.address})

    def statuses(self, times: int, path: str = CHEAP, account: str | None = None, role: Role = Role.ADMIN) -> list[int]:
        return [self.get(path, account, role).status_code for _ in range(times)]


@pytest.fixture
def caller(deployment: tuple[Container, Any]) -> Caller:
    return Caller(deployment)


def refused(answer: Any) -> bool:
    return answer.status_code == 429


def test_given_an_account_that_used_its_allowance_when_it_asks_once_more_then_it_is_refused_429_with_retry_after_in_the_one_error_shape(
        caller: Caller) -> None:
    assert caller.statuses(5, account="admin-a") == [200] * 5

    answer = caller.get(CHEAP, "admin-a")

    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 2 * 60
    error = answer.get_json()["error"]
    assert error["code"] == "too-many-attempts"
    assert error["details"]["rule"] == "rate-limited"
    assert error["details"]["per"] == "account"
    assert error["details"]["limit"] == "5/minute"
    assert "this account" in error["message"] and error["correlation_id"]


def test_given_an_account_refused_when_another_account_asks_from_the_same_address_then_it_is_answered(
        caller: Caller) -> None:
    caller.statuses(6, account="admin-b")

    assert caller.statuses(5, account="admin-c") == [200] * 5


def test_given_an_address_that_used_its_allowance_across_accounts_when_a_fresh_account_asks_from_it_then_it_is_refused(
        caller: Caller) -> None:
    for account in ("admin-d1", "admin-d2", "admin-d3"):
        assert caller.statuses(4, account=account) == [200] * 4

    answer = caller.get(CHEAP, "admin-d4")

    assert refused(answer) and answer.get_json()["error"]["details"]["per"] == "address"
    assert "this address" in answer.get_json()["error"]["message"]


def test_given_requests_without_an_account_when_the_address_used_its_allowance_then_they_are_refused_too(
        caller: Caller) -> None:
    assert 429 not in caller.statuses(12)

    assert refused(caller.get(CHEAP))


def test_given_an_expensive_route_when_an_account_asks_for_it_more_than_its_stricter_limit_then_it_is_refused_and_cheap_routes_still_answer(
        caller: Caller) -> None:
    assert 429 not in caller.statuses(2, EXPENSIVE, "auditor-e", Role.AUDITOR)

    answer = caller.get(EXPENSIVE, "auditor-e", Role.AUDITOR)

    assert refused(answer) and answer.get_json()["error"]["details"]["limit"] == "2/minute"
    assert caller.get("/api/v1/centres", "auditor-e", Role.AUDITOR).status_code == 200


def test_given_an_account_refused_when_it_waits_the_retry_after_it_was_given_then_it_may_go_on(
        caller: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    caller.statuses(5, account="admin-f")
    answer = caller.get(CHEAP, "admin-f")
    assert refused(answer)
    limiter = caller.container.rate_limiter()
    now = limiter.clock()

    monkeypatch.setattr(limiter, "clock", lambda: now + int(answer.headers["Retry-After"]))

    assert caller.get(CHEAP, "admin-f").status_code == 200


def test_given_an_account_refused_when_a_whole_window_has_passed_then_it_has_its_whole_allowance_again(
        caller: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    caller.statuses(9, account="admin-g")
    limiter = caller.container.rate_limiter()
    now = limiter.clock()

    monkeypatch.setattr(limiter, "clock", lambda: now + 120)

    assert caller.statuses(5, account="admin-g") == [200] * 5
    assert refused(caller.get(CHEAP, "admin-g"))


def test_given_an_address_over_its_limit_when_it_asks_for_a_page_then_the_page_says_so_in_words_with_retry_after(
        caller: Caller) -> None:
    caller.statuses(12)

    answer = caller.get("/sign-in")

    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    assert answer.mimetype == "text/html"
    assert "Too many requests in a short time" in answer.get_data(as_text=True)


def test_given_an_address_over_its_limit_when_it_asks_for_the_health_checks_or_the_pages_files_then_they_answer(
        caller: Caller) -> None:
    caller.statuses(13)

    assert caller.get("/healthz").status_code == 200
    assert caller.get("/static/css/dualtrack.css").status_code == 200
    assert refused(caller.get(CHEAP))


def test_given_the_expensive_routes_declared_when_the_app_is_built_then_each_is_a_route_and_every_export_history_as_of_or_batch_route_is_one(
        deployment: tuple[Container, Any]) -> None:
    _, app = deployment
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    words = ("export", "as-of", "history", "timeline", "batch", "upload", "/record", "personal-data", "verify",
             "generated")

    assert EXPENSIVE_ROUTES - endpoints.keys() == set()
    cheap = {endpoint: rule for endpoint, rule in endpoints.items()
             if any(word in rule for word in words) and endpoint not in EXPENSIVE_ROUTES}
    assert cheap == {
        "audit_pages.export_page": "/auditor/exports/<any(student, centre):what>/<uuid:ident>",  # a form
        "audit_pages.export_taken": "/auditor/exports/<string:token>",  # a file already taken
        "audit_pages.export_file": "/auditor/exports/<string:token>/file",
        "progress_cohort_pages.exports": "/coordinator/exports",  # the page of links
        "training_school_pages.upload_form": "/coordinator/practice-upload",
        "training_school_pages.template": "/coordinator/practice-upload/template.csv",
    }


def test_given_rate_limits_in_the_environment_when_settings_are_read_then_they_are_used_turned_off_or_refused_naming_the_variable(
        tmp_path: Path) -> None:
    base = {"DUALTRACK_DATA_DIR": str(tmp_path), "DUALTRACK_SECRET_KEY": "k" * 40}

    assert Settings.from_env(base).rate_limits == RateLimits()
    chosen = Settings.from_env({**base, "DUALTRACK_RATE_LIMIT": "100/hour", "DUALTRACK_RATE_LIMIT_ADDRESS": "off",
                                "DUALTRACK_RATE_LIMIT_EXPENSIVE": "3/s"}).rate_limits
    assert (chosen.account, chosen.address, chosen.account_expensive) == (Rate(100, 3600), None, Rate(3, 1))
    assert not Settings.from_env({**base, "DUALTRACK_RATE_LIMITS": "off"}).rate_limits.enabled
    with pytest.raises(SettingsError, match="DUALTRACK_RATE_LIMIT_EXPENSIVE.*e.g. 600/minute"):
        Settings.from_env({**base, "DUALTRACK_RATE_LIMIT_EXPENSIVE": "lots"})


def test_given_rate_limits_turned_off_when_an_account_asks_many_times_then_none_is_refused(tmp_path: Path) -> None:
    container = Container(make_settings(tmp_path / "var", rate_limits=RateLimits.off()))
    try:
        with lent_app(container) as app:
            http = app.test_client()
            statuses = {http.get(CHEAP, headers=bearer(Role.ADMIN, "admin-h")).status_code for _ in range(30)}
    finally:
        container.close()

    assert statuses == {200}
    assert not (tmp_path / "var" / "rate-limits.sqlite3").exists()


def test_given_the_counters_cannot_be_reached_when_an_account_asks_then_it_is_answered_not_refused_nor_a_server_error(
        caller: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(rows: object) -> list[tuple[str, int, int, int]]:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(caller.container.rate_limiter().store, "hit", busy)

    assert caller.statuses(8, account="admin-i") == [200] * 8


def test_given_ipv6_addresses_of_one_network_when_they_ask_then_they_share_one_address_allowance(
        deployment: tuple[Container, Any]) -> None:
    http = deployment[1].test_client()

    def ask(address: str) -> int:
        return int(http.get(CHEAP, environ_base={"REMOTE_ADDR": address}).status_code)

    assert 429 not in [ask(f"2001:db8:18:3::{n}") for n in range(1, 13)]  # one subscriber's /64, no token: 401s

    assert ask("2001:db8:18:3::ff") == 429
    assert ask("2001:db8:18:4::1") != 429  # another network

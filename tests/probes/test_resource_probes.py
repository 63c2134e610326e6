"""Resource probes: every route of the API (read from the OpenAPI document, so a route added tomorrow is probed
tomorrow) and every page answers 429 with Retry-After once its caller is over the rate limit, in the one error shape;
the expensive ones (toolkit/http/rate_limited_routes.py) sooner.

A deployment of its own with low limits: 3 requests a minute per account and per address, 1 on the expensive routes.
Each route is asked from an address and with an account of its own, so no route spends another's allowance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Role
from tests.conftest import bearer, make_settings
from tests.probes.routes import document, routes, sample
from tests.support.web import lent_app
from toolkit.http.rate_limited_routes import EXEMPT_ROUTES, EXPENSIVE_ROUTES
from toolkit.http.rate_limits import Rate, RateLimits

pytestmark = pytest.mark.api

ORDINARY, EXPENSIVE = 3, 1
LIMITS = RateLimits(account=Rate(ORDINARY, 60), account_expensive=Rate(EXPENSIVE, 60), address=Rate(ORDINARY, 60),
                    address_expensive=Rate(EXPENSIVE, 60))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    container = Container(make_settings(tmp_path_factory.mktemp("resource-probes") / "var", rate_limits=LIMITS))
    try:
        with lent_app(container) as built:
            yield built
    finally:
        container.close()


class Addresses:
    """A network address of its own for each route probed."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"10.{18 + self.count // 65536}.{self.count // 256 % 256}.{self.count % 256}"


ADDRESSES = Addresses()


def asked_until_refused(app: Any, method: str, path: str, address: str, headers: dict[str, str],
                        body: Any = None) -> list[Any]:
    """Answers to the same request, from one address, up to one past the ordinary limit."""
    http = app.test_client()
    return [http.open(path, method=method, json=body, headers=headers, environ_base={"REMOTE_ADDR": address})
            for _ in range(ORDINARY + 1)]


def refused_after(answers: list[Any]) -> int | None:
    """How many answers came before the first 429 (None: none was refused)."""
    return next((n for n, answer in enumerate(answers) if answer.status_code == 429), None)


def endpoint_of(app: Any, method: str, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return str(adapter.match(path, method=method)[0])
    except Exception:
        return None


def test_given_every_route_of_the_api_when_one_caller_asks_past_the_limit_then_it_is_refused_429_with_retry_after_and_the_expensive_ones_sooner(
        app: Any) -> None:
    addresses, probed, wrong = ADDRESSES, 0, []
    for route in routes(document(app.test_client())):
        path = route.url()
        expensive = endpoint_of(app, route.method, path) in EXPENSIVE_ROUTES
        headers = {} if route.public else bearer(Role.ADMIN, f"probe-{addresses.count}")
        body = sample(route.body) if route.body is not None else None
        answers = asked_until_refused(app, route.method, path, addresses.next(), headers, body)
        probed += 1
        first = refused_after(answers)
        expected = EXPENSIVE if expensive else ORDINARY
        if first != expected or not _one_error_shape(answers[first]):
            wrong.append((str(route), [a.status_code for a in answers]))

    assert probed >= 90, probed
    assert wrong == []


def test_given_every_page_when_one_address_asks_past_the_limit_then_it_is_refused_429_with_retry_after_and_not_its_files(
        app: Any) -> None:
    addresses, probed, wrong = ADDRESSES, 0, []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "GET" not in rule.methods:
            continue
        path = _filled(rule.rule)
        answers = asked_until_refused(app, "GET", path, addresses.next(), {})
        probed += 1
        first = refused_after(answers)
        if rule.endpoint in EXEMPT_ROUTES:
            if first is not None:
                wrong.append((rule.rule, "an exempt route was refused"))
            continue
        expected = EXPENSIVE if rule.endpoint in EXPENSIVE_ROUTES else ORDINARY
        if first != expected or "Retry-After" not in answers[first].headers:
            wrong.append((rule.rule, [a.status_code for a in answers]))

    assert probed >= 50, probed
    assert wrong == []


def _one_error_shape(answer: Any) -> bool:
    error = (answer.get_json(silent=True) or {}).get("error", {})
    return (int(answer.headers.get("Retry-After", "0")) >= 1 and error.get("status") == 429
            and error.get("code") == "too-many-attempts" and error.get("details", {}).get("rule") == "rate-limited")


def _filled(rule: str) -> str:
    """A page's path with each of its parameters given a value of the right form."""
    values = {"uuid": "6c1f3a52-0d4e-4b8a-9f27-51e0c4d9a7b3", "int": "1", "path": "css/dualtrack.css"}

    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or "string"
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        return values.get(converter.split("(")[0], "probe")

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", value, rule)


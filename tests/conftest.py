"""Shared fixtures and the test pyramid's layers.

Each test module names its layer with a marker (`pytestmark`); the layer decides which stores the `database_url`
and `demo_template` fixtures give its tests:

- unit: pure functions and domain objects; no store.
- rules: decisions of the domain and the applications, on in-memory event stores (eventsourcing's POPO).
- api: through the Flask test client, on one store (SQLite files; read models are SQLite files anyway).
- stored: what is stored and read back, concurrent writers, other processes: on SQLite files and on PostgreSQL.
- projection: events applied into view tables, whose SQL differs: on SQLite files and on PostgreSQL.
- integration, e2e: real Kafka, PostgreSQL and processes; they set up their own stores.

A test without a layer marker gets both databases. `make test-fast` runs the unit and rules layers (no server);
`make test` runs everything, with PostgreSQL and Kafka started once for the whole run (tests/support/servers.py)
and shared by the pytest-xdist workers; each test still gets a fresh database and its own topic prefix. With
CI=true a missing server fails the tests, never skips them. Every worker collects the tests itself and xdist
refuses to run when their lists differ: a parameter that shows in a test's id must not be random (no uuid4()).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from flask import Flask

from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from services.common.identity import Actor, CommandContext, Role
from tests.support.demo import Seeded, Template, copy_of_template, seed_template
from toolkit.http.auth import issue_token
from toolkit.http.rate_limits import Rate, RateLimits

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"

GENEROUS = "1000000/minute"
"""The suite asks much from one address with few accounts: the rate limits are far off for its tests and for the
processes they start (which inherit the environment); tests/api/test_rate_limits.py sets low ones of its own."""
for _variable in ("DUALTRACK_RATE_LIMIT", "DUALTRACK_RATE_LIMIT_EXPENSIVE", "DUALTRACK_RATE_LIMIT_ADDRESS",
                  "DUALTRACK_RATE_LIMIT_ADDRESS_EXPENSIVE"):
    os.environ[_variable] = GENEROUS
GENEROUS_LIMITS = RateLimits(*[Rate.parse(GENEROUS)] * 4)

LAYER_STORES: dict[str, tuple[str, ...]] = {
    "unit": ("memory",),
    "rules": ("memory",),
    "api": ("sqlite",),
    "stored": ("sqlite", "postgres"),
    "projection": ("sqlite", "postgres"),
    "integration": ("sqlite", "postgres"),
    "e2e": ("sqlite",),
}
"""The stores each layer's tests run on (through `database_url` or `demo_template`)."""
STORE_FIXTURES = ("database_url", "demo_template")


def layer_of(node: pytest.Item | pytest.Function | object) -> str | None:
    """The test's layer: the closest layer marker (the test's own, else its class's, else its module's)."""
    for mark in node.iter_markers():  # type: ignore[attr-defined]
        if mark.name in LAYER_STORES:
            return mark.name
    return None


def _store_param(kind: str) -> object:
    return pytest.param(kind, id=kind, marks=pytest.mark.postgres if kind == "postgres" else ())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes a store on the stores of its layer (both databases when it names none)."""
    layer = layer_of(metafunc.definition)
    kinds = LAYER_STORES[layer] if layer else ("sqlite", "postgres")
    for name in STORE_FIXTURES:
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, [_store_param(k) for k in kinds], indirect=True)


E2E_SCOPE = "tests/e2e"
BROWSER_MODULES = f"{E2E_SCOPE}/test_browser_"
"""The browser modules each start their own `dualtrack run` and drive it from Chromium: each is a unit of work of
its own, beside the other end-to-end tests rather than after them."""


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """With pytest-xdist's --dist loadscope (make test): a module's tests run on one worker, so a world a module
    builds once (a module-scoped fixture) is built once, and the end-to-end tests, which start processes and wait
    on them, run one after another on one worker as one unit of work, handed out first since it is the longest.
    (--dist loadgroup with xdist_group marks would say the same, but with pytest 9.2 it silently stops grouping:
    pytest-xdist issue #1386.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PyramidScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(f"{E2E_SCOPE}/") and not nodeid.startswith(BROWSER_MODULES):
                return E2E_SCOPE
            return super()._split_scope(nodeid)

    return PyramidScheduling(config, log)  # type: ignore[arg-type]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the end-to-end tests come first: with --no-loadscope-reorder the scheduler hands out
    units of work in the order collected, and the longest should not be the last."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: not item.nodeid.startswith(f"{E2E_SCOPE}/"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    from tests.support.postgres import postgres_url

    with postgres_url() as url:
        yield url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    from tests.support.kafka import kafka_bootstrap_servers

    with kafka_bootstrap_servers() as bootstrap:
        yield bootstrap


def fresh_postgres_database(server_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlparse(server_url)
    return urlunparse(parts._replace(path=f"/{name}"))


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    """The test's store, by its layer (see pytest_generate_tests): "memory:" for in-memory event stores, None for
    SQLite files in the test's data dir, otherwise a fresh PostgreSQL database."""
    kind = getattr(request, "param", "sqlite")
    if kind == "memory":
        return "memory:"
    if kind == "sqlite":
        return None
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(scope="session")
def demo_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The demo seeded once per store kind (and xdist worker) for the tests that copy it (`seeded`)."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        return request.getfixturevalue("sqlite_demo_template")
    data_dir = tmp_path_factory.mktemp(f"demo-{kind}") / "var"
    server = request.getfixturevalue("postgres_server") if kind == "postgres" else None
    url = fresh_postgres_database(server) if server else ("memory:" if kind == "memory" else None)
    return seed_template(data_dir, url, server)


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The demo seeded once on SQLite files, for tests that copy it whatever their layer (Kafka tests, say)."""
    return seed_template(tmp_path_factory.mktemp("demo-sqlite") / "var", None, None)


@pytest.fixture
def seeded(demo_template: Template, tmp_path: Path) -> Iterator[Seeded]:
    """A test's own copy of the seeded demo world."""
    container = copy_of_template(demo_template, tmp_path)
    try:
        yield Seeded(container, demo_template.ids)
    finally:
        container.close()


def make_settings(data_dir: Path, database_url: str | None = None, kafka: str | None = None, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        secret_key=TEST_SECRET,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.dualtrack",
        **{"rate_limits": GENEROUS_LIMITS, **extra},  # type: ignore[arg-type]
    )


@pytest.fixture
def container(tmp_path: Path, database_url: str | None) -> Iterator[Container]:
    c = Container(make_settings(tmp_path / "var", database_url))
    yield c
    c.close()


@pytest.fixture
def app_for() -> Iterator[Callable[[Container], Flask]]:
    """create_app for a test: the API app around a container, built once per test process and lent to this test
    (tests/support/web.py); every app it lends is given back when the test ends."""
    from tests.support.web import borrow, give_back

    lent: list[Flask] = []

    def lend(container: Container) -> Flask:
        lent.append(borrow(container))
        return lent[-1]

    yield lend
    for app in lent:
        give_back(app)


@pytest.fixture
def admin() -> CommandContext:
    return CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="corr-admin")


def context_for(role: Role, subject: str = "someone", **scope: str) -> CommandContext:
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"corr-{subject}")


def bearer(role: Role, subject: str = "someone", **scope: str) -> dict[str, str]:
    token = issue_token(TEST_SECRET, role=role, subject=subject, **scope)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly how many tests ran against the real broker, the real PostgreSQL server and in the browser."""
    counts: dict[str, dict[str, int]] = {"kafka": {}, "postgres": {}, "browser": {}}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            for marker in counts:
                if marker in keywords:
                    counts[marker][outcome] = counts[marker].get(outcome, 0) + 1
    for marker, by_outcome in counts.items():
        line = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())) or "none ran"
        terminalreporter.write_line(f"{marker}: {line}" if marker == "browser" else f"real {marker}: {line}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a gap, not a pass: fail the run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) count as failures here")

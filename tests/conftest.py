"""Shared fixtures: real PostgreSQL and Kafka for the whole session, a fresh container per test.

Every service and projection test that takes `database_url` runs twice: on SQLite files and on a
fresh PostgreSQL database. Kafka and PostgreSQL are started once per session when none is given
(see tests/support); with CI=true a missing one fails the tests, never skips them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from toolkit.http.auth import issue_token
from services.common.identity import Actor, CommandContext, Role

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None means SQLite files in the test's data dir; otherwise a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))


def make_settings(data_dir: Path, database_url: str | None = None, kafka: str | None = None, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        secret_key=TEST_SECRET,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.dualtrack",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def container(tmp_path: Path, database_url: str | None) -> Iterator[Container]:
    c = Container(make_settings(tmp_path / "var", database_url))
    yield c
    c.close()


@pytest.fixture
def admin() -> CommandContext:
    return CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="corr-admin")


def context_for(role: Role, subject: str = "someone", **scope: str) -> CommandContext:
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"corr-{subject}")


def bearer(role: Role, subject: str = "someone", **scope: str) -> dict[str, str]:
    token = issue_token(TEST_SECRET, role=role, subject=subject, **scope)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly how many tests ran against the real broker and the real PostgreSQL server."""
    counts: dict[str, dict[str, int]] = {"kafka": {}, "postgres": {}}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            for marker in counts:
                if marker in keywords:
                    counts[marker][outcome] = counts[marker].get(outcome, 0) + 1
    for marker, by_outcome in counts.items():
        line = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())) or "none ran"
        terminalreporter.write_line(f"real {marker}: {line}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a gap, not a pass: fail the run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) count as failures here")

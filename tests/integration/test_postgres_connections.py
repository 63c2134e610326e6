"""A process of a deployment on PostgreSQL holds one connection a pool at rest, and more only while it needs them:
each API worker, relay and projector opens every store, and a server takes 100 connections by default."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from dualtrack.bootstrap import APPLICATION_CLASSES, Container
from services.common.identity import CommandContext
from tests.conftest import fresh_postgres_database, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def connections_to(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                           (urlparse(url).path.lstrip("/"),)).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def opened(tmp_path: Path, postgres_server: str) -> Iterator[tuple[Container, str]]:
    database_url = fresh_postgres_database(postgres_server)
    container = Container(make_settings(tmp_path / "var", database_url)).open()
    yield container, database_url
    container.close()


def test_given_a_process_that_opened_every_store_when_idle_then_it_holds_about_two_connections_a_context(
        opened: tuple[Container, str]) -> None:
    _, url = opened
    held = connections_to(url)  # 38 when each pool kept five open; 14 on the day this was written
    assert held <= 2 * len(APPLICATION_CLASSES) + 4, held  # each context's pools at rest, the views, the keys


def test_given_many_commands_at_once_when_they_run_then_the_pools_grow_for_them_and_every_one_succeeds(
        opened: tuple[Container, str], admin: CommandContext) -> None:
    container, url = opened
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = list(pool.map(lambda n: container.placements.register_enterprise(admin, name=f"E{n}"), range(60)))
    assert len({r.id for r in done}) == 60
    assert connections_to(url) <= len(APPLICATION_CLASSES) * 15 + 4

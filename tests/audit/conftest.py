"""The demo world, seeded once per database kind and copied for each test: SQLite files copied, a PostgreSQL database
created from the seeded one as its template (seeding on PostgreSQL costs seconds; a copy, a fraction of one)."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, seed_demo
from tests.conftest import fresh_postgres_database, make_settings


@dataclass(frozen=True)
class Template:
    data_dir: Path
    database_url: str | None
    server_url: str | None
    ids: DemoIds


@dataclass
class Seeded:
    """A test's own copy of the seeded demo world."""

    container: Container
    ids: DemoIds


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    data_dir = tmp_path_factory.mktemp(f"demo-{request.param}") / "var"
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    url = fresh_postgres_database(server) if server else None
    container = Container(make_settings(data_dir, url))
    try:
        ids = seed_demo(container)
    finally:
        container.close()
    return Template(data_dir, url, server, ids)


@pytest.fixture
def seeded(demo_template: Template, tmp_path: Path) -> Iterator[Seeded]:
    data_dir = tmp_path / "var"
    if demo_template.data_dir.exists():  # on PostgreSQL only what was created on disk (a key, perhaps)
        shutil.copytree(demo_template.data_dir, data_dir)
    url = _copy_database(demo_template) if demo_template.database_url else None
    container = Container(make_settings(data_dir, url))
    try:
        yield Seeded(container, demo_template.ids)
    finally:
        container.close()


def _copy_database(template: Template) -> str:
    import psycopg

    source = urlparse(template.database_url or "").path.lstrip("/")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(template.server_url or "", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return urlunparse(urlparse(template.database_url or "")._replace(path=f"/{name}"))

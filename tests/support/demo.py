"""The demo world, seeded once per store kind and copied for each test.

Seeding the demo runs a few hundred commands (seconds on SQLite, more on PostgreSQL); a copy costs a fraction of
that: SQLite files are copied, and a PostgreSQL database is created from the seeded one as its template. The
fixtures are `demo_template` (one per store kind and xdist worker) and `seeded` (a test's own copy) in
tests/conftest.py.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from dualtrack.bootstrap import Container
from dualtrack.demo import DemoIds, seed_demo


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


def seed_template(data_dir: Path, database_url: str | None, server_url: str | None) -> Template:
    from tests.conftest import make_settings

    container = Container(make_settings(data_dir, database_url))
    try:
        ids = seed_demo(container)
    finally:
        container.close()
    return Template(data_dir, database_url, server_url, ids)


def copy_of_template(template: Template, tmp_path: Path) -> Container:
    """A container over a fresh copy of the template's stores (and its data dir: keys, SQLite views)."""
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    if template.data_dir.exists():  # on PostgreSQL only what was created on disk (a key, perhaps)
        shutil.copytree(template.data_dir, data_dir)
    url = _copy_database(template) if template.database_url else None
    return Container(make_settings(data_dir, url))


def _copy_database(template: Template) -> str:
    import psycopg

    source = urlparse(template.database_url or "").path.lstrip("/")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(template.server_url or "", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return urlunparse(urlparse(template.database_url or "")._replace(path=f"/{name}"))

"""An API client over a real container (SQLite or PostgreSQL); queries see the view once projected."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dualtrack.web.app import create_app


class Client:
    """The Flask test client, plus a way to bring the read models up to date (embedded projector)."""

    def __init__(self, container: Any, app: Any = None) -> None:
        self.container = container
        self.http = (app or create_app(container)).test_client()

    def project(self) -> None:
        """Bring every read model up to date with the event store (the embedded source)."""
        from dualtrack.bootstrap import PROJECTION_CLASSES

        for name in PROJECTION_CLASSES:
            self.container.projector(name, embedded=True).catch_up()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)


@pytest.fixture
def client(container: Any, app_for: Any) -> Client:
    return Client(container, app_for(container))


@dataclass
class CopiedWorld:
    """A copy of a world built once per module (the template's data dir), its container and an API client."""

    container: Any
    client: Any
    ids: Any


@contextmanager
def copy_of(source: Path, tmp_path: Path, ids: Any, today: date) -> Iterator[CopiedWorld]:
    """A fresh copy of the template world's SQLite files, every application's clock pinned to `today`: access
    matrices run hundreds of requests against one world without rebuilding it each time."""
    from dualtrack.bootstrap import Container
    from dualtrack.settings import CONTEXTS
    from tests.conftest import make_settings
    from tests.support.web import lent_app

    data_dir = tmp_path / "var"
    shutil.copytree(source, data_dir)
    container = Container(make_settings(data_dir))
    for context in CONTEXTS:
        container.app(context).today = lambda: today  # type: ignore[method-assign]
    try:
        with lent_app(container) as app:
            yield CopiedWorld(container, app.test_client(), ids)
    finally:
        container.close()

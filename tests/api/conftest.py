"""An API client over a real container (SQLite or PostgreSQL); queries see the view once projected."""

from __future__ import annotations

from typing import Any

import pytest

from dualtrack.web.app import create_app


class Client:
    """The Flask test client, plus a way to bring the read models up to date (embedded projector)."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self.http = create_app(container).test_client()

    def project(self) -> None:
        """Bring every read model up to date with the event store (the embedded source)."""
        from dualtrack.bootstrap import PROJECTION_CLASSES

        for name in PROJECTION_CLASSES:
            self.container.projector(name, embedded=True).catch_up()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)


@pytest.fixture
def client(container: Any) -> Client:
    return Client(container)

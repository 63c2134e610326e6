"""Projectors of one projection started together on a new PostgreSQL database (two `dualtrack project --share`
processes on two machines) create the view's tables one after another: none of them fails at start because another
was creating the same table at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from tests.conftest import fresh_postgres_database, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

STARTING = 4


def test_given_a_new_database_when_four_projectors_of_centres_start_at_once_then_each_starts(
        tmp_path: Path, postgres_server: str) -> None:
    database_url = fresh_postgres_database(postgres_server)
    containers = [Container(make_settings(tmp_path / f"machine-{i}", database_url)) for i in range(STARTING)]
    together = threading.Barrier(STARTING)

    def start(container: Container) -> str:
        together.wait()
        return type(container.projector("centres", embedded=True)).__name__

    try:
        with ThreadPoolExecutor(STARTING) as pool:
            started = list(pool.map(start, containers))
    finally:
        for container in containers:
            container.close()
    assert started == ["Projector"] * STARTING

"""The composition root builds each application once and whole: a half-built application is never kept, threads
of one process never see one, and processes opening a fresh database together each get every store.

On SQLite and PostgreSQL: the race it guards against is two sessions creating the same tables at once.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dualtrack import bootstrap
from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.wiring import APPLICATION_CLASSES
from tests.conftest import make_settings

pytestmark = pytest.mark.stored


def test_given_a_port_that_fails_once_when_the_application_is_asked_for_then_the_failure_is_raised_and_the_next_ask_builds_it_whole(
        tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    container = Container(make_settings(tmp_path / "var", database_url))
    connect = bootstrap.PORTS["training"]["placements"]
    failures = iter([RuntimeError("tuple concurrently updated")])

    def once_failing(c: Container) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return connect(c)

    monkeypatch.setitem(bootstrap.PORTS["training"], "placements", once_failing)
    try:
        with pytest.raises(RuntimeError, match="tuple concurrently updated"):
            container.app("training")
        training = container.training
        assert training.placements is not None and training.school_days is not None
        assert container.training is training
    finally:
        container.close()


def test_given_many_threads_asking_at_once_when_the_applications_are_built_then_each_is_built_once(
        tmp_path: Path, database_url: str | None) -> None:
    container = Container(make_settings(tmp_path / "var", database_url))
    start = threading.Barrier(8)
    seen: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            seen.append({c: id(container.app(c)) for c in reversed(APPLICATION_CLASSES)})
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(seen) == 8 and all(s == seen[0] for s in seen)
    finally:
        container.close()


def test_given_a_fresh_database_when_four_processes_open_it_together_then_each_has_every_store_and_view(
        tmp_path: Path, database_url: str | None) -> None:
    settings = make_settings(tmp_path / "var", database_url)
    containers = [Container(settings) for _ in range(4)]
    start = threading.Barrier(len(containers))
    errors: list[BaseException] = []

    def open_(container: Container) -> None:
        start.wait()
        try:
            container.open(attempts=1)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_, args=(c,)) for c in containers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for container in containers:
            assert set(container._apps) == set(APPLICATION_CLASSES)  # identity's too
            assert all(container.view(name) is not None for name in PROJECTION_CLASSES)
        assert containers[0].placements.max_position() == containers[3].placements.max_position() == 0
    finally:
        for container in containers:
            container.close()

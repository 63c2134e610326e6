"""Real processes: `dualtrack relay`, `dualtrack project` and `dualtrack run`, started and killed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from services.common.identity import CommandContext
from services.placements.domain import Enterprise, TrainingCentre
from tests.conftest import make_settings

DUALTRACK = str(Path(sys.executable).with_name("dualtrack"))


def process_env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "DUALTRACK_DATA_DIR": str(settings.data_dir),
        "DUALTRACK_TOPIC_PREFIX": settings.topic_prefix,
        "DUALTRACK_SECRET_KEY": settings.secret_key,
        "DUALTRACK_LOG_LEVEL": "WARNING",
    }
    if settings.kafka_bootstrap_servers:
        env["KAFKA_BOOTSTRAP_SERVERS"] = settings.kafka_bootstrap_servers
    if settings.database_url:
        env["DUALTRACK_DATABASE_URL"] = settings.database_url
    return env


class Processes:
    """Starts dualtrack subcommands and makes sure none outlives the test."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{'-'.join(args)}-{len(self.started)}.log", "wb")
        process = subprocess.Popen([DUALTRACK, *args], env=env or process_env(self.settings), stdout=log,
                                   stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def e2e_settings(tmp_path: Path, kafka_bootstrap: str) -> Settings:
    return make_settings(tmp_path / "var", None, kafka_bootstrap)


@pytest.fixture
def processes(e2e_settings: Settings, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(e2e_settings, tmp_path)
    yield procs
    procs.stop_all()


def store_many_events(container: Container, admin: CommandContext, count: int) -> int:
    """Record `count` events quickly: centres opened and their capacities changed, saved in bulk."""
    app = container.placements
    enterprise = Enterprise.register(name="Bulk", registration_number=None, meta=admin.meta())
    app.save(enterprise)
    stored = 1
    while stored < count:
        centres = []
        for i in range(min(500, count - stored)):
            centre = TrainingCentre.open(enterprise_id=enterprise.id, name=f"C{stored + i}", address="x",
                                         capacity=1, specialities=["s"], meta=admin.meta())
            centres.append(centre)
        extra = 0
        for centre in centres:
            if stored + len(centres) + extra < count:
                centre.change_capacity(2, admin.meta())
                extra += 1
        app.save(*centres)
        stored += len(centres) + extra
    return stored


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

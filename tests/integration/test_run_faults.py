"""`dualtrack run` on a data directory it cannot use: one line saying what is wrong, a non-zero exit, and nothing it
started left running (the local Kafka broker included).

The directories really refuse writes, root or not: a tmpfs remounted read-only, a path under a regular file, and a
store that cannot be opened once the broker is already up (the failure after the start that used to leave it
running).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings
from tests.e2e.test_dualtrack_run import free_port, processes_of

pytestmark = pytest.mark.integration

DUALTRACK = str(Path(sys.executable).with_name("dualtrack"))


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], check=True)
    try:
        (mount_point / "var").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def run(data_dir: Path, tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(data_dir), "DUALTRACK_API_PORT": str(free_port()),
           "DUALTRACK_LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # `run` starts its own local broker
    return subprocess.run([DUALTRACK, "run", "--no-demo"], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path)


def assert_nothing_left_of(data_dir: Path) -> None:
    assert processes_of(data_dir) == [], "no process started for this data dir is left running"
    if (data_dir / "kafka").is_dir():
        broker = LocalKafkaBroker(data_dir / "kafka", cache_dir=Settings.from_env().kafka_cache_dir)
        assert broker.status()["running"] is False and broker.status()["pid"] is None


def test_given_a_read_only_data_directory_when_dualtrack_run_starts_then_it_says_so_in_one_line_and_starts_nothing(
    read_only_mount: Path, tmp_path: Path,
) -> None:
    data_dir = read_only_mount / "var"
    result = run(data_dir, tmp_path, timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Error: the data directory {data_dir} cannot be written (Read-only file system); nothing was started"
    ], result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "starting the local Kafka broker" not in result.stdout
    assert_nothing_left_of(data_dir)


def test_given_a_data_directory_under_a_regular_file_when_dualtrack_run_starts_then_it_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "var").write_text("not a directory\n")
    data_dir = tmp_path / "var" / "data"
    result = run(data_dir, tmp_path, timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Error: the data directory {data_dir} cannot be written (Not a directory); nothing was started"
    ], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.kafka
def test_given_a_store_that_cannot_be_opened_after_the_broker_started_then_dualtrack_run_stops_the_broker_and_says_why_in_one_line(
    tmp_path: Path,
) -> None:
    data_dir = (tmp_path / "var").resolve()
    data_dir.mkdir()
    (data_dir / "placements.sqlite3").mkdir()  # a store SQLite cannot open: found only once the broker is up
    result = run(data_dir, tmp_path, timeout=300)

    assert result.returncode != 0, result.stdout + result.stderr
    assert "starting the local Kafka broker" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: the stores in {data_dir} cannot be opened: ") and "was stopped" in line, line
    assert "Traceback" not in result.stdout + result.stderr
    assert "stopped everything" in result.stdout
    assert_nothing_left_of(data_dir)

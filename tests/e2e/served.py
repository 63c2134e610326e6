"""`dualtrack serve --embedded` started for a test: no broker, its own data directory and secret."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import DUALTRACK
from tests.e2e.test_dualtrack_run import call, free_port


@dataclass(frozen=True)
class Served:
    base: str
    """The server's address, e.g. http://127.0.0.1:PORT"""
    env: dict[str, str]
    """The environment it was started with (for more `dualtrack` commands on the same data directory)."""


def embedded_env(data_dir: Path, secret: str) -> dict[str, str]:
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(data_dir), "DUALTRACK_API_PORT": str(free_port()),
           "DUALTRACK_SECRET_KEY": secret, "DUALTRACK_LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return env


@contextmanager
def embedded_server(env: dict[str, str], start_within: float = 60.0) -> Iterator[Served]:
    """Serve the data directory of `env` until the block ends; then stop it with SIGTERM, which it must obey."""
    server = subprocess.Popen([DUALTRACK, "serve", "--embedded"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{env['DUALTRACK_API_PORT']}"
    try:
        deadline = time.monotonic() + start_within
        while call("GET", f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, "the server starts"
            time.sleep(0.1)
        yield Served(base, env)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0

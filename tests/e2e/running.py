"""`dualtrack run` as a newcomer starts it (demo loaded, API, relays, projectors, mail), on the test run's Kafka
broker, in a throwaway data directory: the browser tests drive the real pipeline through it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from tests.e2e.conftest import DUALTRACK
from tests.support.smtp import free_port


@dataclass(frozen=True)
class Running:
    base_url: str
    data_dir: Path
    sign_ins: dict[str, str]
    """The demo's passwords by handle ("mentor-zhao")."""
    log: Path
    student_ids: dict[str, str]
    """The demo's students' ids by name."""


@contextmanager
def dualtrack_run(tmp: Path, kafka_bootstrap: str) -> Iterator[Running]:
    data_dir = tmp / "var"
    port = free_port()
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(data_dir), "DUALTRACK_API_PORT": str(port),
           "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DUALTRACK_TOPIC_PREFIX": f"b{uuid4().hex[:8]}.dualtrack",
           "DUALTRACK_SMTP_PORT": str(free_port()), "DUALTRACK_LOG_LEVEL": "WARNING"}
    env.pop("DUALTRACK_SECRET_KEY", None)  # as a newcomer runs it: a secret generated for the data directory
    log = tmp / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([DUALTRACK, "run"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while "dualtrack is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "dualtrack run did not start: " + log.read_text()[-3000:]
            time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/healthz", timeout=10):
            pass
        sign_ins = json.loads((data_dir / "keys" / "demo-sign-ins.json").read_text())
        yield Running(base, data_dir, sign_ins, log, _students(base, sign_ins))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _students(base: str, sign_ins: dict[str, str]) -> dict[str, str]:
    """The demo's students by name, as the admin lists them through the API."""
    def call(path: str, body: object = None, token: str | None = None) -> object:
        request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    token = call("/api/v1/auth/tokens", {"login": "wu.ming@dualtrack.example", "password": sign_ins["admin-wu"]})
    access = token["access_token"]  # type: ignore[index]
    for _ in range(100):  # the register is a read model: it fills as the projector catches up
        placements = call("/api/v1/placements?page_size=100", token=access)
        if isinstance(placements, list) and len(placements) >= 10:
            break
        time.sleep(0.3)
    found: dict[str, str] = {}
    for placement in placements:  # type: ignore[union-attr]
        student = call(f"/api/v1/students/{placement['student_id']}", token=access)
        found[student["name"]] = placement["student_id"]  # type: ignore[index]
    return found

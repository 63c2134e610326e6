"""`dualtrack serve --embedded`: no broker, the projections run in the API process from the event stores."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from services.common.identity import Role
from tests.e2e.conftest import DUALTRACK
from tests.e2e.test_dualtrack_run import call, free_port
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "embedded-test-secret-key-long-enough-hs256"


def test_given_no_broker_when_serving_embedded_then_a_command_shows_up_in_the_read_model(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(tmp_path / "var"), "DUALTRACK_API_PORT": str(port),
           "DUALTRACK_SECRET_KEY": SECRET}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    server = subprocess.Popen([DUALTRACK, "serve", "--embedded"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    token = issue_token(SECRET, role=Role.ADMIN, subject="admin")
    try:
        deadline = time.monotonic() + 30
        while call("GET", f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, "the server starts"
            time.sleep(0.1)
        status, enterprise = call("POST", f"{base}/api/v1/enterprises", {"name": "Haier"}, token)
        assert status == 201
        status, centre = call("POST", f"{base}/api/v1/enterprises/{enterprise['id']}/centres",  # type: ignore[index]
                              {"name": "W", "address": "A", "capacity": 2, "specialities": ["m"]}, token)
        assert status == 201
        deadline = time.monotonic() + 10
        while (found := call("GET", f"{base}/api/v1/centres/{centre['id']}", token=token))[0] != 200:  # type: ignore[index]
            assert time.monotonic() < deadline, "the embedded projector applies the event"
            time.sleep(0.05)
        assert found[1]["enterprise"]["name"] == "Haier"  # type: ignore[index]
        ready = call("GET", f"{base}/readyz", token=token)  # the checks: an admin's to read
        assert ready[0] == 200 and "embedded" in ready[1]["checks"]["broker"]["mode"]  # type: ignore[index]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0

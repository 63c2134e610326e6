"""`dualtrack serve --embedded`: no broker, the projections run in the API process from the event stores."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.common.identity import Role
from tests.e2e.served import embedded_env, embedded_server
from tests.e2e.test_dualtrack_run import call
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "embedded-test-secret-key-long-enough-hs256"


def test_given_no_broker_when_serving_embedded_then_a_command_shows_up_in_the_read_model(tmp_path: Path) -> None:
    token = issue_token(SECRET, role=Role.ADMIN, subject="admin")
    with embedded_server(embedded_env(tmp_path / "var", SECRET)) as served:
        base = served.base
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

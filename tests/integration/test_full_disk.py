"""A full disk under the stores: commands are answered 503 naming the cause (not a bare 500), /readyz turns
not-ready, and once space is freed commands go through again.

The disk is real: a small tmpfs mounted for the test (the tests run as root, as CI does), filled with a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Role
from tests.conftest import bearer, make_settings
from tests.support.disks import fill, small_tmpfs
from tests.support.web import lent_app
from toolkit.http.faults import LAST_FAULT

pytestmark = pytest.mark.integration

ADMIN = bearer(Role.ADMIN, "admin-1")
DISK_MB = 48


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", DISK_MB) as disk:
        yield disk


def test_given_a_full_disk_under_the_stores_when_commands_arrive_then_each_is_a_503_naming_the_cause_and_readyz_is_not_ready_until_space_is_freed(
        small_disk: Path) -> None:
    container = Container(make_settings(small_disk / "var")).open()
    try:
        with lent_app(container) as app:
            client = app.test_client()
            before = client.post("/api/v1/enterprises", json={"name": "Haier"}, headers=ADMIN)
            assert before.status_code == 201
            assert client.get("/readyz").status_code == 200

            filler = fill(small_disk)
            answers = [client.post("/api/v1/enterprises", json={"name": f"Full {n}", "registration_number": "9" * 40},
                                   headers=ADMIN) for n in range(5)]
            ready = client.get("/readyz", headers=ADMIN)  # why it is not ready: an admin's to read

            assert [a.status_code for a in answers] == [503] * 5
            assert {a.json["error"]["code"] for a in answers} == {"storage-unavailable"}
            assert "full" in answers[0].json["error"]["message"] and answers[0].headers["Retry-After"]
            assert ready.status_code == 503 and ready.json["ready"] is False
            assert any("storage" in reason or "free" in reason for reason in ready.json["reasons"])

            filler.unlink()
            after = client.post("/api/v1/enterprises", json={"name": "Haier Smart Home"}, headers=ADMIN)
            assert after.status_code == 201
            registered = [n for n in container.placements.notifications(1, 100) if n.topic.endswith(
                ":EnterpriseRegistered")]
            assert len(registered) == 2, "the refused commands stored nothing"
    finally:
        container.close()
        LAST_FAULT.forget()  # other tests in this process start with no fault on record

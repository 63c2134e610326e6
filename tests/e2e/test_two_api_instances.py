"""Issue 19: several API instances on one PostgreSQL database.

Two `dualtrack serve` processes, as two machines would run them (each its own data directory and port, one
PostgreSQL database for stores, views, keys and rate limits), take capacity changes of one training centre at the
same time from eight clients: half send If-Match with the version they last read, half send none (the server
decides again on a conflict). Every answer is a 200 or a 409; afterwards the centre's stream holds exactly the
changes that were answered 200, its versions contiguous, each accepted answer's version the version of its own event.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role
from services.placements.domain import TrainingCentre
from tests.conftest import TEST_SECRET, fresh_postgres_database, make_settings
from tests.e2e.conftest import Processes, process_env, wait_for
from tests.e2e.test_worker_restarts import answers, free_port
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres]

CLIENTS, CHANGES_EACH = 8, 12
GENEROUS = "1000000/minute"


def put_capacity(port: int, centre_id: str, capacity: int, token: str, version: int | None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        connection.request("PUT", f"/api/v1/centres/{centre_id}/capacity", json.dumps({"capacity": capacity}),
                           headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


def serves(port: int) -> bool:
    return answers(port, "/healthz") == 200


@pytest.fixture
def two_instances(postgres_server: str, tmp_path: Path) -> Any:
    database_url = fresh_postgres_database(postgres_server)
    machines = [make_settings(tmp_path / f"machine-{n}" / "var", database_url) for n in (1, 2)]
    container = Container(machines[0]).open()
    admin = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="two-instances")
    enterprise = container.placements.register_enterprise(admin, name="Haier").id
    centre = container.placements.open_centre(admin, enterprise_id=enterprise, name="Qingdao works", address="1 Road",
                                              capacity=10, specialities=["mechatronics"]).id
    ports = [free_port(), free_port()]
    processes = [Processes(settings, tmp_path) for settings in machines]
    limits = {name: GENEROUS for name in ("DUALTRACK_RATE_LIMIT", "DUALTRACK_RATE_LIMIT_EXPENSIVE",
                                          "DUALTRACK_RATE_LIMIT_ADDRESS", "DUALTRACK_RATE_LIMIT_ADDRESS_EXPENSIVE")}
    try:
        for process, settings, port in zip(processes, machines, ports, strict=True):
            process.start("serve", "--port", str(port), env={**process_env(settings), **limits,
                                                              "DUALTRACK_API_HOST": "127.0.0.1"})
        for port in ports:
            wait_for(partial(serves, port), 90, f"the API on port {port} to answer")
        yield container, centre, ports
    finally:
        for process in processes:
            process.stop_all()
        container.close()


def test_given_two_api_instances_on_one_database_when_clients_change_one_centre_at_once_then_every_answer_is_200_or_409_and_the_stream_holds_exactly_the_accepted_changes(
        two_instances: Any) -> None:
    container, centre, ports = two_instances
    token = issue_token(TEST_SECRET, role=Role.ADMIN, subject="admin-1")
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    accepted: dict[int, int] = {}  # the version each 200 answered -> the capacity it set

    def current_version() -> int:
        return int(container.placements.load(TrainingCentre, centre).version)

    def client(n: int) -> None:
        for i in range(CHANGES_EACH):
            capacity = 100 + n * CHANGES_EACH + i  # each change sets a capacity no other change sets
            version = current_version() if n % 2 == 0 else None
            status, body = put_capacity(ports[(n + i) % 2], str(centre), capacity, token, version)
            with lock:
                statuses[status] += 1
                if status == 200:
                    assert body["version"] not in accepted, f"two changes answered version {body['version']}"
                    accepted[body["version"]] = capacity

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))

    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] == len(accepted) > 0 and statuses[409] > 0, statuses
    events = list(container.placements.events.get(UUID(str(centre))))
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))  # contiguous, nothing lost
    changes = {e.originator_version: e.capacity for e in events[1:]}
    assert changes == accepted  # exactly the accepted ones, each at the version its answer named

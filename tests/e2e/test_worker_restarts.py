"""API workers killed (kill -9) while twenty mentors' practice entries arrive at once, on PostgreSQL: the master
starts new workers, and no request is answered with a server error, during the kills or after them.

A killed worker drops the connections it held: the client sees the connection close, not an answer, and sends
the same request again with the same Idempotency-Key, as a client that timed out would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Role
from tests.conftest import bearer, fresh_postgres_database, make_settings
from tests.e2e.conftest import Processes, process_env, wait_for
from tests.service.training_world import build_training_world

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

ROUNDS, AT_ONCE = 3, 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workers_of(master: int) -> list[int]:
    """The pids of the processes whose parent is `master` (gunicorn's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(entry.name))
    return children


def answers(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status
    except (TimeoutError, ConnectionError, http.client.HTTPException):
        return None


def weekdays_before(today: date, count: int) -> list[date]:
    days, day = [], today - timedelta(days=1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


class Client:
    """Posts practice entries to the server, retrying a dropped connection with the same Idempotency-Key."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port, self.headers = port, headers
        self.statuses: Counter[int] = Counter()
        self.dropped = 0
        self._lock = threading.Lock()

    def post(self, path: str, body: dict[str, Any], key: str, *, deadline: float = 90.0) -> int:
        give_up = time.monotonic() + deadline
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("POST", path, json.dumps(body), {
                    **self.headers, "Content-Type": "application/json", "Idempotency-Key": key})
                status = connection.getresponse().status
                connection.close()
            except (TimeoutError, ConnectionError, http.client.HTTPException):
                with self._lock:
                    self.dropped += 1
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.2)
                continue
            with self._lock:
                self.statuses[status] += 1
            return status


def test_given_api_workers_killed_under_twenty_concurrent_practice_posts_on_postgresql_then_no_answer_is_a_server_error_and_every_later_request_succeeds(
        tmp_path: Path, postgres_server: str) -> None:
    settings = make_settings(tmp_path / "var", fresh_postgres_database(postgres_server))
    container = Container(settings)
    world = build_training_world(container)
    today = date.today()
    container.placements.today = date.today  # type: ignore[method-assign]
    student = world.enrol("Zhao Lei")
    placement = world.agree(student, world.workshop, today - timedelta(days=60), today + timedelta(days=120))
    world.activate(student, placement, today - timedelta(days=60))
    mentor = world.mentor(world.workshop)
    container.close()

    port = free_port()
    processes = Processes(settings, tmp_path)
    server = processes.start("serve", "--port", str(port), env={**process_env(settings),
                                                                "DUALTRACK_API_HOST": "127.0.0.1",
                                                                "DUALTRACK_API_WORKERS": "2"})
    try:
        client = Client(port, bearer(Role.MENTOR, mentor.actor.subject, enterprise_id=mentor.actor.enterprise_id))
        path = f"/api/v1/students/{student}/practice-entries"
        days = weekdays_before(today, 10)

        def entry(n: int) -> dict[str, Any]:
            """Half an hour on one of the last ten weekdays: three hours a day at most, no overlap."""
            start = 8 * 60 + (n // len(days)) * 30
            return {"day": days[n % len(days)].isoformat(), "start": f"{start // 60:02d}:{start % 60:02d}",
                    "end": f"{(start + 30) // 60:02d}:{(start + 30) % 60:02d}", "competencies": ["M1"],
                    "description": f"assembly, part {n}"}

        wait_for(lambda: len(workers_of(server.pid)) == 2, 60, "two API workers")
        wait_for(lambda: answers(port, "/healthz") == 200, 60, "the API to answer")
        for round_ in range(ROUNDS):
            start = threading.Barrier(AT_ONCE + 1)

            def post(n: int, start: threading.Barrier = start) -> None:
                start.wait()
                client.post(path, entry(n), key=f"entry-{n}")

            threads = [threading.Thread(target=post, args=(round_ * AT_ONCE + i,)) for i in range(AT_ONCE)]
            for t in threads:
                t.start()
            start.wait()
            time.sleep(0.05)
            for worker in workers_of(server.pid):
                os.kill(worker, signal.SIGKILL)
            for t in threads:
                t.join(120)
            assert server.poll() is None, "the master stopped"

        later = [client.post(path, entry(ROUNDS * AT_ONCE + n), key=f"later-{n}") for n in range(AT_ONCE)]
    finally:
        processes.stop_all()

    assert sum(n for status, n in client.statuses.items() if status >= 500) == 0, client.statuses
    assert later == [201] * AT_ONCE
    assert client.statuses[201] >= AT_ONCE, client.statuses

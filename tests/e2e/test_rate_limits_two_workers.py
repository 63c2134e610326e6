"""Issue 18's Done-when: 200 requests a second from one account get 429s after the limit, with two workers serving.

`dualtrack serve` (two gunicorn workers, the demo's stores on SQLite files) with a limit of 100 requests an hour per
account; the demo's administrator signs in and asks for `/api/v1/me` 200 times a second for three seconds, from a
pool of threads, each request on a connection of its own (so the kernel hands them to both workers). The counters
are shared: the answers accepted are the one allowance (not one per worker), every other answer is a 429 with
Retry-After, and both workers served.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Processes, process_env, wait_for
from tests.e2e.test_worker_restarts import answers, free_port, workers_of
from tests.support.demo import Template, copy_of_template

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT = 100
PER_SECOND, SECONDS = 200, 3


def cpu_ticks(pid: int) -> int:
    """The user and system clock ticks a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, answer.headers, json.loads(data) if data else None
    finally:
        connection.close()


def test_given_two_workers_serving_when_one_account_sends_200_requests_a_second_then_after_its_one_allowance_every_answer_is_429_with_retry_after(
        sqlite_demo_template: Template, tmp_path: Path) -> None:
    container = copy_of_template(sqlite_demo_template, tmp_path)
    settings = container.settings
    container.close()
    password = sqlite_demo_template.ids.sign_ins["admin-wu"]
    port = free_port()
    processes = Processes(settings, tmp_path)
    server = processes.start("serve", "--port", str(port), env={
        **process_env(settings), "DUALTRACK_API_HOST": "127.0.0.1", "DUALTRACK_API_WORKERS": "2",
        "DUALTRACK_RATE_LIMIT": f"{LIMIT}/hour"})
    try:
        wait_for(lambda: len(workers_of(server.pid)) == 2, 60, "two API workers")
        wait_for(lambda: answers(port, "/healthz") == 200, 60, "the API to answer")
        status, _, token = call(port, "POST", "/api/v1/auth/tokens",
                                {"login": "wu.ming@dualtrack.example", "password": password})
        assert status == 201, token
        workers = workers_of(server.pid)
        before = {pid: cpu_ticks(pid) for pid in workers}

        results: Counter[int] = Counter()
        retry_afters: list[str | None] = []
        lock = threading.Lock()
        start = time.monotonic()

        def send(n: int) -> None:
            time.sleep(max(0.0, start + n / PER_SECOND - time.monotonic()))  # 200 a second, evenly
            got, headers, _ = call(port, "GET", "/api/v1/me", token=token["access_token"])
            with lock:
                results[got] += 1
                if got == 429:
                    retry_afters.append(headers.get("Retry-After"))

        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(send, range(PER_SECOND * SECONDS)))
        worked = {pid: cpu_ticks(pid) - before[pid] for pid in workers}
        assert server.poll() is None
    finally:
        processes.stop_all()

    assert set(results) == {200, 429}, results
    assert LIMIT <= results[200] <= LIMIT + 1, results  # one allowance, not one per worker
    assert results[429] == PER_SECOND * SECONDS - results[200]
    assert all(value is not None and int(value) >= 1 for value in retry_afters)
    assert all(ticks > 0 for ticks in worked.values()), f"a worker served nothing: {worked}"

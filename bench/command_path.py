"""The command path: enrolling a student through `dualtrack serve` against a plain Flask reference app.

Both run under the same gunicorn settings (`dualtrack.server.gunicorn_options`: workers, threads, gthread) on
SQLite, side by side, and are measured in turns (A/B/A/B, which goes first alternating):

- saturated throughput: a fixed number of keep-alive connections (in several client processes, so the client is
  not the bottleneck) send enrolments as fast as they are answered for a fixed time; 201s per second;
- latency at a fixed rate (100 requests a second, open loop: each request is sent at its scheduled moment, and its
  latency counts from that moment, so a slow answer delays no later measurement): p50 and p99.

dualtrack runs as a deployment does: a signed-in coordinator's session token (checked with the identity context on
every request), rate limits on (generous ones, so that they count every request but refuse none), sealing, the
wait token. The reference (`bench/reference_app.py`) verifies a token, validates the body, reads the school and
appends one event row in one transaction.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import Figure

SATURATION_TARGET = 0.8
P99_LIMIT_MS = 15.0
RATE = 100.0
GENEROUS = "1000000/minute"
SECRET = "command-path-bench-secret-long-enough-for-hs256"
BODY = {"name": "Bench Student", "major": "mechatronics", "cohort": 2025, "enrolment_date": "2025-09-01",
        "date_of_birth": "2004-03-02"}

Say = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """One server under test: where to POST, with which token."""

    name: str
    port: int
    path: str
    token: Callable[[], str]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}


@dataclass
class Trials:
    rates: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0


# -- the servers ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer within {timeout:.0f} s")


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(port, process, log)
        yield
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Ask a process the bench started to end (SIGTERM), and kill it if it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def dualtrack_environment(data_dir: Path, port: int) -> dict[str, str]:
    limits = {"DUALTRACK_RATE_LIMIT": GENEROUS, "DUALTRACK_RATE_LIMIT_EXPENSIVE": GENEROUS,
              "DUALTRACK_RATE_LIMIT_ADDRESS": GENEROUS, "DUALTRACK_RATE_LIMIT_ADDRESS_EXPENSIVE": GENEROUS}
    return {**os.environ, "DUALTRACK_DATA_DIR": str(data_dir), "DUALTRACK_SECRET_KEY": SECRET,
            "DUALTRACK_API_PORT": str(port), **limits}  # the request log at its default level, as deployed


def prepare_dualtrack(data_dir: Path) -> tuple[str, Callable[[], str]]:
    """A school and a coordinator of it who signed in; the school's id and a way to get a fresh access token of the
    coordinator's session (a token lives 15 minutes; a long bench asks again)."""
    from dualtrack.bootstrap import Container
    from dualtrack.settings import Settings
    from services.common.identity import Actor, CommandContext, Role
    from toolkit.http.rate_limits import Rate, RateLimits

    settings = Settings(data_dir=data_dir, secret_key=SECRET, rate_limits=RateLimits(*[Rate.parse(GENEROUS)] * 4))
    container = Container(settings).open()
    try:
        admin = CommandContext(Actor("bench-admin", Role.ADMIN), correlation_id="bench")
        school_id = str(container.placements.register_school(admin, name="Bench School", code="BENCH").id)
    finally:
        container.close()
    return school_id, signed_in_coordinator(settings, school_id)


def signed_in_coordinator(settings: Any, school_id: str) -> Callable[[], str]:
    """A coordinator of the school who signed in (through the identity context, on the deployment's stores); a way
    to get a fresh access token of their session (a token lives 15 minutes; a long bench asks again)."""
    from dualtrack.bootstrap import Container
    from services.common.identity import CommandContext, Role
    from toolkit.http.auth import issue_access_token

    container = Container(settings).open()
    try:
        loader = CommandContext.for_system("bench")
        password = uuid.uuid4().hex
        email = f"coordinator-{uuid.uuid4().hex[:8]}@bench.example"
        container.identity.add_account(loader, name="Bench Coordinator", email=email, password=password)
        container.identity.invite(loader, name="Bench Coordinator", email=email, role=Role.COORDINATOR,
                                  school_id=school_id)
        signed = container.identity.sign_in(email, password, address="127.0.0.1", client="bench",
                                            correlation_id="bench")
    finally:
        container.close()
    actor = signed.grant.actor(str(signed.person.id))

    def token() -> str:
        c = Container(settings)
        try:
            return issue_access_token(c.keys(), actor, session_id=signed.session.session_id,
                                      grant_id=signed.grant.grant_id)
        finally:
            c.close()

    return token


# -- the clients ----------------------------------------------------------------------------------
def _post(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> int:
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def _saturating_process(port: int, path: str, headers: dict[str, str], threads: int, start: float, stop: float,
                        results: Any) -> None:
    body = json.dumps(BODY).encode()
    counts = [[0, 0] for _ in range(threads)]

    def loop(slot: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < start:
            _post(conn, path, body, headers)  # warming up: not counted
        while time.time() < stop:
            status = _post(conn, path, body, headers)
            slot[0 if status == 201 else 1] += 1
        conn.close()

    workers = [threading.Thread(target=loop, args=(slot,)) for slot in counts]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results.put((sum(c[0] for c in counts), sum(c[1] for c in counts)))


def saturated_rate(target: Target, seconds: float, processes: int = 2, threads: int = 8,
                   warmup: float = 1.0) -> tuple[float, int]:
    """201s per second with processes × threads keep-alive connections sending as fast as answered; and errors."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    start = time.time() + 1.0 + warmup  # the client processes need a moment to start
    stop = start + seconds
    clients = [ctx.Process(target=_saturating_process,
                           args=(target.port, target.path, target.headers(), threads, start, stop, results))
               for _ in range(processes)]
    for c in clients:
        c.start()
    totals = [results.get(timeout=seconds + 120) for _ in clients]
    for c in clients:
        c.join()
    return sum(t[0] for t in totals) / seconds, sum(t[1] for t in totals)


def fixed_rate_latencies(target: Target, seconds: float, rate: float = RATE,
                         connections: int = 16) -> tuple[list[float], int]:
    """Open loop: request i is due at start + i/rate; its latency counts from then. Milliseconds, and errors."""
    body = json.dumps(BODY).encode()
    headers = target.headers()
    total = int(seconds * rate)
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    errors = [0]
    start = time.perf_counter() + 0.5

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        _post(conn, target.path, body, headers)  # the connection is open before the schedule starts
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total:
                break
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            status = _post(conn, target.path, body, headers)
            took = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(took)
                errors[0] += status != 201
        conn.close()

    workers = [threading.Thread(target=loop) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, errors[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the figures ----------------------------------------------------------------------------------
def measure(rounds: int = 3, seconds: float = 8.0, latency_seconds: float = 10.0,
            say: Say = print) -> list[Figure]:
    """Both servers up side by side; `rounds` turns of each measure, alternating which app goes first."""
    with tempfile.TemporaryDirectory(prefix="dualtrack-bench-command-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        from bench.reference_app import prepare

        school_id, dualtrack_token = prepare_dualtrack(root / "dualtrack")
        reference_school, reference_token = prepare(root / "reference.sqlite3", SECRET)
        ports = free_port(), free_port()
        dualtrack = [str(Path(sys.executable).with_name("dualtrack")), "serve"]
        reference = [sys.executable, "-m", "bench.reference_app", "--db", str(root / "reference.sqlite3"),
                     "--secret", SECRET, "--port", str(ports[1])]
        stack.enter_context(server(dualtrack, dualtrack_environment(root / "dualtrack", ports[0]), ports[0],
                                   root / "dualtrack.log"))
        stack.enter_context(server(reference, {**os.environ}, ports[1], root / "reference.log"))
        targets = [Target("dualtrack", ports[0], f"/api/v1/schools/{school_id}/students", dualtrack_token),
                   Target("reference", ports[1], f"/api/v1/schools/{reference_school}/students",
                          lambda: reference_token)]
        trials = {t.name: Trials() for t in targets}
        for r in range(rounds):
            for target in targets if r % 2 == 0 else targets[::-1]:
                rate, errors = saturated_rate(target, seconds)
                trials[target.name].rates.append(rate)
                trials[target.name].errors += errors
                latencies, errors = fixed_rate_latencies(target, latency_seconds)
                trials[target.name].p50_ms.append(percentile(latencies, 0.50))
                trials[target.name].p99_ms.append(percentile(latencies, 0.99))
                trials[target.name].errors += errors
                say(f"  round {r + 1} {target.name}: {rate:,.0f} enrolments/s saturated; at {RATE:.0f}/s "
                    f"p50 {trials[target.name].p50_ms[-1]:.1f} ms, p99 {trials[target.name].p99_ms[-1]:.1f} ms")
    return figures(trials, seconds, latency_seconds)


def figures(trials: dict[str, Trials], seconds: float, latency_seconds: float) -> list[Figure]:
    d, ref = trials["dualtrack"], trials["reference"]
    best, best_ref = max(d.rates), max(ref.rates)
    errors = f"; non-201 answers: {d.errors} dualtrack, {ref.errors} reference" if d.errors or ref.errors else ""
    saturation = Figure(
        "command path, saturated", round(best * seconds), seconds, reference_seconds=best * seconds / best_ref,
        target=SATURATION_TARGET,
        note=f"enrolment POST, best of {len(d.rates)} runs each of {seconds:.0f} s, 16 keep-alive connections, "
        f"same gunicorn settings, A/B alternated; dualtrack as deployed: a signed-in session's token, rate limits on "
        f"(generous), request log at INFO{errors}",
        trials={"dualtrack_per_second": d.rates, "reference_per_second": ref.rates},
    )
    p99, p99_ref = statistics.median(d.p99_ms), statistics.median(ref.p99_ms)
    latency = Figure(
        "command path, p99 at 100/s", int(RATE * latency_seconds), latency_seconds, p99_ms=p99,
        p99_limit_ms=P99_LIMIT_MS,
        note=f"open loop, median of {len(d.p99_ms)} runs of {latency_seconds:.0f} s: dualtrack p50 "
        f"{statistics.median(d.p50_ms):.1f} ms p99 {p99:.1f} ms; reference p50 {statistics.median(ref.p50_ms):.1f} ms "
        f"p99 {p99_ref:.1f} ms",
        trials={"dualtrack_p50_ms": d.p50_ms, "dualtrack_p99_ms": d.p99_ms, "reference_p50_ms": ref.p50_ms,
                "reference_p99_ms": ref.p99_ms},
    )
    return [saturation, latency]


if __name__ == "__main__":
    for figure in measure(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        print(figure.as_dict())

"""The freshness figure: from a command's 201 to its effect visible in a read model, through Kafka.

The real pipeline, as `dualtrack run` runs it: a real broker (bench/broker.py), and two processes of their own,
`dualtrack relay placements` and `dualtrack project progress`, on a fresh SQLite data dir. The bench enrols
students through the API in process (the Flask test client, with a coordinator's token) at a steady rate, and after
each 201 polls the progress read model's versions table (what a query's `wait_for` token waits on:
services/common/freshness.py `has_applied`) every POLL_SECONDS until the student's enrolment is there. The time
from the 201 to that moment is the sample. Target: p99 <= 100 ms.

`python -m bench --only freshness` takes this figure alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.broker import Broker, delete_topics, kafka_broker
from bench.command_path import percentile, stop
from bench.report import Figure
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from services.common.freshness import Written, has_applied
from services.common.identity import Actor, CommandContext, Role
from toolkit.http.auth import issue_token
from toolkit.http.rate_limits import Rate, RateLimits

P99_LIMIT_MS = 100.0
POLL_SECONDS = 0.001
WARM_UP_SECONDS = 120.0
SECRET = "freshness-bench-" + "0" * 32
Say = Callable[[str], None]


@contextmanager
def process(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process (as the supervisor of `dualtrack run` starts it), stopped with SIGTERM at the end."""
    with open(logs / f"{name}.log", "wb") as out:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            stop(child)


def environment(settings: Settings) -> dict[str, str]:
    return {**os.environ, "DUALTRACK_DATA_DIR": str(settings.data_dir), "DUALTRACK_SECRET_KEY": SECRET,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
            "DUALTRACK_TOPIC_PREFIX": settings.topic_prefix, "DUALTRACK_LOG_LEVEL": "WARNING"}


def measure(samples: int = 300, rate: float = 20.0, say: Say = print, broker: Broker | None = None) -> list[Figure]:
    """`samples` enrolments at `rate` a second; on the given broker, else one bench/broker.py starts or finds."""
    if broker is None:
        with kafka_broker(Settings.from_env()) as found:
            return measure(samples, rate, say, found)
    unlimited = Rate(10**9, 60)
    with tempfile.TemporaryDirectory(prefix="dualtrack-bench-freshness-") as tmp, ExitStack() as stack:
        settings = Settings(data_dir=Path(tmp) / "data", kafka_bootstrap_servers=broker.bootstrap_servers,
                            secret_key=SECRET, topic_prefix=f"bench-fresh-{uuid.uuid4().hex[:8]}.dualtrack",
                            rate_limits=RateLimits(*[unlimited] * 4))
        container = Container(settings).open()
        stack.callback(container.close)
        if not broker.owned:
            stack.callback(delete_topics, broker.bootstrap_servers,
                           [settings.topic(c) for c in ("placements", "schedules", "training", "credentials", "audit")])
        container.ensure_topics()
        admin = CommandContext(Actor("bench-admin", Role.ADMIN), correlation_id="bench")
        school = str(container.placements.register_school(admin, name="Freshness School", code="FRESH").id)
        exe, env = str(Path(sys.executable).with_name("dualtrack")), environment(settings)
        logs = Path(tmp)
        stack.enter_context(process("relay-placements", [exe, "relay", "placements"], env, logs))
        stack.enter_context(process("projector-progress", [exe, "project", "progress"], env, logs))
        client = stack.enter_context(_client(container))
        token = issue_token(container.keys(), role=Role.COORDINATOR, subject="service:freshness-bench",
                            school_id=school)
        enrol = _enroller(client, school, {"Authorization": f"Bearer {token}"})
        started = time.perf_counter()
        if _sample(container, enrol, WARM_UP_SECONDS) is None:
            raise RuntimeError(f"the pipeline did not show an enrolment within {WARM_UP_SECONDS:.0f} s; logs in "
                               f"{logs}: {(logs / 'projector-progress.log').read_text()[-2000:]}")
        say(f"  relay and projector up, first enrolment visible after {time.perf_counter() - started:.1f} s")
        times: list[float] = []
        cpu_before = _children_cpu()
        begun = time.perf_counter()
        for i in range(samples):
            pause = begun + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            seconds = _sample(container, enrol, 10.0)
            if seconds is None:
                raise RuntimeError("an enrolment was not visible in the progress read model within 10 s")
            times.append(seconds * 1000)
        wall = time.perf_counter() - begun
        idle_cpu = _idle_cpu()
        busy_cpu = _children_cpu() - cpu_before
    p50, p99 = percentile(times, 0.50), percentile(times, 0.99)
    say(f"  {samples} enrolments at {rate:.0f}/s: 201 -> visible p50 {p50:.1f} ms, p99 {p99:.1f} ms, max "
        f"{max(times):.1f} ms; relay + projector CPU {busy_cpu / wall * 100:.0f} % of a core under load, "
        f"{idle_cpu * 100:.1f} % idle")
    return [Figure(
        "freshness, 201 -> read model", samples, wall, p99_ms=p99, p99_limit_ms=P99_LIMIT_MS, p50_ms=p50,
        note=f"enrolment POST (Flask test client) -> relay-placements -> Kafka ({broker.description}) -> projector-"
        f"progress (processes, as dualtrack run starts them) -> versions row; {samples} at {rate:.0f}/s: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; relay + projector CPU {busy_cpu / wall * 100:.0f} % of a core under "
        f"this load, {idle_cpu * 100:.1f} % idle",
        trials={"freshness_ms": times},
    )]


@contextmanager
def _client(container: Container) -> Iterator[object]:
    from dualtrack.web.app import create_app

    yield create_app(container).test_client()


def _enroller(client: object, school: str, headers: dict[str, str]) -> Callable[[], Written]:
    counter = iter(range(10**9))

    def enrol() -> Written:
        n = next(counter)
        answer = client.post(  # type: ignore[attr-defined]
            f"/api/v1/schools/{school}/students", headers=headers,
            json={"name": f"Fresh Student {n}", "major": "mechatronics", "cohort": 2026,
                  "enrolment_date": "2026-09-01", "date_of_birth": "2005-01-01"})
        if answer.status_code != 201:
            raise RuntimeError(f"enrolment answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        body = answer.get_json()
        return Written("placements", str(body["id"]), int(body["version"]))

    return enrol


def _sample(container: Container, enrol: Callable[[], Written], timeout: float) -> float | None:
    """Seconds from the 201 until the progress read model has the enrolment (None: not within `timeout`)."""
    written = enrol()
    accepted = time.perf_counter()
    deadline = accepted + timeout
    while not has_applied(container.view_db, "progress", [written]):
        if time.perf_counter() > deadline:
            return None
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - accepted


def _children_cpu() -> float:
    """CPU seconds of the children still running, read from /proc (Linux), else 0."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in _child_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _child_pids() -> list[int]:
    me = os.getpid()
    try:
        return [int(p) for p in Path(f"/proc/{me}/task/{me}/children").read_text().split()]
    except OSError:
        return []


def _idle_cpu(seconds: float = 3.0) -> float:
    """The relay's and projector's CPU while nothing happens, as a share of one core."""
    before = _children_cpu()
    time.sleep(seconds)
    return (_children_cpu() - before) / seconds


if __name__ == "__main__":
    for figure in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300):
        print(figure.as_dict())

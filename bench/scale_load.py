"""The province under load: `dualtrack serve` on the province's PostgreSQL, the enrolment POST at a fixed 100 requests
a second (bench/command_path.py's open loop), and meanwhile the heaviest reads, each in a closed loop of its own:

- a student's progress, `GET /api/v1/students/{id}/progress` (the progress read model, the training record's texts);
- the coordinator's cohort dashboard, `GET /coordinator` (the page: every student of the school judged, one page
  rendered; `cohort_standings` of services/progress/cohort_queries.py);
- a centre's hours delivered over the term, `GET /api/v1/centres/{id}/hours-delivered`.

Every request carries a signed-in coordinator's session token of the first school (checked on every request).
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.command_path import (
    SECRET,
    Target,
    dualtrack_environment,
    fixed_rate_latencies,
    free_port,
    percentile,
    server,
    signed_in_coordinator,
)
from bench.scale_generate import PLANNED_END, TERM_START, Province
from dualtrack.settings import Settings

Say = Callable[[str], None]


@dataclass
class Samples:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        if not self.latencies_ms:
            return {"requests": 0, "errors": self.errors, "statuses": self.statuses}
        return {"requests": len(self.latencies_ms), "errors": self.errors, "statuses": self.statuses,
                "p50_ms": round(percentile(self.latencies_ms, 0.50), 1),
                "p99_ms": round(percentile(self.latencies_ms, 0.99), 1),
                "max_ms": round(max(self.latencies_ms), 1)}


def _reader(port: int, paths: Callable[[int], str], headers: dict[str, str], stop: threading.Event,
            samples: Samples, pause: float) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn.request("GET", paths(i), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = 0
        took = (time.perf_counter() - started) * 1000
        samples.latencies_ms.append(took)
        samples.statuses[status] = samples.statuses.get(status, 0) + 1
        samples.errors += status != 200
        i += 1
        stop.wait(pause)
    conn.close()


def query_paths(province: Province) -> dict[str, Callable[[int], str]]:
    students = province.sample_students or [str(uuid.uuid4())]
    centres = province.centre_ids
    term = f"from={TERM_START.isoformat()}&to={PLANNED_END.isoformat()}"
    return {
        "progress": lambda i: f"/api/v1/students/{students[i % len(students)]}/progress",
        "cohort dashboard": lambda i: "/coordinator",
        "centre hours": lambda i: f"/api/v1/centres/{centres[i % len(centres)]}/hours-delivered?{term}",
    }


def measure(settings: Settings, province: Province, data_dir: Path, *, seconds: float = 30.0,
            query_pause: float = 0.2, say: Say = print) -> dict[str, Any]:
    """Serve the province; the command p99 at 100/s and the queries' p50/p99 while that load runs."""
    school_id = province.school_ids[0]
    token = signed_in_coordinator(settings, school_id)
    port = free_port()
    env = {**dualtrack_environment(data_dir, port), "DUALTRACK_DATABASE_URL": settings.database_url or "",
           "DUALTRACK_TOPIC_PREFIX": settings.topic_prefix}
    if settings.kafka_bootstrap_servers:
        env["KAFKA_BOOTSTRAP_SERVERS"] = settings.kafka_bootstrap_servers
    dualtrack = [str(Path(sys.executable).with_name("dualtrack")), "serve"]
    target = Target("dualtrack", port, f"/api/v1/schools/{school_id}/students", token)
    with ExitStack() as stack:
        stack.enter_context(server(dualtrack, env, port, data_dir / "serve.log"))
        headers = {"Authorization": f"Bearer {token()}"}
        paths = query_paths(province)
        warm = {name: Samples() for name in paths}
        _warm_up(port, paths, headers, warm)
        say("    warm: " + ", ".join(f"{n} {s.summary().get('p50_ms', '-')} ms "
                                     f"(statuses {s.statuses})" for n, s in warm.items()))
        stop = threading.Event()
        samples = {name: Samples() for name in paths}
        readers = [threading.Thread(target=_reader, args=(port, path, headers, stop, samples[name], query_pause))
                   for name, path in paths.items()]
        for r in readers:
            r.start()
        try:
            latencies, errors = fixed_rate_latencies(target, seconds)
        finally:
            stop.set()
            for r in readers:
                r.join()
        idle = {name: Samples() for name in paths}
        _warm_up(port, paths, headers, idle, rounds=20)
    command = {"rate_per_s": 100, "seconds": seconds, "requests": len(latencies), "errors": errors,
               "p50_ms": round(percentile(latencies, 0.50), 1), "p99_ms": round(percentile(latencies, 0.99), 1)}
    return {"command": command, "queries": {n: s.summary() for n, s in samples.items()},
            "queries_first": {n: {"first_ms": round(s.latencies_ms[0], 1), "status": next(iter(s.statuses), 0)}
                              for n, s in warm.items() if s.latencies_ms},
            "queries_without_load": {n: s.summary() for n, s in idle.items()}}


def _warm_up(port: int, paths: dict[str, Callable[[int], str]], headers: dict[str, str],
             samples: dict[str, Samples], rounds: int = 3) -> None:
    """Each query `rounds` times one after another, on a fresh connection each, nothing else running."""
    for name, path in paths.items():
        for i in range(rounds):
            _one(port, path(i), headers, samples[name])


def _one(port: int, path: str, headers: dict[str, str], samples: Samples) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    samples.latencies_ms.append((time.perf_counter() - started) * 1000)
    samples.statuses[status] = samples.statuses.get(status, 0) + 1
    samples.errors += status != 200


__all__ = ["SECRET", "measure"]

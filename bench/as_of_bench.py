"""The as-of figure: an auditor's as-of progress question about a student with three years of records.

A student with six terms of placements and daily practice (about 3,000 events, bench/student_history.py) is made
through the applications in a fresh SQLite data dir. Then `GET /api/v1/audit/students/{id}/progress?on=DAY&
known_at=TIME` is asked for `questions` random (business day, moment) pairs over the three years, in random order,
through the app in process (the Flask test client, as the WSGI server would call it, with an auditor's token); each
request's server time counts, the first one too (it reads every event and replays them once). For comparison, the
note gives the full replay's time (services/audit/as_of.py `StudentProgressAsOf`, no kept state) for a few pairs.
Targets: p50 <= 20 ms, p99 <= 60 ms.

`python -m bench --only as-of` takes this figure alone.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.command_path import percentile
from bench.report import Figure
from bench.student_history import make_history
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from services.audit.as_of import StudentProgressAsOf
from services.audit.history import EventLog
from services.common.errors import NotFound
from services.common.identity import Role
from toolkit.http.auth import issue_token
from toolkit.http.rate_limits import Rate, RateLimits

P50_LIMIT_MS = 20.0
P99_LIMIT_MS = 60.0
Say = Callable[[str], None]


def pairs(first: datetime, last: datetime, count: int, seed: int) -> list[tuple[date, datetime]]:
    """Random business days and moments over the history, in random order."""
    rng, span = random.Random(seed), last - first
    return [((first + span * rng.random()).date(), first + span * rng.random()) for _ in range(count)]


def measure(questions: int = 400, *, terms: int = 6, weeks: int = 16, seed: int = 19,
            say: Say = print) -> list[Figure]:
    from dualtrack.web.app import create_app

    unlimited = Rate(10**9, 60)
    with tempfile.TemporaryDirectory(prefix="dualtrack-bench-as-of-") as data_dir:
        container = Container(Settings(data_dir=Path(data_dir), rate_limits=RateLimits(*[unlimited] * 4)))
        try:
            started = time.perf_counter()
            history = make_history(container, terms_count=terms, weeks=weeks)
            events = sum(app.max_position() or 0 for app in container.apps().values())
            say(f"  made a student with {terms} terms of records through the applications: {events:,} events in "
                f"{time.perf_counter() - started:.0f} s")
            client = create_app(container).test_client()
            token = issue_token(container.keys(), role=Role.AUDITOR, subject="service:as-of-bench")
            headers = {"Authorization": f"Bearer {token}"}
            url = f"/api/v1/audit/students/{history.student_id}/progress"
            asked = pairs(history.first_recorded, history.last_recorded, questions, seed)
            times: list[float] = []
            applied: list[int] = []
            for day, moment in asked:
                query = urlencode({"on": day.isoformat(), "known_at": moment.isoformat()})
                begun = time.perf_counter()
                answer = client.get(f"{url}?{query}", headers=headers)
                times.append((time.perf_counter() - begun) * 1000)
                if answer.status_code == 200:
                    applied.append(answer.get_json()["events_applied"])
                elif answer.status_code != 404:  # 404: the student was not known yet at that moment
                    raise RuntimeError(f"as-of answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
            full = full_replays(container, history.student_id, asked[:5])
        finally:
            container.close()
    p50, p99 = percentile(times, 0.50), percentile(times, 0.99)
    say(f"  {questions} questions: first {times[0]:.0f} ms, p50 {p50:.1f} ms, p99 {p99:.1f} ms; a full replay "
        f"{statistics.median(full):.0f} ms")
    return [Figure(
        "as-of, three-year student", questions, sum(times) / 1000, p99_ms=p99, p99_limit_ms=P99_LIMIT_MS,
        p50_ms=p50, p50_limit_ms=P50_LIMIT_MS,
        note=f"GET .../audit/students/{{id}}/progress?on&known_at, {events:,} events ({max(applied, default=0):,} "
        f"about the student's progress), {questions} random (day, moment) pairs in process (Flask test client), "
        f"first request included ({times[0]:.0f} ms): p50 {p50:.1f} ms, p99 {p99:.1f} ms; a full replay without "
        f"kept states: median {statistics.median(full):.0f} ms",
        trials={"request_ms": times, "full_replay_ms": full},
    )]


def full_replays(container: Container, student_id: object, asked: list[tuple[date, datetime]]) -> list[float]:
    """The same answers replayed from nothing: what every question cost before the kept states."""
    found = []
    for day, moment in asked:
        begun = time.perf_counter()
        try:
            StudentProgressAsOf(EventLog(container.apps()), str(student_id)).answer(day, moment)
        except NotFound:
            pass
        found.append((time.perf_counter() - begun) * 1000)
    return found


if __name__ == "__main__":
    for figure in measure():
        print(figure.as_dict())


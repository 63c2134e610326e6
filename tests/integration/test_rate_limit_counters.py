"""The rate limits' counters, shared by the processes of a deployment: on the SQLite file of its own under the data
directory and on PostgreSQL's UNLOGGED table, two processes counting one account's requests at once accept its one
allowance between them; a store that cannot answer lets requests through and says so in the log."""

from __future__ import annotations

import logging
import math
import multiprocessing
import sqlite3
import stat
from pathlib import Path

import pytest

from toolkit.http import rate_limits
from toolkit.http.rate_limits import FILE_NAME, TABLE, Rate, RateLimiter, RateLimits

pytestmark = pytest.mark.stored

LIMIT = 100
LIMITS = RateLimits(account=Rate(LIMIT, 3600), account_expensive=None, address=Rate(10**6, 3600),
                    address_expensive=None)


def accepted_in_a_process(data_dir: str, url: str | None, times: int, start: object) -> int:
    limiter = RateLimiter.for_deployment(LIMITS, Path(data_dir), url)
    start.wait()  # type: ignore[attr-defined]
    accepted = sum(limiter.hit("person-1", "10.0.0.1") is None for _ in range(times))
    limiter.close()
    return accepted


def test_given_two_processes_counting_one_account_at_once_then_they_accept_its_one_allowance_between_them(
        database_url: str | None, tmp_path: Path) -> None:
    RateLimiter.for_deployment(LIMITS, tmp_path, database_url).close()  # the table made before they race
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        counts = pool.starmap(accepted_in_a_process, [(str(tmp_path), database_url, 150, start)] * 2)

    assert sum(counts) == LIMIT, counts  # counters of each process's own would accept 2 x 100


def test_given_the_counters_then_they_are_kept_apart_from_the_stores_and_the_views_for_their_owner_alone(
        database_url: str | None, tmp_path: Path) -> None:
    limiter = RateLimiter.for_deployment(LIMITS, tmp_path, database_url)
    limiter.hit("person-1", "10.0.0.1")
    limiter.close()

    if database_url:
        import psycopg

        with psycopg.connect(database_url) as conn:
            persistence = conn.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", (TABLE,)).fetchone()
        assert persistence == ("u",)  # UNLOGGED: not written to the WAL, nothing to replicate or recover
        assert not (tmp_path / FILE_NAME).exists()
    else:
        assert stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite3"] == [FILE_NAME]


def test_given_the_counters_file_locked_by_another_process_when_a_request_is_counted_then_it_goes_through_and_the_log_says_so_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "_complained", [-math.inf])  # not said yet by this process
    limiter = RateLimiter.for_deployment(LIMITS, tmp_path, None)
    holder = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="dualtrack.rate_limits"):
            answers = [limiter.hit("person-1", "10.0.0.1") for _ in range(3)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        limiter.close()

    assert answers == [None, None, None]
    assert len([r for r in caplog.records if "requests go through uncounted" in r.getMessage()]) == 1

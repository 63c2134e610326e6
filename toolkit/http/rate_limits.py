"""Rate limits: requests per account and per network address, shared by every worker of a deployment.

Each request counts once against its address and, when it is signed in, once against its account (the person, or a
service token's subject); a route declared expensive (toolkit/http/rate_limited_routes.py) counts against a second,
stricter pair of limits too. A limit is a count in a window ("600/minute"). The count is a sliding-window estimate:
the hits of the current fixed window plus those of the window before, weighted by how much of it still lies within
the last `span` seconds; so an account cannot spend its allowance at the end of one window and again at the start
of the next.

The counters live where every worker of the deployment sees them, apart from the stores and the read models so that
counting never waits on a projector's write: a small SQLite file of its own (`<data_dir>/rate-limits.sqlite3`, WAL,
synchronous=OFF: a crash may forget the last counts, which costs nothing) for the embedded deployment, an UNLOGGED
table in the deployment's PostgreSQL database otherwise. A request costs one statement: an upsert of every key it
counts against that RETURNs the counts, so two workers never both see the same count. A store that cannot answer
(busy, gone) lets the request through and says so in the log, at most once a minute: the limits protect the
service and never stop it.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("dualtrack.rate_limits")

TABLE = "rate_limit_hits"
FILE_NAME = "rate-limits.sqlite3"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
OFF = ("off", "none", "no", "false", "0")
BUSY_TIMEOUT_SECONDS = 0.2
"""How long a request waits for the counters' SQLite file when another holds its write lock, before it goes
through uncounted (the file's writes take microseconds: only a stuck process makes one wait this long)."""
FORGET_EVERY = 2000
"""About one request in this many also deletes counters no window still needs."""


@dataclass(frozen=True)
class Rate:
    """At most `count` requests in `span` seconds."""

    count: int
    span: int

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """"600/minute", "10/second", "2000/hour", "20000/day" (also "600/min", "10/s", "600 per minute"); "off":
        None. ValueError, saying how to write one, for anything else."""
        written = " ".join(text.strip().lower().replace(" per ", "/").split())
        if written in OFF:
            return None
        count, _, unit = written.partition("/")
        unit = unit.strip()
        unit = (unit.removesuffix("s") if len(unit) > 1 else unit) or "?"
        span = next((seconds for name, seconds in UNITS.items() if name.startswith(unit)), None)
        if not count.strip().isdigit() or int(count) < 1 or span is None:
            raise ValueError(f"{text!r} is not a rate: write a count of requests and a unit, e.g. 600/minute, "
                             "10/second, 2000/hour, 20000/day, or off")
        return cls(int(count), span)

    def __str__(self) -> str:
        unit = next(name for name, seconds in UNITS.items() if seconds == self.span)
        return f"{self.count}/{unit}"


@dataclass(frozen=True)
class RateLimits:
    """The deployment's four limits (None: that one is off). The defaults are far above what a school's people do by
    hand (a coordinator clicking through a class of 30, a teacher's browser loading a page: its files are not
    counted) and well below what a script flooding the service sends."""

    account: Rate | None = Rate(600, 60)
    """Every route, per account."""
    account_expensive: Rate | None = Rate(30, 60)
    """The expensive routes, per account, counted besides `account`."""
    address: Rate | None = Rate(6000, 60)
    """Every route, per network address (many people may share one: a school's network)."""
    address_expensive: Rate | None = Rate(300, 60)
    """The expensive routes, per network address."""

    @classmethod
    def off(cls) -> RateLimits:
        return cls(None, None, None, None)

    @property
    def enabled(self) -> bool:
        return any((self.account, self.account_expensive, self.address, self.address_expensive))


@dataclass(frozen=True)
class Refusal:
    """A request over a limit: which one (`scope`: "account" or "address"), and when to try again."""

    scope: str
    rate: Rate
    retry_after: int


class HitStore(Protocol):
    def hit(self, rows: Sequence[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
        """Count one hit on each (key, window start, span, cap); returns (key, hits, previous window's hits,
        window start) of each, after counting."""
        ...

    def close(self) -> None: ...


@functools.cache
def _upsert(count: int, placeholder: str) -> str:
    """One statement for both engines: each key's row holds its current window (start, hits) and the hits of the
    window before. A hit in the row's window adds one, up to `cap` (one past the limit: every hit beyond is refused
    anyway); a hit in the next window moves the hits to the previous ones, the refused one left out (a flood weighs
    on the next window as much as using the whole allowance, no more); a later one starts afresh. A hit that read
    the clock just before another worker moved the window on counts in the newer window."""
    values = ", ".join([f"({placeholder}, {placeholder}, {placeholder}, {placeholder}, 1, 0)"] * count)
    same = f"{TABLE}.window_start >= excluded.window_start"
    return (f"INSERT INTO {TABLE} (key, window_start, span, cap, hits, prev_hits) VALUES {values} "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"hits = CASE WHEN {same} THEN CASE WHEN {TABLE}.hits < excluded.cap THEN {TABLE}.hits + 1 "
            f"ELSE excluded.cap END ELSE 1 END, "
            f"prev_hits = CASE WHEN {same} THEN {TABLE}.prev_hits "
            f"WHEN {TABLE}.window_start = excluded.window_start - excluded.span THEN "
            f"CASE WHEN {TABLE}.hits < excluded.cap THEN {TABLE}.hits ELSE excluded.cap - 1 END ELSE 0 END, "
            f"window_start = CASE WHEN {same} THEN {TABLE}.window_start ELSE excluded.window_start END, "
            f"span = excluded.span, cap = excluded.cap "
            # one column: Python's sqlite3 (3.11) lets go of its lock for each column of each row it reads
            f"RETURNING key || ' ' || hits || ' ' || prev_hits || ' ' || window_start")


def _counted(returned: str) -> tuple[str, int, int, int]:
    """(key, hits, previous window's hits, window start) of a row the upsert returned (a key may hold spaces)."""
    key, hits, previous, start = returned.rsplit(" ", 3)
    return key, int(hits), int(previous), int(start)


_COLUMNS = ("key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, span INTEGER NOT NULL, cap INTEGER NOT NULL, "
            "hits INTEGER NOT NULL, prev_hits INTEGER NOT NULL")


class SQLiteHits:
    """The counters in their own SQLite file (mode 0600), one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite gives its -wal and -shm files this mode
        self._local = threading.local()
        self._connection().execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({_COLUMNS})")
        self.close()  # the thread that made the table (a server's main thread) may never count a request

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            self._local.conn = conn
        return conn

    def hit(self, rows: Sequence[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
        conn = self._connection()
        if random.randrange(FORGET_EVERY) == 0:
            conn.execute(f"DELETE FROM {TABLE} WHERE window_start + 2 * span < ?", (int(time.time()),))
        return [_counted(r[0]) for r in conn.execute(_upsert(len(rows), "?"), [v for row in rows for v in row])]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresHits:
    """The counters in an UNLOGGED table of the deployment's PostgreSQL database (not written to the WAL: nothing to
    replicate or recover), one autocommitting connection per thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._connection().execute(f"CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} ({_COLUMNS})")
        self.close()  # the thread that made the table (a server's main thread) may never count a request

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            self._local.conn = conn
        return conn

    def hit(self, rows: Sequence[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
        conn = self._connection()
        try:
            if random.randrange(FORGET_EVERY) == 0:
                conn.execute(f"DELETE FROM {TABLE} WHERE window_start + 2 * span < %s", (int(time.time()),))
            return [_counted(r[0]) for r in conn.execute(_upsert(len(rows), "%s"), [v for row in rows for v in row])]
        except Exception:
            self.close()  # a broken connection is made again by the next request of this thread
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            try:
                conn.close()
            finally:
                self._local.conn = None


_complained = [-math.inf]


def fail_open(error: Exception) -> None:
    """The counters could not be reached: the request goes on uncounted, and the log says so once a minute."""
    now = time.monotonic()
    if now - _complained[0] >= 60:
        _complained[0] = now
        log.warning("the rate limits' counters cannot be reached (%s: %s): requests go through uncounted until they "
                    "can (said once a minute)", type(error).__name__, error)


def address_key(address: str) -> str:
    """The address a limit counts: an IPv4 address, or the /64 network of an IPv6 one (what one subscriber gets)."""
    if ":" not in address:
        return address
    import ipaddress

    try:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        return address


class RateLimiter:
    """Counts each request against its limits and says whether it goes on (None) or is refused (a Refusal)."""

    def __init__(self, limits: RateLimits, store: HitStore | None, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.store = store
        self.clock = clock

    @classmethod
    def for_deployment(cls, limits: RateLimits, data_dir: Path, postgres_url: str | None) -> RateLimiter:
        """The counters of a deployment: its PostgreSQL database, else a file under its data directory."""
        if not limits.enabled:
            return cls(limits, None)
        return cls(limits, PostgresHits(postgres_url) if postgres_url else SQLiteHits(data_dir / FILE_NAME))

    def hit(self, account: str | None, address: str, *, expensive: bool = False) -> Refusal | None:
        """Count one request of `account` (None: not signed in) from `address`; the refusal with the longest wait
        when any of its limits is exceeded."""
        if self.store is None:
            return None
        limits = self.limits
        counted: list[tuple[str, str, Rate | None]] = [("address", f"address:{address_key(address)}", limits.address)]
        if expensive:
            counted.append(("address", f"address-expensive:{address_key(address)}", limits.address_expensive))
        if account is not None:
            counted.append(("account", f"account:{account}", limits.account))
            if expensive:
                counted.append(("account", f"account-expensive:{account}", limits.account_expensive))
        rates = {key: (scope, rate) for scope, key, rate in counted if rate is not None}
        if not rates:
            return None
        now = self.clock()
        rows = sorted((key, int(now) - int(now) % rate.span, rate.span, rate.count + 1)
                      for key, (_, rate) in rates.items())  # one order of keys: no two upserts wait on each other
        try:
            answers = self.store.hit(rows)
        except Exception as error:
            fail_open(error)
            return None
        refusals = [_refusal(rates[key][0], rates[key][1], hits, previous, now - start)
                    for key, hits, previous, start in answers]
        return max((r for r in refusals if r is not None), key=lambda r: r.retry_after, default=None)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _refusal(scope: str, rate: Rate, hits: int, previous: int, elapsed: float) -> Refusal | None:
    """Refused when the sliding estimate (this window's hits, this one included, and the part of the previous
    window's that still lies within the last `span` seconds) is over the limit; with the seconds until the next
    request would not be."""
    limit, span = rate.count, rate.span
    elapsed = min(max(elapsed, 0.0), float(span))
    if previous * (1 - elapsed / span) + hits <= limit:
        return None
    if hits < limit:  # the previous window's share must fade: wait until enough of it lies behind
        wait = span * (1 - (limit - hits - 1) / previous) - elapsed
    else:  # this window is spent: wait for the next, and in it until this one's share has faded enough
        wait = (span - elapsed) + max(0.0, span * (1 - (limit - 1) / limit))
    return Refusal(scope, rate, max(1, math.ceil(wait)))

"""Where a relay is in its context's notification log, and the events it parked, kept in the event store's own
database, and the lock that keeps a second relay of the same context from running at the same time.

A parked event is one Kafka refused for good (too large, invalid, not encodable) or one held behind such an event
of the same aggregate: the relay records it here instead of publishing it, and goes on with the others."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from dualtrack.messaging.locks import AdvisoryLock, AlreadyRunning, FileLock

RelayAlreadyRunning = AlreadyRunning


@dataclass(frozen=True)
class ParkedEvent:
    """A stored event the relay did not publish, and why."""

    position: int
    aggregate_id: str
    aggregate_version: int
    event_type: str
    cause: str
    held_behind: int | None = None
    """The position of the parked event of the same aggregate this one waits behind; None: refused itself."""
    parked_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RelayPositions(Protocol):
    def get(self) -> int: ...
    def set(self, position: int) -> None: ...
    def parked(self) -> list[ParkedEvent]: ...
    def park(self, event: ParkedEvent) -> None: ...
    def release(self, position: int) -> None: ...
    def close(self) -> None: ...


_DDL = "CREATE TABLE IF NOT EXISTS dualtrack_relay_positions (context TEXT PRIMARY KEY, position BIGINT NOT NULL)"
_UPSERT = (
    "INSERT INTO dualtrack_relay_positions (context, position) VALUES ({p}, {p}) "
    "ON CONFLICT (context) DO UPDATE SET position = excluded.position"
)
_PARKED_DDL = (
    "CREATE TABLE IF NOT EXISTS dualtrack_relay_parked (context TEXT NOT NULL, position BIGINT NOT NULL, "
    "aggregate_id TEXT NOT NULL, aggregate_version BIGINT NOT NULL, event_type TEXT NOT NULL, cause TEXT NOT NULL, "
    "held_behind BIGINT, parked_at TEXT NOT NULL, PRIMARY KEY (context, position))"
)
_PARK = (
    "INSERT INTO dualtrack_relay_parked (context, position, aggregate_id, aggregate_version, event_type, cause, "
    "held_behind, parked_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (context, position) "
    "DO UPDATE SET cause = excluded.cause, held_behind = excluded.held_behind"
)
"""Parked again (a retry refused, or an event now held behind another one): the cause is the latest one."""
_PARKED_COLUMNS = "position, aggregate_id, aggregate_version, event_type, cause, held_behind, parked_at"
_SELECT_PARKED = f"SELECT {_PARKED_COLUMNS} FROM dualtrack_relay_parked WHERE context = {{p}} ORDER BY position"
_RELEASE = "DELETE FROM dualtrack_relay_parked WHERE context = {p} AND position = {p}"


_SELECT = "SELECT position FROM dualtrack_relay_positions WHERE context = {p}"
_COUNT_PARKED = "SELECT count(*) FROM dualtrack_relay_parked WHERE context = {p}"
_FIRST_PARKED = _SELECT_PARKED + " LIMIT {n}"


@dataclass(frozen=True)
class RelayState:
    """How far a relay has published, and what it parked (the first few of them, and how many)."""

    published: int
    parked_count: int = 0
    parked: tuple[ParkedEvent, ...] = ()


def _parked_of(rows: list[Any]) -> list[ParkedEvent]:
    return [ParkedEvent(int(r[0]), r[1], int(r[2]), r[3], r[4], None if r[5] is None else int(r[5]), r[6])
            for r in rows]


def relay_state(store: str, context: str, *, listed: int = 10) -> RelayState:
    """Read, without taking the relay's lock, how far the relay of `context` has published (0: not yet) and what it
    parked (the first `listed` parked events, and their count).

    `store` is the context's SQLite file or the PostgreSQL URL of the stores."""
    return relay_states({context: store}, listed=listed)[context]


def relay_states(stores: Mapping[str, str], *, listed: int = 10) -> dict[str, RelayState]:
    """`relay_state` of several contexts (context -> its store), one connection per database."""
    by_store: dict[str, list[str]] = {}
    for context, store in stores.items():
        by_store.setdefault(store, []).append(context)
    states: dict[str, RelayState] = {}
    for store, contexts in by_store.items():
        postgres = store.startswith(("postgres://", "postgresql://"))
        if postgres:
            import psycopg

            with psycopg.connect(store, autocommit=True) as pg:
                states.update({c: _read_state(pg, "%s", c, listed) for c in contexts})
        else:
            conn = sqlite3.connect(store)
            try:
                states.update({c: _read_state(conn, "?", c, listed) for c in contexts})
            finally:
                conn.close()
    return states


def _read_state(conn: Any, p: str, context: str, listed: int) -> RelayState:
    row = _tolerant(lambda: conn.execute(_SELECT.format(p=p), (context,)).fetchone())
    count = _tolerant(lambda: conn.execute(_COUNT_PARKED.format(p=p), (context,)).fetchone())
    parked_count = int(count[0]) if count else 0
    first = conn.execute(_FIRST_PARKED.format(p=p, n=int(listed)), (context,)).fetchall() if parked_count else []
    return RelayState(int(row[0]) if row else 0, parked_count, tuple(_parked_of(first)))


def _tolerant(query: Callable[[], Any]) -> Any:
    """A relay that never ran has no tables yet: that reads as nothing published, nothing parked."""
    try:
        return query()
    except Exception as error:
        if "dualtrack_relay_" not in str(error):
            raise
        return None


def published_position(store: str, context: str) -> int:
    """Read, without taking the relay's lock, how far the relay of `context` has published (0: not yet).

    `store` is the context's SQLite file or the PostgreSQL URL of the stores."""
    return relay_state(store, context, listed=0).published


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLiteRelayPositions:
    """Position row in the context's SQLite store file; an exclusive file lock beside it."""

    def __init__(self, db_path: Path, context: str) -> None:
        self.context = context
        self._lock = FileLock(f"{db_path}.relay.lock", f"a relay for {context}")
        self._conn = sqlite3.connect(str(db_path), timeout=30, isolation_level=None)
        self._conn.execute(_DDL)
        self._conn.execute(_PARKED_DDL)

    def get(self) -> int:
        row = self._conn.execute(_SELECT.format(p="?"), (self.context,)).fetchone()
        return int(row[0]) if row else 0

    def set(self, position: int) -> None:
        self._conn.execute(_UPSERT.format(p="?"), (self.context, position))

    def parked(self) -> list[ParkedEvent]:
        return _parked_of(self._conn.execute(_SELECT_PARKED.format(p="?"), (self.context,)).fetchall())

    def park(self, event: ParkedEvent) -> None:
        self._conn.execute(_PARK.format(p="?"), _park_row(self.context, event))

    def release(self, position: int) -> None:
        self._conn.execute(_RELEASE.format(p="?"), (self.context, position))

    def close(self) -> None:
        self._conn.close()
        self._lock.release()


class PostgresRelayPositions:
    """Position row in the store's PostgreSQL database; a session advisory lock per context."""

    def __init__(self, url: str, context: str) -> None:
        self.context = context
        self._lock = AdvisoryLock(url, f"dualtrack-relay:{context}", f"a relay for {context}")
        self._conn: Any = self._lock.connection  # the lock lives as long as this connection
        self._conn.execute(_DDL)
        self._conn.execute(_PARKED_DDL)

    def get(self) -> int:
        row = self._conn.execute(_SELECT.format(p="%s"), (self.context,)).fetchone()
        return int(row[0]) if row else 0

    def set(self, position: int) -> None:
        self._conn.execute(_UPSERT.format(p="%s"), (self.context, position))

    def parked(self) -> list[ParkedEvent]:
        return _parked_of(self._conn.execute(_SELECT_PARKED.format(p="%s"), (self.context,)).fetchall())

    def park(self, event: ParkedEvent) -> None:
        self._conn.execute(_PARK.format(p="%s"), _park_row(self.context, event))

    def release(self, position: int) -> None:
        self._conn.execute(_RELEASE.format(p="%s"), (self.context, position))

    def close(self) -> None:
        self._conn.close()


def _park_row(context: str, event: ParkedEvent) -> tuple[Any, ...]:
    return (context, event.position, event.aggregate_id, event.aggregate_version, event.event_type, event.cause,
            event.held_behind, event.parked_at or _now())

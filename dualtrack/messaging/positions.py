"""Where a relay is in its context's notification log, kept in the event store's own database,
and the lock that keeps a second relay of the same context from running at the same time."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Protocol

from dualtrack.messaging.locks import AdvisoryLock, AlreadyRunning, FileLock

RelayAlreadyRunning = AlreadyRunning


class RelayPositions(Protocol):
    def get(self) -> int: ...
    def set(self, position: int) -> None: ...
    def close(self) -> None: ...


_DDL = "CREATE TABLE IF NOT EXISTS dualtrack_relay_positions (context TEXT PRIMARY KEY, position BIGINT NOT NULL)"
_UPSERT = (
    "INSERT INTO dualtrack_relay_positions (context, position) VALUES ({p}, {p}) "
    "ON CONFLICT (context) DO UPDATE SET position = excluded.position"
)


_SELECT = "SELECT position FROM dualtrack_relay_positions WHERE context = {p}"


def published_position(store: str, context: str) -> int:
    """Read, without taking the relay's lock, how far the relay of `context` has published (0: not yet).

    `store` is the context's SQLite file or the PostgreSQL URL of the stores."""
    try:
        if store.startswith(("postgres://", "postgresql://")):
            import psycopg

            with psycopg.connect(store) as pg:
                row = pg.execute(_SELECT.format(p="%s"), (context,)).fetchone()
        else:
            conn = sqlite3.connect(store)
            try:
                row = conn.execute(_SELECT.format(p="?"), (context,)).fetchone()
            finally:
                conn.close()
    except Exception as error:
        if "dualtrack_relay_positions" not in str(error):
            raise
        return 0
    return int(row[0]) if row else 0


class SQLiteRelayPositions:
    """Position row in the context's SQLite store file; an exclusive file lock beside it."""

    def __init__(self, db_path: Path, context: str) -> None:
        self.context = context
        self._lock = FileLock(f"{db_path}.relay.lock", f"a relay for {context}")
        self._conn = sqlite3.connect(str(db_path), timeout=30, isolation_level=None)
        self._conn.execute(_DDL)

    def get(self) -> int:
        row = self._conn.execute(_SELECT.format(p="?"), (self.context,)).fetchone()
        return int(row[0]) if row else 0

    def set(self, position: int) -> None:
        self._conn.execute(_UPSERT.format(p="?"), (self.context, position))

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

    def get(self) -> int:
        row = self._conn.execute(_SELECT.format(p="%s"), (self.context,)).fetchone()
        return int(row[0]) if row else 0

    def set(self, position: int) -> None:
        self._conn.execute(_UPSERT.format(p="%s"), (self.context, position))

    def close(self) -> None:
        self._conn.close()

"""The database that read models (views) live in: SQLite by default, PostgreSQL in production.

Projections write plain SQL with `?` placeholders and upserts that both engines understand. A
projection's tables are named through `Tx.table()`, so the same code can fill the live tables or a
set of tables aside (a rebuild) that is later swapped in atomically.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

REBUILD_SUFFIX = "__rebuild"
_MAX_OFFSET = 2**62  # beyond what any engine stores in a row count; a page past it is simply empty


def page_window(page: int, page_size: int) -> tuple[int, int]:
    """LIMIT and OFFSET for a 1-based page; absurd page numbers give an empty page, not an overflow."""
    offset = (page - 1) * page_size
    return (page_size, offset) if offset < _MAX_OFFSET else (0, 0)


class Tx:
    """One transaction on the view database, with the table-name suffix of the tables it targets."""

    def __init__(self, cursor: Any, paramstyle_format: bool, suffix: str = "") -> None:
        self._cursor = cursor
        self._format = paramstyle_format
        self.suffix = suffix

    def table(self, name: str) -> str:
        return name + self.suffix

    @property
    def locks_rows(self) -> bool:
        """PostgreSQL takes row locks (SELECT ... FOR UPDATE); SQLite's writer lock already serialises."""
        return self._format

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._format else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self._cursor.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (0 when the engine cannot tell)."""
        return max(int(self._cursor.rowcount or 0), 0)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._cursor.fetchall()]

    def with_suffix(self, suffix: str) -> Tx:
        return Tx(self._cursor, self._format, suffix)


class ViewDatabase:
    """Opens transactions on SQLite or PostgreSQL; `url` is a file path or a postgresql:// URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgres://", "postgresql://"))
        self._local = threading.local()
        if not self.is_postgres:
            Path(url).parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.is_postgres:
                import psycopg

                conn = psycopg.connect(self.url)
            else:
                conn = sqlite3.connect(self.url, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, suffix: str = "", *, snapshot: bool = False, pipelined: bool = False) -> Iterator[Tx]:
        """One transaction; `snapshot`: every statement reads the same committed state (PostgreSQL's repeatable
        read; SQLite's one writer lock gives that already). `pipelined` (PostgreSQL): statements are sent without
        waiting for each answer (psycopg's pipeline mode), until one reads rows: a statement's failure may then be
        reported at a later one, and `Tx.rowcount` is not known until then."""
        conn = self._connection()
        if self.is_postgres:
            with conn.transaction(), (conn.pipeline() if pipelined else nullcontext()), conn.cursor() as cursor:
                if snapshot:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield Tx(cursor, True, suffix)
        else:
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(cursor, False, suffix)
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
            finally:
                cursor.close()

    def scrub(self, table: str) -> None:
        """Make what was just deleted or overwritten in `table` leave the files: SQLite's write-ahead log is
        checkpointed and truncated (deleted content is zeroed where the connection has secure_delete on);
        PostgreSQL's table is vacuumed, so its dead rows go."""
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as server:
                server.execute(f"VACUUM {table}")
        else:
            file = sqlite3.connect(self.url, timeout=30)
            try:
                file.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                file.close()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

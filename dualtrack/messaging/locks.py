"""One process at a time: a relay per context, a server projecting from the stores (`serve --embedded`), an audit
replay, one creating the schema. (Projectors from Kafka need no lock: they share a projection's partitions through a
consumer group, fenced by epochs in the view database, dualtrack/messaging/partitions.py.)

On SQLite the lock is an exclusive `flock` on a file beside the database; on PostgreSQL a session
advisory lock on a connection kept open. Either is released when the holder closes it or dies.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class AlreadyRunning(RuntimeError):
    """Another process holds the lock."""


class FileLock:
    """An exclusive, non-blocking flock on a file."""

    def __init__(self, path: str, what: str) -> None:
        self._file = open(path, "w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise AlreadyRunning(f"{what} is already running (lock {path})") from None

    def release(self) -> None:
        self._file.close()


class AdvisoryLock:
    """A PostgreSQL session advisory lock, held on its own connection (which callers may reuse)."""

    def __init__(self, url: str, name: str, what: str) -> None:
        import psycopg

        self.connection: Any = psycopg.connect(url, autocommit=True)
        self._key = key = zlib.crc32(name.encode())
        row = self.connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if row is None or not row[0]:
            self.connection.close()
            raise AlreadyRunning(f"{what} is already running (advisory lock {key})")

    def release(self) -> None:
        """Unlock before closing: the server ends a closed session a moment later, and a successor starting in
        that moment would find the lock still held."""
        try:
            self.connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except Exception:  # the connection is gone already: the server released the lock with the session
            pass
        finally:
            self.connection.close()


def exclusive(database: str, name: str, what: str) -> FileLock | AdvisoryLock:
    """Take the lock `name` for the database at `database` (a postgresql:// URL or a SQLite file path)."""
    if database.startswith(("postgres://", "postgresql://")):
        return AdvisoryLock(database, f"dualtrack:{name}", what)
    return FileLock(f"{database}.{name}.lock", what)


@contextmanager
def schema_lock(database: str) -> Iterator[None]:
    """Wait for, then hold, the lock under which a process creates its tables: processes starting together create
    the schema one after another (two PostgreSQL sessions running the same CREATE TABLE at once fail with "tuple
    concurrently updated"). `database` is a postgresql:// URL or a path beside the SQLite files."""
    if database.startswith(("postgres://", "postgresql://")):
        import psycopg

        key = zlib.crc32(b"dualtrack:schema")
        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
        return
    with open(f"{database}.lock", "w") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        yield

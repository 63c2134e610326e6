"""The event stores on SQLite: eventsourcing's own SQLite persistence, with two changes for a server that answers
many short commands from several threads at once.

- **Each connection keeps the statements it prepared.** eventsourcing opens its connections with
  `cached_statements=True`, which sqlite3 reads as a cache of one statement: every statement after another one was
  parsed again, and parsing lets go of Python's lock, which another thread then takes and has to hand back.
- **A read, or the write of one event, is its one statement.** An autocommitting SQLite connection runs each
  statement in a transaction of its own, so the BEGIN and the ROLLBACK or COMMIT eventsourcing sends around it are
  two more calls, each letting go of Python's lock, that add nothing. Every read eventsourcing makes on SQLite is
  one statement (an aggregate's events, a page of notifications, the highest notification or tracking id); the
  write of several events keeps its transaction.
- **A thread reads through a connection of its own.** The pool lends a connection under a semaphore and locks,
  which took longer than the read on it. A file database's readers wait for no writer, so each thread that reads
  keeps one connection for its reads (closed with the store, or when the thread ends); writes still borrow the
  pool's, one writer of the process at a time.

`PERSISTENCE_MODULE` names `SQLiteStoreFactory` (`dualtrack/bootstrap.py`); everything else is eventsourcing's.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import _GeneratorContextManager, contextmanager, nullcontext
from typing import Any

from eventsourcing import persistence
from eventsourcing.persistence import ConnectionPoolClosedError, StoredEvent
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

STATEMENTS_KEPT = 64
"""Prepared statements a connection keeps: more than the event stores, snapshots and tracking tables use."""

_TRANSLATED: tuple[tuple[type[sqlite3.Error], type[Exception]], ...] = (
    (sqlite3.InterfaceError, persistence.InterfaceError),
    (sqlite3.DataError, persistence.DataError),
    (sqlite3.OperationalError, persistence.OperationalError),
    (sqlite3.IntegrityError, persistence.IntegrityError),
    (sqlite3.InternalError, persistence.InternalError),
    (sqlite3.ProgrammingError, persistence.ProgrammingError),
    (sqlite3.NotSupportedError, persistence.NotSupportedError),
    (sqlite3.DatabaseError, persistence.DatabaseError),
    (sqlite3.Error, persistence.PersistenceError),
)
"""sqlite3's errors as eventsourcing names them (what its own transactions raise), the most particular first."""


class StatementKeepingPool(SQLiteConnectionPool):
    """eventsourcing's pool of SQLite connections, each keeping `STATEMENTS_KEPT` prepared statements."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            connection = sqlite3.connect(self.db_name, uri=True, check_same_thread=False, isolation_level=None,
                                         cached_statements=STATEMENTS_KEPT,
                                         timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT)
        except (sqlite3.Error, TypeError) as error:
            raise persistence.InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            connection.execute("PRAGMA journal_mode=WAL")
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


class SQLiteStore(SQLiteDatastore):
    """eventsourcing's SQLite datastore on a `StatementKeepingPool`, whose reads send their one statement alone."""

    def __init__(self, db_name: str, **options: Any) -> None:
        super().__init__(db_name, **options)
        unused = self.pool  # made by eventsourcing, never connected
        self.pool = StatementKeepingPool(
            db_name=db_name, lock_timeout=unused.lock_timeout, pool_size=unused.pool_size,
            max_overflow=unused.max_overflow, pool_timeout=unused.pool_timeout, max_age=unused.max_age,
            pre_ping=unused.pre_ping,
        )
        unused.close()
        self._readers = threading.local()
        self._reading: weakref.WeakSet[SQLiteConnection] = weakref.WeakSet()
        self._closed = False

    def _reader(self) -> SQLiteConnection:
        """This thread's connection for reads (made at its first)."""
        connection: SQLiteConnection | None = getattr(self._readers, "connection", None)
        if connection is None:
            if self._closed:
                raise ConnectionPoolClosedError
            connection = self._readers.connection = self.pool._create_connection()
            self._reading.add(connection)
        return connection

    def close(self) -> None:
        self._closed = True
        for connection in list(getattr(self, "_reading", ())):  # also when __init__ failed (__del__ closes)
            connection.close()
        super().close()

    def transaction(self, *, commit: bool) -> _GeneratorContextManager[SQLiteCursor]:
        return super().transaction(commit=True) if commit else self.one_statement(commit=False)

    @contextmanager
    def one_statement(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        """A cursor for one statement, which SQLite runs in a transaction of its own: a writer's connection when
        `commit` (the pool lends it to one thread at a time, as for a transaction), else this thread's reader's (a
        database in memory: the pool's, which keeps its readers and writer apart)."""
        pooled = commit or self.pool.is_sqlite_memory_mode
        with self.get_connection(commit=commit) if pooled else nullcontext(self._reader()) as connection:
            cursor = connection.cursor()
            try:
                yield cursor
            except sqlite3.Error as error:
                raise next(ours for theirs, ours in _TRANSLATED if isinstance(error, theirs))(error) from error
            finally:
                cursor.sqlite_cursor.close()


class SQLiteEventRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder; one event is written by its INSERT alone."""

    datastore: SQLiteStore

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if len(stored_events) != 1:
            return super().insert_events(stored_events, **kwargs)
        with self.datastore.one_statement(commit=True) as cursor:
            return self._insert_events(cursor, stored_events, **kwargs)


class SQLiteStoreFactory(SQLiteFactory):
    """eventsourcing's SQLite factory building `SQLiteStore`s and `SQLiteEventRecorder`s."""

    application_recorder_class = SQLiteEventRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        unused = self.datastore
        self.datastore = SQLiteStore(unused.pool.db_name, lock_timeout=unused.pool.lock_timeout,
                                     single_row_tracking=unused.single_row_tracking,
                                     originator_id_type=unused.originator_id_type)
        unused.close()

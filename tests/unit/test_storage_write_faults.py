"""Which errors say a database cannot be written now (retried by relays and projectors with a growing pause) and
which are faults of the code (never retried: a poison message or a crash names them)."""

from __future__ import annotations

import errno
import sqlite3

import psycopg.errors
import pytest
from eventsourcing.persistence import OperationalError as StoreOperationalError

from dualtrack.messaging.projector import storage_write_fault

pytestmark = pytest.mark.unit


def raised_from(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("error, words", [
    (sqlite3.OperationalError("database or disk is full"), "full"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "cannot be written"),
    (sqlite3.OperationalError("disk I/O error"), "unavailable"),
    (raised_from(StoreOperationalError("database or disk is full"), sqlite3.OperationalError("database or disk is full")),
     "full"),
    (psycopg.errors.DiskFull("could not extend file: No space left on device"), "full"),
    (psycopg.OperationalError("connection is lost"), "unavailable"),
    (OSError(errno.EROFS, "Read-only file system", "/data/views.sqlite3.lock"), "cannot be written"),
    (OSError(errno.ENOSPC, "No space left on device", "/data/views.sqlite3"), "cannot be written"),
])
def test_given_a_database_that_cannot_be_written_then_the_error_is_a_storage_fault_in_words(
    error: Exception, words: str,
) -> None:
    cause = storage_write_fault(error)
    assert cause is not None and words in cause


@pytest.mark.parametrize("error", [
    sqlite3.OperationalError("no such table: progress_students"),
    sqlite3.OperationalError('near "SELEC": syntax error'),
    raised_from(StoreOperationalError("no such column: x"), sqlite3.OperationalError("no such column: x")),
    psycopg.errors.UndefinedTable('relation "progress_students" does not exist'),
    ValueError("not a date"),
    OSError(errno.ENOENT, "No such file or directory", "/nowhere"),
])
def test_given_a_fault_of_the_code_then_it_is_not_a_storage_fault(error: Exception) -> None:
    assert storage_write_fault(error) is None

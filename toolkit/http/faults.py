"""Faults of the storage under a request (a full disk, a read-only data directory, a database that went away):
answered 503 naming the cause instead of a bare 500, and remembered for a moment so /readyz says not-ready.

The stores are reached through eventsourcing (which wraps the drivers' errors in its own persistence errors) and
through the view database (sqlite3 or psycopg directly); an operational error from any of them is a fault of the
storage, not of the request. Programming errors stay 500s.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass

from eventsourcing.persistence import OperationalError as StoreOperationalError

REMEMBERED_SECONDS = 30.0
"""How long after a storage fault /readyz still says not-ready (a later fault starts the time again)."""
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class StorageFault:
    cause: str
    at: float


class _LastFault:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: StorageFault | None = None

    def record(self, cause: str) -> None:
        with self._lock:
            self._fault = StorageFault(cause, time.monotonic())

    def forget(self) -> None:
        with self._lock:
            self._fault = None

    def recent(self) -> StorageFault | None:
        with self._lock:
            fault = self._fault
        if fault is None or time.monotonic() - fault.at > REMEMBERED_SECONDS:
            return None
        return fault


LAST_FAULT = _LastFault()
"""The last storage fault this process met."""


def storage_fault_of(error: BaseException) -> str | None:
    """The cause, in words, when the error (or one it was raised from) is a fault of the storage; else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (sqlite3.OperationalError, StoreOperationalError)) or _is_psycopg_operational(current):
            return _in_words(current)
        current = current.__cause__ or current.__context__
    return None


def _is_psycopg_operational(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(error, psycopg.OperationalError)


def _in_words(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    lowered = text.lower()
    if "full" in lowered or "no space" in lowered or "could not extend" in lowered:
        return f"the storage is full ({text})"
    if "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        return f"the storage cannot be written ({text})"
    return f"the storage is unavailable ({text})"

"""The projector: events -> a projection's tables, with the consumed offsets in the same transaction.

On start it reads its stored offsets and seeks the source there, so a crash at any point neither
loses an event nor applies one twice. Every batch checks, in its own transaction, that the stored
offsets are still the ones it continues from: a rebuild swapped in meanwhile sends it back there.
An event the projection cannot apply stops the projector with an error naming where it is (a poison
message is never skipped silently).

A view database that cannot be written (a full disk, a read-only file, a database server gone) is not a poison
message: the batch is rolled back (its offsets with it), the source is sent back to the stored offsets, and `run`
says so in one line naming the projection and the cause, then tries again after a growing pause (at most
`max_fault_backoff`), until the view takes writes again; it then catches up from where the tables say it is.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from dualtrack.messaging.sources import EventSource, Offsets
from services.common.projection import (
    EventNotApplicable,
    Projection,
    ensure_offsets_table,
    store_offsets,
    stored_offsets,
)
from services.common.viewstore import ViewDatabase
from toolkit.cloudevents import ReceivedEvent
from toolkit.http.faults import storage_fault_of

log = logging.getLogger(__name__)


class PoisonMessage(RuntimeError):
    """An event that the projection cannot apply; the projector stops at it."""


class ViewUnwritable(RuntimeError):
    """The view database cannot be written now; nothing of the batch was applied."""

    def __init__(self, projection: str, cause: str) -> None:
        super().__init__(f"projection {projection}: the view database cannot be written: {cause}")
        self.projection = projection
        self.cause = cause


_SQLITE_STORAGE_WORDS = ("full", "readonly", "read-only", "disk i/o", "unable to open", "no space", "locked",
                         "busy", "not authorized to write")
"""What SQLite says when its file or disk is at fault. SQLite reports a missing table or a syntax error as an
OperationalError too: those are the projection's own faults, never retried."""


_OS_STORAGE_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO)


def storage_write_fault(error: BaseException) -> str | None:
    """The cause, in words, when `error` (or one it was raised from) says a database (the view database, an event
    store) cannot be written now (sqlite3: full, read-only, I/O error, locked; psycopg: OperationalError, DiskFull
    among them; eventsourcing's wrappers of either; a file beside it, like a lock, that the disk refuses); else
    None."""
    cause = storage_fault_of(error)
    if cause is None:
        if isinstance(error, OSError) and error.errno in _OS_STORAGE_ERRNOS:
            return f"the storage cannot be written ({error.strerror}: {error.filename})"
        return None
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.OperationalError):
            said = str(current).lower()
            return cause if any(word in said for word in _SQLITE_STORAGE_WORDS) else None
        current = current.__cause__ or current.__context__
    return cause


@dataclass
class Progress:
    applied: int = 0
    skipped: int = 0


class Projector:
    """Keeps one projection's tables (live, or a set aside under `suffix`) up to date from a source."""

    def __init__(
        self,
        projection: Projection,
        db: ViewDatabase,
        source: EventSource,
        *,
        suffix: str = "",
        batch_size: int = 2000,
        fault_backoff: float = 0.5,
        max_fault_backoff: float = 30.0,
    ) -> None:
        self.projection = projection
        self.db = db
        self.source = source
        self.suffix = suffix
        self.batch_size = batch_size
        self.fault_backoff = fault_backoff
        self.max_fault_backoff = max_fault_backoff
        """The pause after a batch the view database refused, doubled each time it refuses again, up to this."""
        self.progress = Progress()
        self.tracking_name = projection.name + suffix
        with db.transaction(suffix) as tx:
            ensure_offsets_table(tx)
            projection.create_tables(tx)
            self.offsets: Offsets = stored_offsets(tx, self.tracking_name)
        source.seek(self.offsets)

    def step(self, timeout: float = 0.2, until: Offsets | None = None) -> int:
        """Apply the next batch in one transaction; returns how many events were read.

        With `until`, events at or beyond those offsets are left alone (a verification stops exactly there).
        Raises ViewUnwritable, with nothing applied and the source back at the stored offsets, when the view
        database cannot be written now.
        """
        events = self.source.poll(self.batch_size, timeout)
        if until is not None:
            events = [e for e in events if e.offset < until.get((e.topic, e.partition), 0)]
        if not events:
            return 0
        try:
            return self._apply(events)
        except PoisonMessage:
            raise
        except Exception as error:
            cause = storage_write_fault(error)
            if cause is None:
                raise
            # Rolled back, offsets included: read the same events again next time.
            self.db.close()  # a connection that failed mid-commit (or lost its server) is not used again
            self.source.seek(self.offsets)
            raise ViewUnwritable(self.projection.name, cause) from error

    def _apply(self, events: list[ReceivedEvent]) -> int:
        offsets = dict(self.offsets)
        with self.db.transaction(self.suffix) as tx:
            stored = stored_offsets(tx, self.tracking_name, for_update=True)
            if stored != self.offsets:
                # The tables were swapped under us (a rebuild): what we read may already be in them, or
                # what we applied before may be gone. Start again from what the tables say they hold.
                self.offsets = stored
                self.source.seek(stored)
                return 0
            try:
                outcome = self.projection.apply_batch(tx, events)
            except EventNotApplicable as failure:
                if storage_write_fault(failure.error) is not None:
                    raise failure.error from None  # the database refused the write, not the event
                e = cast(ReceivedEvent, failure.event)  # the events given to apply_batch above
                raise PoisonMessage(
                    f"projection {self.projection.name} cannot apply {e.type} {e.id} at "
                    f"{e.topic}[{e.partition}]@{e.offset}: {failure.error!r}"
                ) from failure.error
            for event in events:
                offsets[(event.topic, event.partition)] = event.offset + 1
            store_offsets(tx, self.tracking_name, offsets)
        self.offsets = offsets  # committed
        applied = sum(outcome)
        self.progress.applied += applied
        self.progress.skipped += len(outcome) - applied
        return len(events)

    def caught_up_with(self, ends: Offsets) -> bool:
        return all(self.offsets.get(key, 0) >= end for key, end in ends.items())

    def catch_up(self, ends: Offsets | None = None, on_batch: Callable[[int], None] | None = None) -> None:
        """Apply everything up to the given end offsets (default: the source's ends now)."""
        available = self.source.end_offsets()
        ends = available if ends is None else ends
        foreign = sorted(f"{t}[{p}]" for t, p in set(ends) - set(available))
        if foreign:
            raise ValueError(f"positions {foreign} come from another source than this one ({sorted(available)}): "
                             "verify or rebuild a view from the source that feeds it (with or without --embedded)")
        while not self.caught_up_with(ends):
            read = self.step(timeout=1.0, until=ends)
            if on_batch is not None and read:
                on_batch(read)

    def run(self, stop: threading.Event, idle_sleep: float = 0.0) -> None:
        """Apply batches until `stop`; while the view database cannot be written, say so once and retry with a
        growing pause."""
        refused_since: float | None = None
        said = ""
        pause = self.fault_backoff
        while not stop.is_set():
            try:
                read = self.step(timeout=0.2)
            except ViewUnwritable as fault:
                if refused_since is None:
                    refused_since = time.monotonic()
                if fault.cause != said:
                    log.warning("%s; nothing of the batch was applied; retrying with a growing pause (at most "
                                "%.0f s) until it can be written", fault, self.max_fault_backoff)
                    said = fault.cause
                else:
                    log.debug("%s; retrying in %.1f s", fault, pause)
                stop.wait(pause)
                pause = min(pause * 2, self.max_fault_backoff)
                continue
            if refused_since is not None:
                log.warning("projection %s: the view database takes writes again after %.0f s; catching up",
                            self.projection.name, time.monotonic() - refused_since)
                refused_since, said, pause = None, "", self.fault_backoff
            if read == 0 and idle_sleep:
                time.sleep(idle_sleep)

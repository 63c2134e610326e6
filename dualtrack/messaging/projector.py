"""The projector: events -> a projection's tables, with the consumed offsets in the same transaction.

It applies the partitions its source gives it (all of them, or the share a consumer group gives this member):
each is taken at a new epoch and sought to its stored offset, so a crash at any point neither loses an event nor
applies one twice, and a projector that lost a partition (a rebalance, a pause past its session) cannot apply it
any more (dualtrack/messaging/partitions.py). Every batch checks, in its own transaction, that the stored offsets
are still the ones it continues from: a rebuild swapped in meanwhile sends it back there.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from dualtrack.messaging.partitions import (
    Fenced,
    Partition,
    PartitionRow,
    advance,
    let_go,
    rows_of,
    serialise_writers,
    take,
    this_process,
    writers_turn,
)
from dualtrack.messaging.sources import EventSource, Offsets
from services.common.projection import OFFSETS_TABLE, EventNotApplicable, Projection, ensure_offsets_table
from services.common.viewstore import Tx, ViewDatabase
from toolkit.cloudevents import ReceivedEvent
from toolkit.http.faults import storage_fault_of

log = logging.getLogger(__name__)


_NOT_HELD = 2**63
"""The offset a partition this projector does not hold is read from: never."""


def _named(partitions: Iterable[Partition]) -> str:
    return ", ".join(f"{t}[{p}]" for t, p in sorted(partitions))


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


def require_same_source(positions: Offsets, available: Offsets) -> None:
    """Positions of partitions the source does not have (a Kafka-fed view verified from the stores, or the other
    way round) are refused."""
    foreign = sorted(f"{t}[{p}]" for t, p in set(positions) - set(available))
    if foreign:
        raise ValueError(f"positions {foreign} come from another source than this one ({sorted(available)}): "
                         "verify or rebuild a view from the source that feeds it (with or without --embedded)")


@dataclass
class Progress:
    applied: int = 0
    skipped: int = 0


class Projector:
    """Keeps one projection's tables (live, or a set aside under `suffix`) up to date from a source: from the
    partitions it holds, each taken at an epoch (dualtrack/messaging/partitions.py) and applied only while the
    epoch is still its own."""

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
        holder: str | None = None,
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
        self.holder = holder or this_process()
        self.offsets: Offsets = {}
        """The next offset of each partition this projector holds, as committed."""
        self.epochs: dict[Partition, int] = {}
        """The epoch each held partition was taken at."""
        self._to_take: set[Partition] = set()
        with db.transaction(suffix) as tx:
            ensure_offsets_table(tx)
            projection.create_tables(tx)
        self._follow_assignment()

    # -- which partitions ---------------------------------------------------------------------------------------
    def _follow_assignment(self) -> None:
        """Let go of the partitions the source took away; take (a new epoch each) those it gave, and seek them to
        their stored offsets. A take the view database refused is tried again at the next step."""
        assigned, revoked = self.source.changes()  # what was revoked went before what was assigned
        self._to_take = (self._to_take - set(revoked)) | set(assigned)
        given_up = {p: self.epochs[p] for p in revoked if p in self.epochs}
        for p in given_up:
            del self.epochs[p]
            self.offsets.pop(p, None)
        if given_up:
            log.info("projection %s: gave up %s", self.tracking_name, _named(given_up))
            try:
                with self.db.transaction(self.suffix) as tx:
                    let_go(tx, self.tracking_name, given_up)
            except Exception as error:  # only what `projections status` shows: the epochs fence what matters
                log.debug("projection %s: could not mark %s free: %r", self.tracking_name, _named(given_up), error)
        if not self._to_take:
            return
        with self.db.transaction(self.suffix) as tx:
            leases = take(tx, self.tracking_name, self._to_take, self.holder)
        self._to_take = set()
        for p, lease in leases.items():
            self.epochs[p] = lease.epoch
            self.offsets[p] = lease.next_offset
        log.info("projection %s: holds %s", self.tracking_name,
                 ", ".join(f"{t}[{n}]@{leases[(t, n)].next_offset} (epoch {leases[(t, n)].epoch})"
                           for t, n in sorted(leases)))
        self.source.seek(self.offsets)

    def _lose(self, lost: Iterable[Partition], rows: dict[Partition, PartitionRow]) -> None:
        for p in lost:
            row = rows.get(p)
            log.warning("projection %s: %s[%d] was taken by %s (epoch %s); nothing more of it is applied here",
                        self.tracking_name, p[0], p[1], row.holder if row else "another projector",
                        row.epoch if row else "?")
            self.epochs.pop(p, None)
            self.offsets.pop(p, None)

    # -- applying -----------------------------------------------------------------------------------------------
    def step(self, timeout: float = 0.2, until: Offsets | None = None) -> int:
        """Apply the next batch in one transaction; returns how many events were read.

        With `until`, events at or beyond those offsets are left alone (a verification stops exactly there).
        Raises ViewUnwritable, with nothing applied and the source back at the stored offsets, when the view
        database cannot be written now.
        """
        try:
            self._follow_assignment()
        except Exception as error:
            cause = storage_write_fault(error)
            if cause is None:
                raise
            self.db.close()
            raise ViewUnwritable(self.projection.name, cause) from error
        events = self.source.poll(self.batch_size, timeout)
        if until is not None:
            events = [e for e in events if e.offset < until.get((e.topic, e.partition), 0)]
        # Only what this projector holds, from where it stands (a partition given away meanwhile, or records
        # fetched before a seek, are dropped).
        events = [e for e in events if e.offset >= self.offsets.get((e.topic, e.partition), _NOT_HELD)]
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
        """On PostgreSQL the batch's statements are pipelined (sent without waiting for each answer); a batch that
        fails so is applied again one statement at a time, which names the event that fails (a pipelined
        transaction reports a statement's failure at a later one)."""
        if not self.db.is_postgres:
            return self._apply_once(events, pipelined=False)
        try:
            return self._apply_once(events, pipelined=True)
        except Exception as error:
            if storage_write_fault(error) is not None:
                raise
            log.debug("projection %s: a pipelined batch failed (%r); applying it again statement by statement",
                      self.tracking_name, error)
            return self._apply_once(events, pipelined=False)

    def _apply_once(self, events: list[ReceivedEvent], *, pipelined: bool) -> int:
        offsets: Offsets = {}
        moved: Offsets = {}
        rows: dict[Partition, PartitionRow] = {}
        lost: set[Partition] = set()
        try:
            with writers_turn(self.db, self.tracking_name), self.db.transaction(self.suffix,
                                                                                pipelined=pipelined) as tx:
                serialise_writers(tx, self.tracking_name)
                rows = rows_of(tx, self.tracking_name, for_update=True)
                lost = {p for p, epoch in self.epochs.items() if p in rows and rows[p].epoch != epoch}
                for p in {(e.topic, e.partition) for e in events} - lost:
                    row = rows.get(p)
                    if row is None:
                        # The tables were swapped in by a rebuild that never read this partition: start it again.
                        moved[p] = 0
                        tx.execute(f"INSERT INTO {OFFSETS_TABLE} (projection, topic, partition_id, next_offset, "
                                   "epoch, holder, held_since) VALUES (?, ?, ?, 0, ?, ?, NULL)",
                                   (self.tracking_name, p[0], p[1], self.epochs[p], self.holder))
                    elif row.next_offset != self.offsets[p]:
                        # The tables were swapped under us (a rebuild): what we read may already be in them, or
                        # what we applied before may be gone. Start again from what the tables say they hold.
                        moved[p] = row.next_offset
                skipped = lost | set(moved)
                applying = [e for e in events if (e.topic, e.partition) not in skipped]
                outcome = self._apply_events(tx, applying)
                counts: dict[Partition, tuple[int, int]] = {}
                for event, changed in zip(applying, outcome, strict=True):
                    key = (event.topic, event.partition)
                    offsets[key] = event.offset + 1
                    applied, duplicates = counts.get(key, (0, 0))
                    counts[key] = (applied + 1, duplicates) if changed else (applied, duplicates + 1)
                advance(tx, self.tracking_name, offsets, self.epochs, counts)
        except Fenced as fenced:  # taken between our read and our write: nothing of the batch was kept
            self._lose(fenced.partitions, rows)
            return 0
        self._lose(lost, rows)
        self.offsets.update(offsets)  # committed
        if moved:
            self.offsets.update(moved)
            self.source.seek(self.offsets)
        applied = sum(outcome)
        self.progress.applied += applied
        self.progress.skipped += len(outcome) - applied
        return len(applying)

    def _apply_events(self, tx: Tx, events: list[ReceivedEvent]) -> list[bool]:
        if not events:
            return []
        try:
            return self.projection.apply_batch(tx, events)
        except EventNotApplicable as failure:
            if storage_write_fault(failure.error) is not None:
                raise failure.error from None  # the database refused the write, not the event
            e = cast(ReceivedEvent, failure.event)  # the events given to apply_batch above
            raise PoisonMessage(
                f"projection {self.projection.name} cannot apply {e.type} {e.id} at "
                f"{e.topic}[{e.partition}]@{e.offset}: {failure.error!r}"
            ) from failure.error

    def caught_up_with(self, ends: Offsets) -> bool:
        return all(self.offsets.get(key, 0) >= end for key, end in ends.items())

    def catch_up(self, ends: Offsets | None = None, on_batch: Callable[[int], None] | None = None) -> None:
        """Apply everything up to the given end offsets (default: the source's ends now)."""
        available = self.source.end_offsets()
        ends = available if ends is None else ends
        require_same_source(ends, available)
        finished: set[Partition] = set()
        while True:
            done = {p for p, end in ends.items() if self.offsets.get(p, 0) >= end}
            if done - finished:
                self.source.finished(done - finished)
                finished |= done
            if len(done) == len(ends):
                return
            missing = {p for p, end in ends.items() if end and p not in self.epochs and p not in self._to_take}
            if missing:
                raise Fenced(missing)
            read = self.step(timeout=1.0, until=ends)
            if on_batch is not None and read:
                on_batch(read)

    def close(self) -> None:
        """Give the held partitions up (shown free in `projections status`) and close the source."""
        try:
            if self.epochs:
                with self.db.transaction(self.suffix) as tx:
                    let_go(tx, self.tracking_name, self.epochs)
        except Exception as error:  # the view database is gone: the next holder takes them anyway
            log.debug("projection %s: could not mark its partitions free: %r", self.tracking_name, error)
        finally:
            self.source.close()

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

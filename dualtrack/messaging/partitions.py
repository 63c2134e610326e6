"""Who holds which partition of a projection, fenced by an epoch kept in the view database.

Each row of `projection_offsets` (one per projection, topic and partition) holds the next offset to apply and the
epoch of the projector that holds the partition. A projector that is given a partition (by the consumer group, or
because it reads every partition itself) *takes* it: the epoch goes up by one in a transaction that also reads the
offset to continue from. Every batch it applies then moves the offset with
`UPDATE ... SET next_offset = ? WHERE ... AND epoch = ?` in the transaction of the batch's rows, and the whole
transaction is rolled back when a row is not its epoch any more. So a projector that lost a partition (a rebalance
gave it to another while it still had a batch in hand, or it was paused past its session) can neither apply an
event of it nor move its offset: the view database, not Kafka's committed offsets, says who holds what.

The writes of one projection's tables are serialised (SQLite's writer lock; on PostgreSQL a transaction-scoped
advisory lock per tracked name): handlers read rows that other aggregates' events wrote, so two projectors applying
at once under read committed could give rows no order of the events gives.
"""

from __future__ import annotations

import fcntl
import os
import socket
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from services.common.projection import OFFSETS_TABLE
from services.common.viewstore import Tx, ViewDatabase

Partition = tuple[str, int]


class Fenced(RuntimeError):
    """A partition's epoch is not the applying projector's any more: another projector took it."""

    def __init__(self, partitions: Iterable[Partition]) -> None:
        self.partitions = sorted(partitions)
        super().__init__("partitions taken by another projector: " + ", ".join(f"{t}[{p}]" for t, p in self.partitions))


@dataclass(frozen=True)
class Lease:
    """A partition as its holder took it: the epoch it writes under and the offset it continues from."""

    epoch: int
    next_offset: int


@dataclass(frozen=True)
class PartitionRow:
    next_offset: int
    epoch: int
    holder: str | None
    held_since: str | None
    applied: int = 0
    duplicates: int = 0


def this_process() -> str:
    """How a holder is named in `projections status`: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def serialise_writers(tx: Tx, tracking_name: str) -> None:
    """Wait for the other projectors of `tracking_name` to commit: one applies at a time (SQLite serialises every
    writer already)."""
    if tx.locks_rows:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(f"dualtrack-apply:{tracking_name}".encode()),))


_TURNS: dict[str, IO[str]] = {}


@contextmanager
def writers_turn(db: ViewDatabase, tracking_name: str) -> Iterator[None]:
    """On SQLite, wait for the other projectors of `tracking_name` with a blocking lock on a file beside the
    database before opening the write transaction: the one waiting goes on the moment the other commits (SQLite's
    own busy wait sleeps up to 100 ms at a time, which parallel rebuild workers would spend idle). On PostgreSQL
    the transaction's advisory lock does it (`serialise_writers`)."""
    if db.is_postgres:
        yield
        return
    path = f"{db.url}.apply-{tracking_name}.lock"
    file = _TURNS.get(path)
    if file is None or file.closed:
        file = _TURNS[path] = open(path, "a")
    fcntl.flock(file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(file, fcntl.LOCK_UN)


def take(tx: Tx, tracking_name: str, partitions: Iterable[Partition], holder: str) -> dict[Partition, Lease]:
    """Take the partitions: a new epoch for each (a row at offset 0 for a partition never applied) and the offset
    stored for it, which the taker continues from."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    serialise_writers(tx, tracking_name)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    tx.executemany(
        f"INSERT INTO {OFFSETS_TABLE} (projection, topic, partition_id, next_offset, epoch, holder, held_since) "
        "VALUES (?, ?, ?, 0, 1, ?, ?) ON CONFLICT (projection, topic, partition_id) DO UPDATE SET "
        f"epoch = {OFFSETS_TABLE}.epoch + 1, holder = excluded.holder, held_since = excluded.held_since",
        [(tracking_name, topic, partition, holder, now) for topic, partition in wanted],
    )
    rows = rows_of(tx, tracking_name)
    return {p: Lease(rows[p].epoch, rows[p].next_offset) for p in wanted}


def rows_of(tx: Tx, tracking_name: str, *, for_update: bool = False) -> dict[Partition, PartitionRow]:
    lock = " FOR UPDATE" if for_update and tx.locks_rows else ""
    found = tx.execute(
        f"SELECT topic, partition_id, next_offset, epoch, holder, held_since, applied, duplicates FROM {OFFSETS_TABLE} "
        f"WHERE projection = ?{lock}", (tracking_name,)
    ).fetchall()
    return {(t, int(p)): PartitionRow(int(o), int(e), h, s, int(a), int(d)) for t, p, o, e, h, s, a, d in found}


def advance(tx: Tx, tracking_name: str, offsets: dict[Partition, int], epochs: dict[Partition, int],
            counts: dict[Partition, tuple[int, int]] | None = None) -> None:
    """Move each partition's offset (and add its batch's counts: events applied, duplicates skipped), only where
    the epoch is still the one given; raises Fenced (the caller's transaction is then rolled back, its rows with it)
    when any is not."""
    lost = []
    for (topic, partition), offset in sorted(offsets.items()):
        applied, duplicates = (counts or {}).get((topic, partition), (0, 0))
        moved = tx.execute(
            f"UPDATE {OFFSETS_TABLE} SET next_offset = ?, applied = applied + ?, duplicates = duplicates + ? "
            "WHERE projection = ? AND topic = ? AND partition_id = ? AND epoch = ? RETURNING partition_id",
            (offset, applied, duplicates, tracking_name, topic, partition, epochs[(topic, partition)]),
        ).fetchall()  # rows, rather than a row count: known at once in a pipelined transaction too
        if len(moved) != 1:
            lost.append((topic, partition))
    if lost:
        raise Fenced(lost)


def let_go(tx: Tx, tracking_name: str, epochs: dict[Partition, int]) -> None:
    """The holder gives partitions up (revoked, or stopping): they show no holder until taken again. A partition
    taken by another meanwhile is left as it is."""
    tx.executemany(
        f"UPDATE {OFFSETS_TABLE} SET holder = NULL, held_since = NULL "
        "WHERE projection = ? AND topic = ? AND partition_id = ? AND epoch = ?",
        [(tracking_name, topic, partition, epoch) for (topic, partition), epoch in sorted(epochs.items())],
    )

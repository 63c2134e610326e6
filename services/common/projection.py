"""What every projection shares: its tables, the offsets it has consumed, and duplicate detection.

A projection turns CloudEvents into rows. The projector calls `apply` for each event inside one view
transaction and records the consumed offsets in the same transaction, so a crash never applies an
event twice. An event whose aggregate version is not newer than the one already applied (a
redelivery: same `ce_id`) is skipped.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from services.common.viewstore import Tx

OFFSETS_TABLE = "projection_offsets"


class Event(Protocol):
    """The parts of a received CloudEvent a projection relies on."""

    id: str
    type: str
    subject: str
    time: str
    data: dict[str, Any]
    extensions: Mapping[str, str]

    @property
    def aggregate_version(self) -> int: ...


Handler = Callable[[Any, Tx, Any], None]


class EventNotApplicable(Exception):
    """A handler failed on an event: the event is named so the projector can stop right there."""

    def __init__(self, event: Event, error: Exception) -> None:
        super().__init__(f"{event.type} {event.id}: {error!r}")
        self.event = event
        self.error = error


class Projection(ABC):
    """A read model built from events of one or more contexts."""

    name: ClassVar[str]
    contexts: ClassVar[tuple[str, ...]]
    tables: ClassVar[dict[str, str]]
    """Table name -> column definitions (without the versions table, which every projection gets)."""
    handlers: ClassVar[dict[str, Handler]]
    """CloudEvents type -> handler; events of other types are read and ignored."""
    indexes: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()
    """(table, columns) of the indexes beside the primary keys, for the questions the views ask: without one, a
    question about one student or one centre reads the whole table, which grows with the province."""

    @property
    def versions_table(self) -> str:
        return f"{self.name}_versions"

    def all_tables(self) -> dict[str, str]:
        return {**self.tables, self.versions_table: "aggregate_id TEXT PRIMARY KEY, version BIGINT NOT NULL"}

    def create_tables(self, tx: Tx) -> None:
        for table, columns in self.all_tables().items():
            tx.execute(f"CREATE TABLE IF NOT EXISTS {tx.table(table)} ({columns})")
        for table, indexed in self.indexes:
            ensure_index(tx, tx.table(table), indexed)

    def drop_tables(self, tx: Tx) -> None:
        for table in self.all_tables():
            tx.execute(f"DROP TABLE IF EXISTS {tx.table(table)}")

    def apply(self, tx: Tx, event: Event) -> bool:
        """Apply one event unless it was applied before; returns whether it changed anything."""
        return self.apply_batch(tx, [event]) == [True]

    def apply_batch(self, tx: Tx, events: Sequence[Event]) -> list[bool]:
        """Apply events in order, skipping those already applied; says for each whether it was applied.

        The aggregate versions already applied are read once for the whole batch and written back
        once at its end, in the caller's transaction.
        """
        versions_table = tx.table(self.versions_table)
        versions = self._versions_of(tx, versions_table, {e.subject for e in events})
        changed: dict[str, int] = {}
        outcome = []
        for event in events:
            version = event.aggregate_version
            if versions.get(event.subject, 0) >= version:
                outcome.append(False)
                continue
            handler = self.handlers.get(event.type)
            if handler is not None:
                try:
                    handler(self, tx, event)
                except Exception as error:
                    raise EventNotApplicable(event, error) from error
            versions[event.subject] = changed[event.subject] = version
            outcome.append(True)
        tx.executemany(
            f"INSERT INTO {versions_table} (aggregate_id, version) VALUES (?, ?) "
            "ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version",
            list(changed.items()),
        )
        return outcome

    @staticmethod
    def _versions_of(tx: Tx, table: str, subjects: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ids = sorted(subjects)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = tx.execute(f"SELECT aggregate_id, version FROM {table} WHERE aggregate_id IN ({marks})", chunk)
            found.update(rows.fetchall())
        return found

    def digest(self, tx: Tx) -> str:
        """A fingerprint of every row of every table, independent of row order and table suffix."""
        sha = hashlib.sha256()
        for table in sorted(self.all_tables()):
            rows = tx.execute(f"SELECT * FROM {tx.table(table)}").fetchall()
            sha.update(table.encode())
            for line in sorted(json.dumps(list(r), default=str, separators=(",", ":")) for r in rows):
                sha.update(line.encode())
        return sha.hexdigest()

    @abstractmethod
    def describe(self) -> str:
        """One line saying what question this read model answers."""


OFFSET_COLUMNS = {"epoch": "BIGINT NOT NULL DEFAULT 0", "holder": "TEXT", "held_since": "TEXT",
                  "applied": "BIGINT NOT NULL DEFAULT 0", "duplicates": "BIGINT NOT NULL DEFAULT 0"}
"""Who holds each partition: the epoch the holder took it at (a projector applies and moves the offset only while
the row's epoch is its own; dualtrack/messaging/partitions.py), the holder and since when; and how many of its
events the tables applied, and how many they skipped as applied before (a redelivery), counted in the transactions
that applied them. Added to older tables."""


def ensure_offsets_table(tx: Tx) -> None:
    extra = "".join(f"{column} {definition}, " for column, definition in OFFSET_COLUMNS.items())
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (projection TEXT NOT NULL, topic TEXT NOT NULL, "
        f"partition_id INTEGER NOT NULL, next_offset BIGINT NOT NULL, {extra}"
        "PRIMARY KEY (projection, topic, partition_id))"
    )
    if tx.locks_rows:
        have = {r[0] for r in tx.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            f"AND table_name = '{OFFSETS_TABLE}'").fetchall()}
    else:
        have = {r[1] for r in tx.execute(f"PRAGMA table_info({OFFSETS_TABLE})").fetchall()}
    for column, definition in OFFSET_COLUMNS.items():
        if column not in have:  # a view database from before partitions were shared
            exists = " IF NOT EXISTS" if tx.locks_rows else ""
            tx.execute(f"ALTER TABLE {OFFSETS_TABLE} ADD COLUMN{exists} {column} {definition}")


def stored_offsets(tx: Tx, projection: str, *, for_update: bool = False) -> dict[tuple[str, int], int]:
    lock = " FOR UPDATE" if for_update and tx.locks_rows else ""
    rows = tx.execute(
        f"SELECT topic, partition_id, next_offset FROM {OFFSETS_TABLE} WHERE projection = ?{lock}", (projection,)
    ).fetchall()
    return {(topic, partition): offset for topic, partition, offset in rows}


def store_offsets(tx: Tx, projection: str, offsets: dict[tuple[str, int], int]) -> None:
    tx.executemany(
        f"INSERT INTO {OFFSETS_TABLE} (projection, topic, partition_id, next_offset) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (projection, topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset",
        [(projection, topic, partition, offset) for (topic, partition), offset in offsets.items()],
    )


def ensure_index(tx: Tx, table: str, columns: tuple[str, ...]) -> None:
    """An index of `table` on `columns`, unless it has one already under any name (a rebuilt table renamed into
    place keeps its indexes' names: `..._rebuild_by_...`)."""
    if columns in secondary_indexes(tx, table):
        return
    base = f"{table}_by_{'_'.join(columns)}"
    name, n = base, 1
    while _relation_exists(tx, name):  # the name an older table's index took (rebuilt and renamed since)
        n += 1
        name = f"{base}_{n}"
    tx.execute(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")


def secondary_indexes(tx: Tx, table: str) -> list[tuple[str, ...]]:
    """The column lists of the table's indexes beside its primary key (and other unique constraints), one per
    index."""
    if tx.locks_rows:  # PostgreSQL: "CREATE INDEX name ON schema.table USING btree (a, b)"
        rows = tx.execute("SELECT indexdef FROM pg_indexes WHERE tablename = ? AND schemaname = current_schema()",
                          (table,)).fetchall()
        return [tuple(c.strip() for c in row[0].rsplit("(", 1)[1].rstrip(")").split(",")) for row in rows
                if not row[0].startswith("CREATE UNIQUE")]
    names = [row[0] for row in tx.execute(  # SQLite's own indexes for keys have no SQL
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,)).fetchall()]
    return [tuple(str(row[2]) for row in tx.execute(f'PRAGMA index_info("{name}")').fetchall()) for name in names]


def _relation_exists(tx: Tx, name: str) -> bool:
    if tx.locks_rows:
        return tx.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone() == (True,)
    return tx.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

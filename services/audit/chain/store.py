"""The chain's store: its two tables beside a context's events, the SQLite and PostgreSQL databases that hold
them, and `AuditChain`, which reads, extends and checkpoints the chain of one context.

Where it lives: beside the context's events, in the same database. SQLite: tables `dualtrack_audit_chain_<context>`
and `dualtrack_audit_checkpoints_<context>` in the context's store file; PostgreSQL: the same table names in the
stores' database (the context in the name keeps the contexts apart there).

    chain row:   (context, position, leaf, hash)                      leaf, hash: 32 bytes (BLOB / bytea)
    checkpoint:  (context, position, hash, signed_at, key_id, signature)
                 hash: 64 lowercase hex digits; signed_at: ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ"; signature: base64 of
                 the Ed25519 signature of the checkpoint's message (services.audit.chain.format)
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from services.audit.chain.format import (
    GENESIS,
    Checkpoint,
    leaf_of,
    link,
    sign_checkpoint,
)
from services.audit.chain.verify import Report, verify_chain
from services.common.signing import KeySet, PinnedKey

BATCH = 1000

_CONTEXT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


# -- the tables --------------------------------------------------------------------------------------
class ChainDatabase(Protocol):
    placeholder: str
    blob: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def locked(self) -> Any: ...
    def close(self) -> None: ...


class SQLiteChainDatabase:
    """The chain's tables in the context's SQLite store file; writers take SQLite's write lock (BEGIN IMMEDIATE)."""

    placeholder = "?"
    blob = "BLOB"

    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


class PostgresChainDatabase:
    """The chain's tables in the stores' PostgreSQL database; writers of one context's chain take a transaction-level
    advisory lock, so two keepers (or a keeper and an export) never chain the same positions twice."""

    placeholder = "%s"
    blob = "BYTEA"

    def __init__(self, url: str, context: str) -> None:
        import psycopg

        self._conn = psycopg.connect(url, autocommit=True)
        self._lock_name = f"dualtrack-audit-chain:{context}"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(sql, rows)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (self._lock_name,))
            yield

    def close(self) -> None:
        self._conn.close()


# -- the chain of one context ---------------------------------------------------------------------------
class AuditChain:
    """The hash chain and checkpoints of one context's notification log."""

    def __init__(self, context: str, recorder: Any, database: ChainDatabase) -> None:
        if not _CONTEXT_NAME.match(context):
            raise ValueError(f"not a context name: {context!r}")
        self.context = context
        self.recorder = recorder
        self.db = database
        self.chain_table = f"dualtrack_audit_chain_{context}"
        self.checkpoint_table = f"dualtrack_audit_checkpoints_{context}"
        self._p = database.placeholder
        blob = database.blob
        with database.locked():  # two processes creating the tables at once would race in PostgreSQL's catalog
            database.execute(
                f"CREATE TABLE IF NOT EXISTS {self.chain_table} (context TEXT NOT NULL, position BIGINT NOT NULL, "
                f"leaf {blob} NOT NULL, hash {blob} NOT NULL, PRIMARY KEY (context, position))")
            database.execute(
                f"CREATE TABLE IF NOT EXISTS {self.checkpoint_table} (context TEXT NOT NULL, position BIGINT NOT NULL, "
                f"hash TEXT NOT NULL, signed_at TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL, "
                f"PRIMARY KEY (context, position))")

    def close(self) -> None:
        self.db.close()

    # -- reading ------------------------------------------------------------------------------------
    def head(self) -> tuple[int, bytes]:
        """The last chained position and its hash ((0, GENESIS) when nothing is chained yet)."""
        row = self.db.execute(
            f"SELECT position, hash FROM {self.chain_table} WHERE context = {self._p} ORDER BY position DESC LIMIT 1",
            (self.context,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)

    def rows(self, after: int | None = None, upto: int | None = None) -> Iterator[tuple[int, bytes, bytes]]:
        """Chain rows (position, leaf, hash) in order, after `after` (exclusive) up to `upto` (inclusive)."""
        last = after
        while True:
            conditions = [f"context = {self._p}"]
            params: list[str | int] = [self.context]
            if last is not None:
                conditions.append(f"position > {self._p}")
                params.append(last)
            if upto is not None:
                conditions.append(f"position <= {self._p}")
                params.append(upto)
            batch = self.db.execute(
                f"SELECT position, leaf, hash FROM {self.chain_table} WHERE {' AND '.join(conditions)} "
                f"ORDER BY position LIMIT {BATCH}", params).fetchall()
            for position, leaf_digest, hash_digest in batch:
                yield int(position), bytes(leaf_digest), bytes(hash_digest)
            if len(batch) < BATCH:
                return
            last = int(batch[-1][0])

    def row(self, position: int) -> tuple[int, bytes, bytes] | None:
        r = self.db.execute(f"SELECT position, leaf, hash FROM {self.chain_table} WHERE context = {self._p} AND "
                            f"position = {self._p}", (self.context, position)).fetchone()
        return (int(r[0]), bytes(r[1]), bytes(r[2])) if r else None

    def row_before(self, position: int) -> tuple[int, bytes, bytes] | None:
        r = self.db.execute(f"SELECT position, leaf, hash FROM {self.chain_table} WHERE context = {self._p} AND "
                            f"position < {self._p} ORDER BY position DESC LIMIT 1", (self.context, position)).fetchone()
        return (int(r[0]), bytes(r[1]), bytes(r[2])) if r else None

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.db.execute(
            f"SELECT context, position, hash, signed_at, key_id, signature FROM {self.checkpoint_table} "
            f"WHERE context = {self._p} ORDER BY position", (self.context,)).fetchall()
        return [Checkpoint(str(c), int(p), str(h), str(s), str(k), str(sig)) for c, p, h, s, k, sig in rows]

    def last_checkpoint(self) -> Checkpoint | None:
        row = self.db.execute(
            f"SELECT context, position, hash, signed_at, key_id, signature FROM {self.checkpoint_table} "
            f"WHERE context = {self._p} ORDER BY position DESC LIMIT 1", (self.context,)).fetchone()
        return Checkpoint(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5])) if row else None

    def covering_checkpoint(self, position: int) -> Checkpoint | None:
        """The first checkpoint at or after `position`: its signature covers the event there."""
        row = self.db.execute(
            f"SELECT context, position, hash, signed_at, key_id, signature FROM {self.checkpoint_table} "
            f"WHERE context = {self._p} AND position >= {self._p} ORDER BY position LIMIT 1",
            (self.context, position)).fetchone()
        return Checkpoint(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5])) if row else None

    def notifications(self, after: int | None = None, upto: int | None = None) -> Iterator[Any]:
        """The log in order, after `after` (exclusive; None: from its very first row) up to `upto` (inclusive)."""
        start, inclusive = after, False
        while True:
            batch = self.recorder.select_notifications(start, BATCH, stop=upto, inclusive_of_start=inclusive)
            yield from batch
            if len(batch) < BATCH:
                return
            start, inclusive = batch[-1].id, False

    # -- writing ------------------------------------------------------------------------------------
    def extend(self, limit: int | None = None) -> int:
        """Chain the notifications recorded since the last chained position (at most `limit`); how many."""
        chained = 0
        while limit is None or chained < limit:
            with self.db.locked():
                position, previous = self.head()
                batch_size = BATCH if limit is None else min(BATCH, limit - chained)
                batch = self.recorder.select_notifications(position, batch_size, inclusive_of_start=False)
                rows = []
                for n in batch:
                    digest = leaf_of(n)
                    previous = link(previous, digest)
                    rows.append((self.context, n.id, digest, previous))
                if rows:
                    self._insert_rows(rows)
            chained += len(rows)
            if len(batch) < batch_size:
                break
        return chained

    def _insert_rows(self, rows: list[tuple[str, int, bytes, bytes]]) -> None:
        p = self._p
        self.db.executemany(
            f"INSERT INTO {self.chain_table} (context, position, leaf, hash) VALUES ({p}, {p}, {p}, {p})", rows)

    def checkpoint(self, key: Ed25519PrivateKey, signed_at: datetime | None = None) -> Checkpoint | None:
        """Sign the chain's head, unless it is checkpointed already; the checkpoint (None: nothing chained)."""
        with self.db.locked():
            position, digest = self.head()
            if position == 0:
                return None
            last = self.last_checkpoint()
            if last is not None and last.position >= position:
                return last
            made = sign_checkpoint(self.context, position, digest, key, signed_at)
            p = self._p
            self.db.execute(
                f"INSERT INTO {self.checkpoint_table} (context, position, hash, signed_at, key_id, signature) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (made.context, made.position, made.hash, made.signed_at, made.key_id, made.signature))
            return made

    def status(self) -> dict[str, Any]:
        position, _ = self.head()
        last = self.last_checkpoint()
        count = self.db.execute(f"SELECT COUNT(*) FROM {self.chain_table} WHERE context = {self._p} AND position > "
                                f"{self._p}", (self.context, last.position if last else 0)).fetchone()[0]
        return {"context": self.context, "chained_to": position, "last_checkpoint": last.as_dict() if last else None,
                "unsigned": int(count)}

    # -- verifying ----------------------------------------------------------------------------------
    def verify(self, trusted: Ed25519PublicKey | PinnedKey | KeySet) -> Report:
        """Recompute the chain from the events and compare it with the chain rows and the signed checkpoints, against
        a pinned public key or the deployment's key set (services.audit.chain.verify)."""
        return verify_chain(self, trusted)

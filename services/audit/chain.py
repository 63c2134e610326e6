"""Tamper evidence: a hash chain over each context's notification log, with checkpoints signed by the deployment's
Ed25519 key, and the verification that recomputes it from the events.

Canonical bytes of a notification (the leaf's preimage), every integer unsigned 64-bit big-endian (u64):

    b"dualtrack.audit.leaf.v1\\x00"         24 bytes of domain separation
    u64(position)                           the notification id
    u64(len(id))       id                   the originator id as UTF-8 text: str(UUID), lowercase with hyphens
                                            (a non-UUID originator id: its text as the recorder returns it)
    u64(originator_version)
    u64(len(topic))    topic                UTF-8
    u64(len(state))    state                the stored state bytes exactly as the recorder returns them (after
                                            eventsourcing's transcoder, and its compressor and cipher if any)

    leaf_i = SHA-256(canonical bytes of notification i)
    hash_i = SHA-256(hash_prev || leaf_i)   hash_prev: the hash of the chained position before i;
                                            32 zero bytes before the first

Positions are notification ids. They are increasing but may have gaps (a PostgreSQL sequence skips the value of an
insert that rolled back, e.g. a version conflict): the chain covers the positions the log held when it was extended,
in order, and a gap it skipped must stay a gap.

Where it lives: beside the context's events, in the same database. SQLite: tables `dualtrack_audit_chain_<context>`
and `dualtrack_audit_checkpoints_<context>` in the context's store file; PostgreSQL: the same table names in the
stores' database (the context in the name keeps the contexts apart there).

    chain row:   (context, position, leaf, hash)                      leaf, hash: 32 bytes (BLOB / bytea)
    checkpoint:  (context, position, hash, signed_at, key_id, signature)
                 hash: 64 lowercase hex digits; signed_at: ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ"; signature: base64 of
                 the Ed25519 signature of the canonical JSON (keys sorted, no spaces, UTF-8) of
                 {"algorithm": "Ed25519", "context", "hash", "key_id", "position", "signed_at",
                  "type": "dualtrack.audit.checkpoint.v1"}

A checkpoint pins the chain up to its position: whoever rewrites events and chain rows together is caught by it;
a truncation of the log and the chain behind the last checkpoint is caught by it too. Events (and chain rows) after
the last checkpoint are protected by the chain rows alone, until the next checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import struct
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.signing import ALGORITHM, canonical, key_id, strict_base64

LEAF_DOMAIN = b"dualtrack.audit.leaf.v1\x00"
LEAF_ENCODING = "dualtrack.audit.leaf.v1"
CHECKPOINT_TYPE = "dualtrack.audit.checkpoint.v1"
GENESIS = bytes(32)
"""The hash before the first chained position."""
BATCH = 1000

# -- kinds of findings ---------------------------------------------------------------------------------
EDITED = "edited"
"""The event at the position is not what was chained (its payload, topic, id or version changed)."""
REMOVED = "removed"
"""A chained position is missing from the log (with or without the positions after it renumbered)."""
INSERTED = "inserted"
"""The log holds an event the chain skipped: in a gap, or with the positions after it renumbered."""
SWAPPED = "swapped"
"""Two events exchanged their places (or their payloads and topics)."""
TRUNCATED = "truncated"
"""The log ends before a position the chain or a checkpoint holds."""
CHAIN_ROW_EDITED = "chain-row-edited"
"""A chain row's hash does not follow from the row before it and its leaf."""
CHAIN_ROW_MISSING = "chain-row-missing"
"""A checkpointed position has no chain row."""
CHECKPOINT_EDITED = "checkpoint-edited"
"""A checkpoint's signature does not match its fields (or is not this deployment's key's)."""
REWRITTEN = "rewritten"
"""Events and chain rows were changed together: a signed checkpoint no longer matches the recomputed chain."""
UNREADABLE = "unreadable"
"""The recorder could not read the log from this position on."""

_CONTEXT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


# -- the pure functions: what a verifier needs -----------------------------------------------------------
def originator_text(originator_id: Any) -> str:
    return str(originator_id) if isinstance(originator_id, UUID) else str(originator_id)


def leaf_bytes(position: int, originator_id: Any, originator_version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes of a notification (see the module's docstring)."""
    ident = originator_text(originator_id).encode("utf-8")
    name = topic.encode("utf-8")
    return b"".join((
        LEAF_DOMAIN,
        struct.pack(">Q", position),
        struct.pack(">Q", len(ident)), ident,
        struct.pack(">Q", originator_version),
        struct.pack(">Q", len(name)), name,
        struct.pack(">Q", len(state)), bytes(state),
    ))


def leaf(position: int, originator_id: Any, originator_version: int, topic: str, state: bytes) -> bytes:
    return hashlib.sha256(leaf_bytes(position, originator_id, originator_version, topic, state)).digest()


def leaf_of(notification: Any) -> bytes:
    """The leaf of an eventsourcing Notification (id, originator_id, originator_version, topic, state)."""
    n = notification
    return leaf(n.id, n.originator_id, n.originator_version, n.topic, n.state)


def link(previous: bytes, leaf_digest: bytes) -> bytes:
    return hashlib.sha256(previous + leaf_digest).digest()


def fold(previous: bytes, leaves: Sequence[bytes]) -> bytes:
    for digest in leaves:
        previous = link(previous, digest)
    return previous


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain of `context` had `hash` at `position`."""

    context: str
    position: int
    hash: str
    """64 lowercase hex digits."""
    signed_at: str
    key_id: str
    signature: str
    """Base64 of the Ed25519 signature of `checkpoint_message(...)`."""

    def message(self) -> bytes:
        return checkpoint_message(self.context, self.position, self.hash, self.signed_at, self.key_id)

    def verifies(self, public_key: Ed25519PublicKey) -> bool:
        """The signature matches the fields and was made with `public_key`."""
        if self.key_id != key_id(public_key):
            return False
        raw = strict_base64(self.signature) if isinstance(self.signature, str) else None
        if raw is None or len(raw) != 64:
            return False
        try:
            public_key.verify(raw, self.message())
        except (InvalidSignature, TypeError, ValueError):
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def checkpoint_message(context: str, position: int, hash_hex: str, signed_at: str, signer: str) -> bytes:
    """The bytes a checkpoint's signature is over (see the module's docstring)."""
    return canonical({"algorithm": ALGORITHM, "context": context, "hash": hash_hex, "key_id": signer,
                      "position": position, "signed_at": signed_at, "type": CHECKPOINT_TYPE})


def sign_checkpoint(context: str, position: int, hash_digest: bytes, key: Ed25519PrivateKey,
                    signed_at: datetime | None = None) -> Checkpoint:
    when = (signed_at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    signer = key_id(key.public_key())
    message = checkpoint_message(context, position, hash_digest.hex(), stamp, signer)
    return Checkpoint(context, position, hash_digest.hex(), stamp, signer,
                      base64.b64encode(key.sign(message)).decode("ascii"))


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
        return self._conn.execute(sql, tuple(params))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(sql, rows)  # type: ignore[arg-type]

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (self._lock_name,))
            yield

    def close(self) -> None:
        self._conn.close()


# -- verification reports -----------------------------------------------------------------------------
@dataclass
class Finding:
    position: int
    kind: str
    message: str
    other: int | None = None
    """The other position of a swap."""

    def as_dict(self) -> dict[str, Any]:
        found = {"position": self.position, "kind": self.kind, "message": self.message}
        if self.other is not None:
            found["other_position"] = self.other
        return found


@dataclass
class Report:
    """What `verify` found in one context: ok, or the first bad position and its kind."""

    context: str
    events: int = 0
    chained_to: int = 0
    checkpoints: int = 0
    last_checkpoint: dict[str, Any] | None = None
    not_yet_chained: int = 0
    """Events after the last chained position: fine, they are chained on the next extend."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding | None:
        order = {CHECKPOINT_EDITED: 0, CHAIN_ROW_EDITED: 1}
        return min(self.findings, key=lambda f: (f.position, order.get(f.kind, 2)), default=None)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "context": self.context,
            "ok": self.ok,
            "events": self.events,
            "chained_to": self.chained_to,
            "not_yet_chained": self.not_yet_chained,
            "checkpoints": self.checkpoints,
            "last_checkpoint": self.last_checkpoint,
            "first_bad": first.as_dict() if first else None,
        }


@dataclass
class _Pending:
    """The first position where the log and the chain disagree, while the walk looks for what explains it."""

    position: int
    notification: Any
    chained_leaf: bytes
    kind: str = EDITED
    other: int | None = None


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
            conditions, params = [f"context = {self._p}"], [self.context]
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
    def verify(self, public_key: Ed25519PublicKey) -> Report:
        """Recompute the chain from the events and compare it with the chain rows and the signed checkpoints.

        The walk merges the log and the chain rows by position. The first position where they disagree is named
        with the explanation that fits: two positions whose contents, exchanged, match what was chained (swapped);
        the next event matching what was chained here (inserted) or this event matching what was chained next
        (removed, the rest renumbered); a chained position missing (removed), or missing with nothing after it
        (truncated); a logged position the chain skipped (inserted); otherwise edited."""
        report = Report(self.context)
        checkpoints = self.checkpoints()
        report.checkpoints = len(checkpoints)
        if checkpoints:
            last = checkpoints[-1]
            report.last_checkpoint = {"position": last.position, "signed_at": last.signed_at, "key_id": last.key_id}
        for cp in checkpoints:
            if not cp.verifies(public_key):
                why = "signed with another key" if cp.key_id != key_id(public_key) else "its signature does not match"
                report.findings.append(Finding(cp.position, CHECKPOINT_EDITED,
                                               f"the checkpoint at {cp.position} is not valid: {why}"))
        # Only what this deployment's key signed pins the chain; the others are findings above.
        by_position = {cp.position: cp for cp in checkpoints if cp.verifies(public_key)}
        chained_to = self.head()[0]
        report.chained_to = chained_to
        walk = _Walk(self, report, by_position)
        walk.run(chained_to)
        return report


class _Walk:
    """One verification pass over a context's log and chain rows, merged by position."""

    def __init__(self, chain: AuditChain, report: Report, checkpoints: dict[int, Checkpoint]) -> None:
        self.chain = chain
        self.report = report
        self.checkpoints = checkpoints
        self.pending: _Pending | None = None
        self.located = False
        """A finding about the log against the chain rows was made (the first one counts)."""
        self.recomputed = GENESIS
        self.recomputed_ok = True
        self.chain_hash = GENESIS
        self.chain_row_ok = True
        self.last_good_checkpoint = 0

    def run(self, chained_to: int) -> None:
        log = _Peekable(self._log())
        rows = _Peekable(self.chain.rows())
        last_log_position = 0
        while True:
            n, r = log.peek(), rows.peek()
            if n is None and r is None:
                break
            if n is not None and n is _UNREADABLE:
                self._locate(Finding(last_log_position + 1, UNREADABLE,
                                     f"the log cannot be read after position {last_log_position}"))
                break
            if r is None or (n is not None and n.id < r[0]):
                log.next()
                last_log_position = n.id
                self.report.events += 1
                if n.id > chained_to:
                    self.report.not_yet_chained += 1
                else:
                    self._inserted_in_gap(n)
                continue
            if n is None or r[0] < n.id:
                rows.next()
                self._chain_row(r)
                self._missing(r, log_exhausted=n is None)
                self._at_checkpoint(r[0], r)
                continue
            log.next()
            rows.next()
            last_log_position = n.id
            self.report.events += 1
            self._chain_row(r)
            self._compare(n, r, log.peek(), rows.peek())
            self._at_checkpoint(r[0], r)
        self._settle()
        for position in self.checkpoints:
            if position > chained_to:
                if position > last_log_position:
                    self._locate(Finding(last_log_position + 1, TRUNCATED,
                                         f"the log ends at {last_log_position}, before the checkpoint at {position}"))
                else:
                    self._add(Finding(chained_to + 1, CHAIN_ROW_MISSING,
                                      f"the chain ends at {chained_to}, but a checkpoint was signed at {position}: "
                                      f"the chain rows after {chained_to} were removed"))
                break

    def _log(self) -> Iterator[Any]:
        try:
            yield from self.chain.notifications()
        except Exception:  # noqa: BLE001 - a row the recorder cannot decode is a finding, not a crash
            yield _UNREADABLE

    # -- the chain rows themselves --------------------------------------------------------------------
    def _chain_row(self, row: tuple[int, bytes, bytes]) -> None:
        position, leaf_digest, hash_digest = row
        expected = link(self.chain_hash, leaf_digest)
        if self.chain_row_ok and expected != hash_digest:
            self.chain_row_ok = False
            self._add(Finding(position, CHAIN_ROW_EDITED, f"the chain row at {position} was changed: its hash does not "
                                                          "follow from the row before it and its leaf"))
        self.chain_hash = hash_digest

    def _at_checkpoint(self, position: int, row: tuple[int, bytes, bytes]) -> None:
        cp = self.checkpoints.get(position)
        if cp is None:
            return
        if self.chain_row_ok and row[2].hex() != cp.hash:
            self.chain_row_ok = False
            self._add(Finding(position, CHAIN_ROW_EDITED, f"the chain row at {position} does not hold the hash its "
                                                          "signed checkpoint names"))
        if self.recomputed_ok and not self.located and self.recomputed.hex() != cp.hash:
            start = self.last_good_checkpoint + 1
            self._locate(Finding(start, REWRITTEN, f"the events between positions {start} and {position} were "
                                                   f"changed together with their chain rows: the checkpoint signed "
                                                   f"at {position} no longer matches"))
        if self.recomputed_ok and self.recomputed.hex() == cp.hash:
            self.last_good_checkpoint = position
            if self.pending is not None and self.pending.kind == EDITED:
                # The events fold to what was signed: they are authentic, the chain row is what changed.
                self.pending.kind = CHAIN_ROW_EDITED

    # -- the log against the chain ---------------------------------------------------------------------
    def _compare(self, n: Any, row: tuple[int, bytes, bytes], next_log: Any, next_row: Any) -> None:
        digest = leaf_of(n)
        self.recomputed = link(self.recomputed, digest)
        pending = self.pending
        if pending is not None and pending.kind == EDITED and digest != row[1]:
            if _swapped(pending.notification, pending.chained_leaf, n, row[1]):
                pending.kind, pending.other = SWAPPED, n.id
        if digest == row[1] or self.located:
            return
        pending = self.pending = _Pending(n.id, n, row[1])
        self.located = True
        readable = next_log is not None and next_log is not _UNREADABLE
        if readable and next_row is not None and next_log.id == next_row[0] \
                and _swapped(n, row[1], next_log, next_row[1]):
            pending.kind, pending.other = SWAPPED, next_log.id
        elif readable and _leaf_as(next_log, n.id) == row[1]:
            pending.kind = INSERTED
        elif next_row is not None and _leaf_as(n, next_row[0]) == next_row[1]:
            pending.kind = REMOVED

    def _inserted_in_gap(self, n: Any) -> None:
        self.recomputed_ok = False
        self._locate(Finding(n.id, INSERTED, f"the log holds an event at {n.id} ({n.topic} of {n.originator_id} "
                                             f"v{n.originator_version}) that the chain skipped"))

    def _missing(self, row: tuple[int, bytes, bytes], *, log_exhausted: bool) -> None:
        self.recomputed_ok = False
        if log_exhausted:
            self._locate(Finding(row[0], TRUNCATED, f"the log ends before position {row[0]}, which was chained"))
        else:
            self._locate(Finding(row[0], REMOVED, f"the chained position {row[0]} is missing from the log"))

    def _settle(self) -> None:
        pending = self.pending
        if pending is None:
            return
        n = pending.notification
        messages = {
            EDITED: f"the event at {pending.position} ({n.topic} of {n.originator_id} v{n.originator_version}) is not "
                    f"what was chained: its payload, topic, id or version was changed",
            SWAPPED: f"the events at {pending.position} and {pending.other} were swapped",
            INSERTED: f"an event was inserted at {pending.position}, the events after it renumbered",
            REMOVED: f"the event at {pending.position} was removed, the events after it renumbered",
            CHAIN_ROW_EDITED: f"the chain row at {pending.position} was changed: the events fold to the signed "
                              f"checkpoint, its leaf does not",
        }
        self._add(Finding(pending.position, pending.kind, messages[pending.kind], pending.other))

    def _locate(self, finding: Finding) -> None:
        if not self.located:
            self.located = True
            self._add(finding)

    def _add(self, finding: Finding) -> None:
        self.report.findings.append(finding)


def _leaf_as(n: Any, position: int) -> bytes:
    return leaf(position, n.originator_id, n.originator_version, n.topic, n.state)


def _swapped(first: Any, first_chained: bytes, second: Any, second_chained: bytes) -> bool:
    """Whether exchanging the two rows (whole, or their topics and states) gives back what was chained."""
    whole = (_leaf_as(second, first.id) == first_chained and _leaf_as(first, second.id) == second_chained)
    contents = (
        leaf(first.id, first.originator_id, first.originator_version, second.topic, second.state) == first_chained
        and leaf(second.id, second.originator_id, second.originator_version, first.topic, first.state)
        == second_chained)
    return whole or contents


class _Unreadable:
    id = -1


_UNREADABLE: Any = _Unreadable()


class _Peekable:
    def __init__(self, iterator: Iterator[Any]) -> None:
        self._it = iterator
        self._head: Any = None
        self._filled = False

    def peek(self) -> Any:
        if not self._filled:
            self._head = next(self._it, None)
            self._filled = True
        return self._head

    def next(self) -> Any:
        value = self.peek()
        self._filled = False
        return value


# -- keeping the chains up to date --------------------------------------------------------------------------
class Keeper:
    """Extends every context's chain and checkpoints it every `checkpoint_events` new events or every
    `checkpoint_seconds` (when something new was chained), so no proof runs longer than about `checkpoint_events`
    leaves. Several keepers may run: a chain's writers take its lock."""

    def __init__(self, chains: dict[str, AuditChain], key: Ed25519PrivateKey, *, checkpoint_events: int = 1000,
                 checkpoint_seconds: float = 60.0, clock: Any = None, on_checkpoint: Any = None) -> None:
        import time

        if checkpoint_events < 1 or checkpoint_seconds <= 0:
            raise ValueError("checkpoint every 1 or more events, and every more than 0 seconds")
        self.chains = chains
        self.key = key
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.clock = clock or time.monotonic
        self.on_checkpoint = on_checkpoint or (lambda checkpoint: None)
        started = self.clock()
        self._signed_at = {context: started for context in chains}

    def tick(self) -> list[Checkpoint]:
        """One round: chain what is new in every context, checkpoint where due; the checkpoints made."""
        made = []
        for context, chain in self.chains.items():
            unsigned = chain.status()["unsigned"]
            while True:
                room = max(1, self.checkpoint_events - unsigned)
                added = chain.extend(limit=room)
                unsigned += added
                now = self.clock()
                due = unsigned >= self.checkpoint_events or (
                    unsigned > 0 and now - self._signed_at[context] >= self.checkpoint_seconds)
                if due:
                    checkpoint = chain.checkpoint(self.key)
                    self._signed_at[context] = now
                    unsigned = 0
                    if checkpoint is not None:
                        made.append(checkpoint)
                        self.on_checkpoint(checkpoint)
                if added < room:
                    break
        return made

    def checkpoint_now(self) -> dict[str, Checkpoint | None]:
        """Chain everything and checkpoint every context now."""
        done = {}
        for context, chain in self.chains.items():
            chain.extend()
            done[context] = chain.checkpoint(self.key)
            self._signed_at[context] = self.clock()
        return done

"""The data subjects' keys: one random AES-256 key per subject, wrapped by the deployment's master key.

The keys have a store of their own: `<data dir>/keys/subject-keys.sqlite3` (durable commits, deleted content
overwritten with zeros), or the `subject_keys` table of the deployment's PostgreSQL database, which every process
and machine of the deployment shares. A row holds the key wrapped (AES-GCM under the master key, the subject's id as
associated data); destroying a key empties its row for good and keeps when it happened, so sealing for that subject
is refused from then on. After a destruction the SQLite write-ahead log is checkpointed and truncated, and
PostgreSQL's table vacuumed, so the old key's bytes do not linger in the store.

The master key is derived (HKDF-SHA256) from the deployment's secret, or read from a key file (32 random bytes,
DUALTRACK_MASTER_KEY_FILE) so that the secret that signs tokens can be rotated on its own.

Keys are cached in the process for `cache_seconds` (5 by default): a destruction by another process of the
deployment takes effect here within that time; in the destroying process at once.

A new data subject (a student being enrolled) is given an id whose key was made ahead, with others, in one durable
write (`new_subject`): enrolling does not wait for a write to the key store of its own. What a process had made
ahead and not given when it ends stays in the store as keys of no one: they seal nothing.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.common.sealing import SubjectErased
from services.common.viewstore import ViewDatabase

TABLE = "subject_keys"
AHEAD = 32
"""New subjects' keys made ahead in one write (`new_subject`)."""
PREFETCH_CHUNK = 500
"""Subjects whose keys one query reads (SQLite takes at most 32,766 parameters a statement)."""
MASTER_KEY_INFO = b"dualtrack subject keys v1"


class KeyDatabase(ViewDatabase):
    """The keys' own database: on SQLite every commit is on disk before it returns, deleted content is zeroed."""

    def _connection(self) -> Any:
        fresh = getattr(self._local, "conn", None) is None
        conn = super()._connection()
        if fresh and not self.is_postgres:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")
        return conn

    def read_all(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Every row of one SELECT, as committed now (on SQLite without the writer's lock, as `read_one`)."""
        if self.is_postgres:
            with self.transaction() as tx:
                return tx.execute(sql, params).fetchall()
        return [tuple(row) for row in self._connection().execute(sql, params).fetchall()]

    def read_one(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """One row of one SELECT, as committed now. On SQLite a statement of its own (in WAL mode a reader waits for
        no writer), not a transaction that takes the writer's lock: every new subject's key is read before it is
        made, and that read must not queue behind another process's durable commit."""
        if self.is_postgres:
            with self.transaction() as tx:
                return tx.execute(sql, params).fetchone()
        row = self._connection().execute(sql, params).fetchone()
        return tuple(row) if row is not None else None


def master_key_from_secret(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MASTER_KEY_INFO).derive(secret.encode())


class MemoryKeys:
    """Keys held in this process only (tests, the in-memory deployment): lost when it ends."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def key_for(self, subject: str) -> bytes:
        with self._lock:
            key = self._keys.setdefault(subject, AESGCM.generate_key(256))
        if key is None:
            raise SubjectErased(subject)
        return key

    def key_of(self, subject: str) -> bytes | None:
        return self._keys.get(subject)

    def prefetch(self, subjects: Iterable[str]) -> None:
        pass

    def new_subject(self) -> str:
        return str(uuid.uuid4())  # its key is made when first asked for: nothing to wait for here

    def destroy(self, subjects: Iterable[str]) -> int:
        chosen = set(subjects)
        with self._lock:
            for subject in chosen:
                self._keys[subject] = None
        return len(chosen)

    def subjects(self, prefix: str) -> list[str]:
        """The subjects whose id starts with `prefix` and whose key is not destroyed."""
        return [s for s, key in self._keys.items() if s.startswith(prefix) and key is not None]

    def close(self) -> None:
        pass

    def erased_at(self, subject: str) -> datetime | None:
        return datetime.now(UTC) if subject in self._keys and self._keys[subject] is None else None


class StoredKeys:
    """The keys in their store (see the module's docstring)."""

    def __init__(self, db: KeyDatabase, master_key: bytes, *, cache_seconds: float = 5.0) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key is 32 bytes")
        self._db, self._master, self._cache_seconds = db, AESGCM(master_key), cache_seconds
        self._cache: dict[str, tuple[bytes | None, float]] = {}
        self._ahead: list[tuple[str, bytes]] = []
        self._ahead_lock = threading.Lock()
        with db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (subject TEXT PRIMARY KEY, wrapped BYTEA, "
                       "created_at TEXT NOT NULL, erased_at TEXT)" if db.is_postgres else
                       f"CREATE TABLE IF NOT EXISTS {TABLE} (subject TEXT PRIMARY KEY, wrapped BLOB, "
                       "created_at TEXT NOT NULL, erased_at TEXT)")

    def new_subject(self) -> str:
        with self._ahead_lock:
            if not self._ahead:
                drawn = os.urandom(AHEAD * 60)  # for each: an id (16 bytes), a key (32), its wrapping's nonce (12)
                made = [(str(uuid.UUID(bytes=drawn[i:i + 16], version=4)), drawn[i + 16:i + 48])
                        for i in range(0, AHEAD * 60, 60)]
                nonces = [drawn[i + 48:i + 60] for i in range(0, AHEAD * 60, 60)]
                with self._db.transaction() as tx:
                    tx.executemany(f"INSERT INTO {TABLE} (subject, wrapped, created_at) VALUES (?, ?, ?)",
                                   [(subject, self._wrapped(subject, key, nonce), _now())
                                    for (subject, key), nonce in zip(made, nonces, strict=True)])
                self._ahead = made
            subject, key = self._ahead.pop()
        self._cache[subject] = (key, time.monotonic())
        return subject

    def _wrapped(self, subject: str, key: bytes, nonce: bytes | None = None) -> bytes:
        nonce = nonce or os.urandom(12)
        return nonce + self._master.encrypt(nonce, key, subject.encode())

    def key_for(self, subject: str) -> bytes:
        key = self.key_of(subject)
        if key is not None:
            return key
        # No key found: make one, unless another process of the deployment made (or destroyed) it meanwhile.
        fresh = AESGCM.generate_key(256)
        wrapped = self._wrapped(subject, fresh)
        with self._db.transaction() as tx:
            made = tx.execute(f"INSERT INTO {TABLE} (subject, wrapped, created_at) VALUES (?, ?, ?) "
                              "ON CONFLICT (subject) DO NOTHING", (subject, wrapped, _now())).rowcount == 1
        if made:  # ours is the one stored (committed durably): no need to read it back
            self._cache[subject] = (fresh, time.monotonic())
            return fresh
        self._cache.pop(subject, None)
        key = self.key_of(subject)  # the one stored: a concurrent writer's, or none if destroyed
        if key is None:
            raise SubjectErased(subject)
        return key

    def key_of(self, subject: str) -> bytes | None:
        cached = self._cache.get(subject)
        if cached is not None and (cached[0] is None or time.monotonic() - cached[1] < self._cache_seconds):
            return cached[0]
        row = self._row(subject)
        key = self._unwrapped(subject, row[0]) if row is not None else None
        if row is not None:  # an unknown subject is not cached: its key may be made by another process
            self._cache[subject] = (key, time.monotonic())
        return key

    def prefetch(self, subjects: Iterable[str]) -> None:
        """Read many subjects' keys in a few queries, for a reader about to open values of each (the roster of a
        whole province, an export): one query a key would cost a round trip each."""
        now = time.monotonic()
        wanted = sorted({s for s in subjects if (c := self._cache.get(s)) is None or now - c[1] >= self._cache_seconds})
        for start in range(0, len(wanted), PREFETCH_CHUNK):
            chunk = wanted[start:start + PREFETCH_CHUNK]
            rows = self._db.read_all(f"SELECT subject, wrapped FROM {TABLE} WHERE subject IN "
                                     f"({', '.join('?' for _ in chunk)})", chunk)
            read = time.monotonic()
            for subject, wrapped in rows:
                self._cache[subject] = (self._unwrapped(subject, wrapped), read)

    def _unwrapped(self, subject: str, wrapped: Any) -> bytes | None:
        if wrapped is None:  # destroyed
            return None
        wrapped = bytes(wrapped)
        return self._master.decrypt(wrapped[:12], wrapped[12:], subject.encode())

    def close(self) -> None:
        self._db.close()

    def erased_at(self, subject: str) -> datetime | None:
        row = self._row(subject)
        return datetime.fromisoformat(row[1]) if row is not None and row[1] else None

    def subjects(self, prefix: str) -> list[str]:
        """The subjects whose id starts with `prefix` and whose key is not destroyed."""
        with self._db.transaction() as tx:
            rows = tx.execute(f"SELECT subject FROM {TABLE} WHERE wrapped IS NOT NULL AND subject LIKE ?",
                              (prefix.replace("%", "").replace("_", "") + "%",)).fetchall()
        return [r[0] for r in rows if r[0].startswith(prefix)]

    def destroy(self, subjects: Iterable[str]) -> int:
        """Destroy the subjects' keys (also of subjects that have none yet, so none is ever made); how many."""
        subjects = sorted(set(subjects))
        now = _now()
        with self._db.transaction() as tx:
            tx.executemany(f"INSERT INTO {TABLE} (subject, wrapped, created_at, erased_at) VALUES (?, NULL, ?, ?) "
                           "ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, "
                           f"erased_at = COALESCE({TABLE}.erased_at, excluded.erased_at)",
                           [(s, now, now) for s in subjects])
        for subject in subjects:
            self._cache[subject] = (None, time.monotonic())
        self._db.scrub(TABLE)
        return len(subjects)

    def _row(self, subject: str) -> tuple[bytes | None, str | None] | None:
        row = self._db.read_one(f"SELECT wrapped, erased_at FROM {TABLE} WHERE subject = ?", (subject,))
        return (row[0], row[1]) if row is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat()

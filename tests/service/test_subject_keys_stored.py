"""The data subjects' keys in their store (services/common/subject_keys.py), as several processes of a deployment
share it: reading a key waits for no other process's write, a new subject gets exactly one key however many make it
at once, and a destroyed key is never made again."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.common.sealing import SubjectErased
from services.common.subject_keys import AHEAD, TABLE, KeyDatabase, StoredKeys, master_key_from_secret

pytestmark = pytest.mark.stored

MASTER = master_key_from_secret("a-secret-long-enough-for-the-master-key-derivation")


@pytest.fixture
def store_url(tmp_path: Path, database_url: str | None) -> str:
    return database_url or str(tmp_path / "keys" / "subject-keys.sqlite3")


def keys_of_a_process(url: str) -> StoredKeys:
    """The keys as one process of the deployment opens them (its own connection, its own cache)."""
    return StoredKeys(KeyDatabase(url), MASTER)


@pytest.fixture
def two_processes(store_url: str) -> Iterator[tuple[StoredKeys, StoredKeys]]:
    first, second = keys_of_a_process(store_url), keys_of_a_process(store_url)
    yield first, second
    first.close()
    second.close()


def open_writer(url: str) -> Any:
    """Another process in the middle of writing to the keys' store (its transaction not committed yet)."""
    if url.startswith("postgresql"):
        conn: Any = psycopg.connect(url)
        conn.execute(f"INSERT INTO {TABLE} (subject, wrapped, created_at) VALUES ('writer', NULL, 'now')")
        return conn
    conn = sqlite3.connect(url, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"INSERT INTO {TABLE} (subject, wrapped, created_at) VALUES ('writer', NULL, 'now')")
    return conn


def test_given_another_process_in_the_middle_of_a_write_when_a_known_key_is_read_then_it_is_answered(
        two_processes: tuple[StoredKeys, StoredKeys], store_url: str) -> None:
    maker, reader = two_processes
    made = maker.key_for("student:liu")
    writer = open_writer(store_url)
    try:
        assert reader.key_of("student:liu") == made
        assert reader.key_of("student:nobody") is None
    finally:
        writer.rollback()
        writer.close()


def test_given_two_processes_making_a_new_subjects_key_at_once_then_both_seal_with_the_one_stored(
        two_processes: tuple[StoredKeys, StoredKeys]) -> None:
    first, second = two_processes
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda n: (first if n % 2 else second).key_for("student:he"), range(16)))
    assert len(set(keys)) == 1
    assert keys_of_a_process_key(first, "student:he") == keys[0]


def keys_of_a_process_key(keys: StoredKeys, subject: str) -> bytes | None:
    keys._cache.clear()
    return keys.key_of(subject)


def test_given_a_destroyed_key_when_any_process_seals_for_that_subject_again_then_it_is_refused(
        two_processes: tuple[StoredKeys, StoredKeys]) -> None:
    first, second = two_processes
    first.key_for("student:zhao")
    first.destroy(["student:zhao", "student:never-enrolled"])
    for subject in ("student:zhao", "student:never-enrolled"):
        with pytest.raises(SubjectErased):
            second.key_for(subject)
        assert second.key_of(subject) is None


def test_given_many_subjects_when_another_process_prefetches_their_keys_then_each_opens_without_a_query_of_its_own(
        two_processes: tuple[StoredKeys, StoredKeys], monkeypatch: pytest.MonkeyPatch) -> None:
    maker, reader = two_processes
    subjects = [f"student-{n:04d}" for n in range(1_200)]
    made = {s: maker.key_for(s) for s in subjects}
    maker.destroy(["student-0007"])
    reader.prefetch(subjects)
    single_reads: list[str] = []
    monkeypatch.setattr(reader._db, "read_one", lambda sql, params: single_reads.append(params[0]))
    opened = {s: reader.key_of(s) for s in subjects}
    assert single_reads == [], "every key came with the prefetch"
    assert opened["student-0007"] is None, "a destroyed key reads as destroyed"
    assert all(opened[s] == made[s] for s in subjects if s != "student-0007")


def rows_in(url: str) -> int:
    if url.startswith("postgresql"):
        with psycopg.connect(url) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
    with sqlite3.connect(url) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])


def test_given_new_subjects_when_taken_then_each_has_its_own_key_stored_already_made_ahead_in_batches(
        two_processes: tuple[StoredKeys, StoredKeys], store_url: str) -> None:
    taker, other = two_processes
    before = rows_in(store_url)
    taken = [taker.new_subject() for _ in range(AHEAD + 1)]
    assert len(set(taken)) == len(taken) and all(str(uuid.UUID(s)) == s for s in taken)
    assert rows_in(store_url) - before == 2 * AHEAD  # two batches made ahead; the rest waits for the next subjects
    keys = [other.key_of(s) for s in taken]  # another process finds every key: stored before it was given
    assert all(k is not None and len(k) == 32 for k in keys) and len(set(keys)) == len(keys)
    assert [taker.key_for(s) for s in taken] == keys


def test_given_a_new_subject_whose_key_was_destroyed_when_sealing_for_it_then_it_is_refused(
        two_processes: tuple[StoredKeys, StoredKeys]) -> None:
    taker, eraser = two_processes
    subject = taker.new_subject()
    eraser.destroy([subject])
    assert eraser.key_of(subject) is None
    with pytest.raises(SubjectErased):
        eraser.key_for(subject)

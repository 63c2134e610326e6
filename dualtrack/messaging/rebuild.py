"""Rebuild a projection from offset 0 into tables aside and swap them in; or verify the live view
against such a rebuild by comparing digests at the same offsets.

From Kafka, a rebuild of many events reads its partitions in parallel processes
(`dualtrack.messaging.rebuild_worker`: forked when this process runs no other thread, else started afresh), each
applying some partitions into the same aside tables under epochs of its own (their writes are serialised: SQLite's
writer lock, PostgreSQL's advisory lock per tracked name); the swap happens once all are done, in one transaction.
A small rebuild, and one from the event stores (`--embedded`), runs in the rebuilding process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol

from dualtrack.bootstrap import Container
from dualtrack.messaging import rebuild_worker
from dualtrack.messaging.partitions import Partition, rows_of, serialise_writers
from dualtrack.messaging.projector import PoisonMessage, require_same_source
from dualtrack.messaging.rebuild_worker import Share
from services.common.projection import OFFSETS_TABLE, Projection, ensure_offsets_table, stored_offsets
from services.common.viewstore import REBUILD_SUFFIX, Tx
from toolkit.cloudevents import NotACloudEvent

PARALLEL_FROM = 20_000
"""A rebuild from Kafka of fewer events than this runs in the rebuilding process: starting workers costs more."""


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    events: int
    seconds: float
    offsets: dict[tuple[str, int], int]
    workers: int = 1
    """Processes that read the partitions (1: the rebuilding process itself)."""
    forked: bool = False
    """Whether the other processes were forked from the rebuilding one (else started afresh)."""


@dataclass(frozen=True)
class VerifyReport:
    projection: str
    live_digest: str
    rebuilt_digest: str
    offsets: dict[tuple[str, int], int]

    @property
    def matches(self) -> bool:
        return self.live_digest == self.rebuilt_digest


class RebuildFailed(RuntimeError):
    """A worker of a parallel rebuild stopped (a poison message, a view that cannot be written, a lost broker);
    the live tables are untouched."""


@dataclass
class _Built:
    events: int
    seconds: float
    offsets: dict[Partition, int]
    workers: int
    forked: bool = False


def _fresh_aside(container: Container, name: str) -> None:
    projection = container.projection(name)
    with container.view_db.transaction(REBUILD_SUFFIX) as tx:
        ensure_offsets_table(tx)
        projection.drop_tables(tx)
        tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name + REBUILD_SUFFIX,))
        projection.create_tables(tx)


def _build_aside(
    container: Container, name: str, *, embedded: bool, until: dict[tuple[str, int], int] | None,
    on_batch: Callable[[int], None] | None, workers: int | None = None, parallel_from: int = PARALLEL_FROM,
) -> _Built:
    _fresh_aside(container, name)
    started = time.perf_counter()
    if not embedded:
        available = _kafka_ends(container, name)
        ends = available if until is None else dict(until)
        require_same_source(ends, available)
        count = _worker_count(container, ends, workers, parallel_from)
        if count > 1:
            return _build_in_parallel(container, name, ends, count, on_batch, started)
    projector = container.projector(name, embedded=embedded, suffix=REBUILD_SUFFIX, batch_size=5000)
    try:
        projector.catch_up(until, on_batch=on_batch)
    finally:
        projector.source.close()
    return _Built(projector.progress.applied + projector.progress.skipped, time.perf_counter() - started,
                  dict(projector.offsets), 1)


def _kafka_ends(container: Container, name: str) -> dict[Partition, int]:
    source = container.source(container.projection(name))
    try:
        return dict(source.end_offsets())
    finally:
        source.close()


def _worker_count(container: Container, ends: dict[Partition, int], asked: int | None, parallel_from: int) -> int:
    busy = sum(1 for end in ends.values() if end)
    if sum(ends.values()) < parallel_from or busy < 2:
        return 1
    wanted = asked if asked is not None else container.settings.rebuild_workers
    if wanted <= 0:
        wanted = (os.cpu_count() or 1) + 1
    return max(1, min(wanted, busy))


def shares_of(ends: dict[Partition, int], workers: int) -> list[dict[Partition, int]]:
    """The partitions split into `workers` shares of about as many events each (the largest first, each to the
    share with the fewest so far); empty partitions go along too, so every partition gets its offset."""
    shares: list[dict[Partition, int]] = [{} for _ in range(workers)]
    for partition, end in sorted(ends.items(), key=lambda item: (-item[1], item[0])):
        min(shares, key=lambda share: (sum(share.values()), len(share)))[partition] = end
    return [share for share in shares if share]


def _build_in_parallel(container: Container, name: str, ends: dict[Partition, int], workers: int,
                       on_batch: Callable[[int], None] | None, started: float) -> _Built:
    """The first share is read here, the others by worker processes started first; their progress is passed on
    between this process's own batches, then until they are all done."""
    projection = container.projection(name)
    kind = type(projection)
    topics = [container.settings.topic(c) for c in projection.contexts]
    own, *others = shares_of(ends, workers)
    messages: queue.Queue[tuple[int, dict[str, Any] | None]] = queue.Queue()
    processes: list[_Worker] = []
    fork = threading.active_count() == 1  # decided once: the readers started below are threads
    try:
        specs = [Share(f"{kind.__module__}:{kind.__qualname__}", container.view_db.url, container.require_bootstrap(),
                       topics, [(t, p, e) for (t, p), e in sorted(share.items())], REBUILD_SUFFIX).to_json()
                 for share in others]
        for spec in specs:
            processes.append(_ForkedWorker(spec) if fork else _StartedWorker(spec))
        for index, process in enumerate(processes):
            threading.Thread(target=_relay_lines, args=(index, process.stdout, messages), daemon=True).start()
        results: dict[int, dict[str, Any]] = {}
        ended: set[int] = set()

        def own_batch(read: int) -> None:
            if on_batch is not None:
                on_batch(read)
            _take_messages(processes, messages, results, ended, on_batch, block=False)

        projector = container.projector(name, suffix=REBUILD_SUFFIX, partitions=list(own), batch_size=5000)
        try:
            projector.catch_up(own, on_batch=own_batch)
        except (PoisonMessage, NotACloudEvent) as poison:
            raise RebuildFailed(f"rebuild worker 1 of {len(processes) + 1} stopped: {poison}; the live view is "
                                "untouched") from poison
        finally:
            projector.source.close()
        while len(ended) < len(processes):
            _take_messages(processes, messages, results, ended, on_batch, block=True)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    offsets = {(t, p): o for result in results.values() for t, p, o in result["offsets"]}
    offsets.update(projector.offsets)
    events = sum(r["applied"] + r["skipped"] for r in results.values())
    events += projector.progress.applied + projector.progress.skipped
    return _Built(events, time.perf_counter() - started, offsets, len(processes) + 1, fork)


class _Worker(Protocol):
    stdout: IO[str] | None

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...

    def kill(self) -> None: ...


class _StartedWorker(subprocess.Popen[str]):
    """A worker started as a new interpreter (it imports what it needs)."""

    def __init__(self, spec: str) -> None:
        super().__init__([sys.executable, "-m", "dualtrack.messaging.rebuild_worker", spec], stdout=subprocess.PIPE,
                         text=True)


class _ForkedWorker:
    """A worker forked from this process: what it needs is imported already, so it starts reading at once. Only
    forked while this process runs a single thread (a lock another thread held would stay held in the child)."""

    def __init__(self, spec: str) -> None:
        read, write = os.pipe()
        try:
            self._process = multiprocessing.get_context("fork").Process(
                target=rebuild_worker.forked, args=(spec, write), daemon=True)
            self._process.start()
        finally:
            os.close(write)
        self.stdout: IO[str] | None = open(read)  # read to its end, and closed, by _relay_lines

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self) -> int:
        self._process.join()
        return self._process.exitcode or 0

    def kill(self) -> None:
        self._process.kill()


def _relay_lines(index: int, stream: IO[str] | None, messages: queue.Queue[tuple[int, dict[str, Any] | None]]) -> None:
    if stream is not None:
        with stream:
            for line in stream:
                if line.startswith("{"):
                    messages.put((index, json.loads(line)))
    messages.put((index, None))  # its output ended


def _take_messages(processes: list[_Worker], messages: queue.Queue[tuple[int, dict[str, Any] | None]],
                   results: dict[int, dict[str, Any]], ended: set[int], on_batch: Callable[[int], None] | None,
                   *, block: bool) -> None:
    """Pass on what the workers said (all that is waiting; with `block`, at least one message): batches read, a
    worker done, or stopped. Raises RebuildFailed for a worker that stopped or ended without saying it was done."""
    while True:
        try:
            index, message = messages.get(block=block)
        except queue.Empty:
            return
        block = False
        of = f"rebuild worker {index + 2} of {len(processes) + 1}"
        if message is None:
            ended.add(index)
            if index not in results:
                raise RebuildFailed(f"{of} exited ({processes[index].wait()}) before it said it was done; the live "
                                    "view is untouched")
        elif "read" in message:
            if on_batch is not None:
                on_batch(int(message["read"]))
        elif "done" in message:
            results[index] = message["done"]
        elif "error" in message:
            raise RebuildFailed(f"{of} stopped: {message['error']}; the live view is untouched")


def swap_in(tx: Tx, projection: Projection) -> None:
    """Put the aside tables in place of the live ones, and their offsets in place of the live offsets. The live
    partitions keep their epochs: a projector holding one sees the offset moved and continues from there."""
    name = projection.name
    serialise_writers(tx, name)
    for table in projection.all_tables():
        tx.execute(f"DROP TABLE IF EXISTS {table}")
        tx.execute(f"ALTER TABLE {table}{REBUILD_SUFFIX} RENAME TO {table}")
    rebuilt = rows_of(tx, name + REBUILD_SUFFIX)
    live = rows_of(tx, name, for_update=True)
    tx.executemany(
        f"INSERT INTO {OFFSETS_TABLE} (projection, topic, partition_id, next_offset, applied, duplicates) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (projection, topic, partition_id) DO UPDATE SET "
        "next_offset = excluded.next_offset, applied = excluded.applied, duplicates = excluded.duplicates",
        [(name, t, p, row.next_offset, row.applied, row.duplicates) for (t, p), row in sorted(rebuilt.items())],
    )
    tx.executemany(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ? AND topic = ? AND partition_id = ?",
                   [(name, t, p) for (t, p) in sorted(set(live) - set(rebuilt))])
    tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name + REBUILD_SUFFIX,))


def rebuild(
    container: Container, name: str, *, embedded: bool = False, on_batch: Callable[[int], None] | None = None,
    workers: int | None = None, parallel_from: int = PARALLEL_FROM,
) -> RebuildReport:
    """Consume everything from the start into fresh tables, then swap them with the live ones atomically.

    `workers`: processes reading the partitions (default: Settings.rebuild_workers); a rebuild of fewer than
    `parallel_from` events, or from the stores, runs in this process."""
    built = _build_aside(container, name, embedded=embedded, until=None, on_batch=on_batch, workers=workers,
                         parallel_from=parallel_from)
    with container.view_db.transaction() as tx:
        swap_in(tx, container.projection(name))
    return RebuildReport(name, built.events, built.seconds, built.offsets, built.workers, built.forked)


def verify(
    container: Container, name: str, *, embedded: bool = False, on_batch: Callable[[int], None] | None = None,
    workers: int | None = None, parallel_from: int = PARALLEL_FROM,
) -> VerifyReport:
    """Rebuild aside up to exactly the live view's offsets and compare digests; the aside tables are dropped."""
    projection = container.projection(name)
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        projection.create_tables(tx)
        live_offsets = stored_offsets(tx, name)
        live_digest = projection.digest(tx)
    _build_aside(container, name, embedded=embedded, until=live_offsets, on_batch=on_batch, workers=workers,
                 parallel_from=parallel_from)
    with container.view_db.transaction(REBUILD_SUFFIX) as tx:
        rebuilt_digest = projection.digest(tx)
        projection.drop_tables(tx)
        tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name + REBUILD_SUFFIX,))
    return VerifyReport(name, live_digest, rebuilt_digest, live_offsets)

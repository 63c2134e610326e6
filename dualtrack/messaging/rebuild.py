"""Rebuild a projection from offset 0 into tables aside and swap them in; or verify the live view
against such a rebuild by comparing digests at the same offsets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dualtrack.bootstrap import Container
from services.common.projection import OFFSETS_TABLE, ensure_offsets_table, stored_offsets
from services.common.viewstore import REBUILD_SUFFIX


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    events: int
    seconds: float
    offsets: dict[tuple[str, int], int]


@dataclass(frozen=True)
class VerifyReport:
    projection: str
    live_digest: str
    rebuilt_digest: str
    offsets: dict[tuple[str, int], int]

    @property
    def matches(self) -> bool:
        return self.live_digest == self.rebuilt_digest


def _fresh_aside(container: Container, name: str) -> None:
    projection = container.projection(name)
    with container.view_db.transaction(REBUILD_SUFFIX) as tx:
        ensure_offsets_table(tx)
        projection.drop_tables(tx)
        tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name + REBUILD_SUFFIX,))


def _build_aside(
    container: Container, name: str, *, embedded: bool, until: dict[tuple[str, int], int] | None,
    on_batch: Callable[[int], None] | None,
) -> Any:
    import time

    _fresh_aside(container, name)
    projector = container.projector(name, embedded=embedded, suffix=REBUILD_SUFFIX, batch_size=5000)
    started = time.perf_counter()
    try:
        projector.catch_up(until, on_batch=on_batch)
    finally:
        projector.source.close()
    return projector, time.perf_counter() - started


def rebuild(
    container: Container, name: str, *, embedded: bool = False, on_batch: Callable[[int], None] | None = None
) -> RebuildReport:
    """Consume everything from the start into fresh tables, then swap them with the live ones atomically."""
    projector, seconds = _build_aside(container, name, embedded=embedded, until=None, on_batch=on_batch)
    projection = container.projection(name)
    with container.view_db.transaction() as tx:
        for table in projection.all_tables():
            tx.execute(f"DROP TABLE IF EXISTS {table}")
            tx.execute(f"ALTER TABLE {table}{REBUILD_SUFFIX} RENAME TO {table}")
        tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name,))
        tx.execute(f"UPDATE {OFFSETS_TABLE} SET projection = ? WHERE projection = ?", (name, name + REBUILD_SUFFIX))
    return RebuildReport(name, projector.progress.applied + projector.progress.skipped, seconds, projector.offsets)


def verify(
    container: Container, name: str, *, embedded: bool = False, on_batch: Callable[[int], None] | None = None
) -> VerifyReport:
    """Rebuild aside up to exactly the live view's offsets and compare digests; the aside tables are dropped."""
    projection = container.projection(name)
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        projection.create_tables(tx)
        live_offsets = stored_offsets(tx, name)
        live_digest = projection.digest(tx)
    _, _ = _build_aside(container, name, embedded=embedded, until=live_offsets, on_batch=on_batch)
    with container.view_db.transaction(REBUILD_SUFFIX) as tx:
        rebuilt_digest = projection.digest(tx)
        projection.drop_tables(tx)
        tx.execute(f"DELETE FROM {OFFSETS_TABLE} WHERE projection = ?", (name + REBUILD_SUFFIX,))
    return VerifyReport(name, live_digest, rebuilt_digest, live_offsets)

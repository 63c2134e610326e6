"""Reading one's own writes: a command answers with a token naming what it wrote, and a query given
that token waits (for a bounded time) until its read model has applied it.

A token lists `context:aggregate-id:version` items, comma-separated. A read model has applied an
item when the aggregate's version in its versions table has reached it; that is exact for the
caller's own write whatever partition or order the events travelled in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from services.common.viewstore import ViewDatabase

MAX_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Written:
    """One aggregate version a command recorded."""

    context: str
    aggregate_id: str
    version: int

    def __str__(self) -> str:
        return f"{self.context}:{self.aggregate_id}:{self.version}"


def token_of(written: Iterable[Written]) -> str:
    return ",".join(str(w) for w in written)


def parse_token(text: str) -> list[Written]:
    """The items of a token; ValueError says what is wrong with it."""
    items = []
    for part in text.split(","):
        context, _, rest = part.strip().partition(":")
        aggregate_id, _, version = rest.partition(":")
        if not context or not version.isascii() or not version.isdigit():
            raise ValueError("expected context:aggregate-id:version items, comma-separated, as a command answered")
        items.append(Written(context, str(UUID(aggregate_id)), int(version)))
    return items


def has_applied(db: ViewDatabase, projection: str, written: list[Written]) -> bool:
    ids = sorted({w.aggregate_id for w in written})
    marks = ", ".join("?" for _ in ids)
    with db.transaction() as tx:
        rows = tx.execute(f"SELECT aggregate_id, version FROM {projection}_versions WHERE aggregate_id IN ({marks})",
                          ids).fetchall()
    applied = dict(rows)
    return all(applied.get(w.aggregate_id, 0) >= w.version for w in written)


def wait_until_applied(db: ViewDatabase, projection: str, written: list[Written], timeout: float) -> bool:
    """Whether the projection applied every item within `timeout` seconds (at most MAX_WAIT_SECONDS)."""
    deadline = time.monotonic() + min(max(timeout, 0.0), MAX_WAIT_SECONDS)
    pause = 0.01
    while True:
        if has_applied(db, projection, written):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class FollowsProjection:
    """A view over one projection's tables: it can wait until that projection applied a write."""

    projection: str
    contexts: tuple[str, ...]
    _db: ViewDatabase

    def wait_for(self, written: list[Written], timeout: float) -> bool:
        return wait_until_applied(self._db, self.projection, written, timeout)

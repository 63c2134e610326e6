"""The projector: events -> a projection's tables, with the consumed offsets in the same transaction.

On start it reads its stored offsets and seeks the source there, so a crash at any point neither
loses an event nor applies one twice. Every batch checks, in its own transaction, that the stored
offsets are still the ones it continues from: a rebuild swapped in meanwhile sends it back there.
An event the projection cannot apply stops the projector with an error naming where it is (a poison
message is never skipped silently).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from dualtrack.messaging.sources import EventSource, Offsets
from services.common.projection import (
    EventNotApplicable,
    Projection,
    ensure_offsets_table,
    store_offsets,
    stored_offsets,
)
from services.common.viewstore import ViewDatabase
from toolkit.cloudevents import ReceivedEvent

log = logging.getLogger(__name__)


class PoisonMessage(RuntimeError):
    """An event that the projection cannot apply; the projector stops at it."""


@dataclass
class Progress:
    applied: int = 0
    skipped: int = 0


class Projector:
    """Keeps one projection's tables (live, or a set aside under `suffix`) up to date from a source."""

    def __init__(
        self,
        projection: Projection,
        db: ViewDatabase,
        source: EventSource,
        *,
        suffix: str = "",
        batch_size: int = 2000,
    ) -> None:
        self.projection = projection
        self.db = db
        self.source = source
        self.suffix = suffix
        self.batch_size = batch_size
        self.progress = Progress()
        self.tracking_name = projection.name + suffix
        with db.transaction(suffix) as tx:
            ensure_offsets_table(tx)
            projection.create_tables(tx)
            self.offsets: Offsets = stored_offsets(tx, self.tracking_name)
        source.seek(self.offsets)

    def step(self, timeout: float = 0.2, until: Offsets | None = None) -> int:
        """Apply the next batch in one transaction; returns how many events were read.

        With `until`, events at or beyond those offsets are left alone (a verification stops exactly there).
        """
        events = self.source.poll(self.batch_size, timeout)
        if until is not None:
            events = [e for e in events if e.offset < until.get((e.topic, e.partition), 0)]
        if not events:
            return 0
        offsets = dict(self.offsets)
        with self.db.transaction(self.suffix) as tx:
            stored = stored_offsets(tx, self.tracking_name, for_update=True)
            if stored != self.offsets:
                # The tables were swapped under us (a rebuild): what we read may already be in them, or
                # what we applied before may be gone. Start again from what the tables say they hold.
                self.offsets = stored
                self.source.seek(stored)
                return 0
            try:
                outcome = self.projection.apply_batch(tx, events)
            except EventNotApplicable as failure:
                e = cast(ReceivedEvent, failure.event)  # the events given to apply_batch above
                raise PoisonMessage(
                    f"projection {self.projection.name} cannot apply {e.type} {e.id} at "
                    f"{e.topic}[{e.partition}]@{e.offset}: {failure.error!r}"
                ) from failure.error
            applied = sum(outcome)
            self.progress.applied += applied
            self.progress.skipped += len(outcome) - applied
            for event in events:
                offsets[(event.topic, event.partition)] = event.offset + 1
            store_offsets(tx, self.tracking_name, offsets)
        self.offsets = offsets
        return len(events)

    def caught_up_with(self, ends: Offsets) -> bool:
        return all(self.offsets.get(key, 0) >= end for key, end in ends.items())

    def catch_up(self, ends: Offsets | None = None, on_batch: Callable[[int], None] | None = None) -> None:
        """Apply everything up to the given end offsets (default: the source's ends now)."""
        available = self.source.end_offsets()
        ends = available if ends is None else ends
        foreign = sorted(f"{t}[{p}]" for t, p in set(ends) - set(available))
        if foreign:
            raise ValueError(f"positions {foreign} come from another source than this one ({sorted(available)}): "
                             "verify or rebuild a view from the source that feeds it (with or without --embedded)")
        while not self.caught_up_with(ends):
            read = self.step(timeout=1.0, until=ends)
            if on_batch is not None and read:
                on_batch(read)

    def run(self, stop: threading.Event, idle_sleep: float = 0.0) -> None:
        while not stop.is_set():
            if self.step(timeout=0.2) == 0 and idle_sleep:
                time.sleep(idle_sleep)

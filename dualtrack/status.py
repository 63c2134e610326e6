"""How far along everything is: relay positions and parked events, projector offsets, lags. Used by /readyz and
the CLI.

A projection's lag counts only the topics it follows (`Projection.contexts`): the end offset of each of their
partitions less the offset the projection stored for it. A relay's lag is its context's last stored position less
the last one it went through (published or parked). /readyz is not ready when any of them is more than
`Settings.ready_max_lag` events behind (DUALTRACK_READY_MAX_LAG, 1000 by default), when one that is behind has not
advanced for `Settings.ready_max_stall_seconds` (DUALTRACK_READY_MAX_STALL_SECONDS, 60 by default; counted from
when this process first saw it behind at that place), or when a relay has parked events.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import Any

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.messaging.positions import RelayState, relay_states
from services.common.projection import OFFSETS_TABLE, ensure_offsets_table, stored_offsets
from toolkit.http.faults import LAST_FAULT

Partition = tuple[str, int]


def _store_of(container: Container, context: str) -> str:
    container.app(context)  # the store exists (and its file, on SQLite) before we look into it
    if container.settings.uses_postgres:
        return container.settings.database_url or ""
    return str(container.store_path(context))


def relay_position(container: Container, context: str) -> int:
    """How far the relay of `context` has published."""
    return relay_states({context: _store_of(container, context)}, listed=0)[context].published


def relays(container: Container, *, listed: int = 10) -> dict[str, RelayState]:
    """Per context: how far its relay went, and what it parked."""
    return relay_states({c: _store_of(container, c) for c in container.apps()}, listed=listed)


def store_positions(container: Container, states: dict[str, RelayState] | None = None) -> dict[str, dict[str, Any]]:
    """Per context: the last stored event, the last one the relay went through, how far behind it is, and the
    events it parked (how many, and the first of them)."""
    states = relays(container) if states is None else states
    report: dict[str, dict[str, Any]] = {}
    for context, app in container.apps().items():
        state = states[context]
        stored = app.max_position()
        report[context] = {"stored": stored, "published": state.published, "lag": max(0, stored - state.published),
                           "parked": state.parked_count}
        if state.parked_count:
            report[context]["parked_events"] = [p.as_dict() for p in state.parked]
    return report


def projection_offsets(container: Container, name: str) -> dict[str, int]:
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return {f"{t}[{p}]": o for (t, p), o in stored_offsets(tx, name).items()}


def all_projection_offsets(container: Container) -> dict[str, dict[Partition, int]]:
    """Every live projection's stored offsets, in one query."""
    found: dict[str, dict[Partition, int]] = {name: {} for name in PROJECTION_CLASSES}
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        rows = tx.execute(f"SELECT projection, topic, partition_id, next_offset FROM {OFFSETS_TABLE}").fetchall()
    for name, topic, partition, offset in rows:
        if name in found:
            found[name][(topic, int(partition))] = int(offset)
    return found


def end_offsets(container: Container, topics: list[str], *, kept: bool = False) -> dict[Partition, int]:
    """The end offset of every partition of `topics`. With `kept`, on this process's consumer for the broker, kept
    between calls (/readyz is polled: a new consumer costs a connection and a metadata round trip, ~0.1 s)."""
    if kept:
        return KEPT_CONSUMERS.end_offsets(container.require_bootstrap(), topics)
    consumer = _consumer(container.require_bootstrap())
    try:
        return _end_offsets(consumer, topics)
    finally:
        consumer.close()


def _consumer(bootstrap: str) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000, bootstrap_timeout_ms=5000)


def _end_offsets(consumer: Any, topics: list[str]) -> dict[Partition, int]:
    from kafka import TopicPartition

    parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
    return {(tp.topic, tp.partition): o for tp, o in consumer.end_offsets(parts).items()}


class KeptConsumers:
    """One consumer per broker, kept for the process and used one caller at a time; dropped on any error, so the
    next call starts afresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._consumers: dict[str, Any] = {}

    def end_offsets(self, bootstrap: str, topics: list[str]) -> dict[Partition, int]:
        with self._lock:
            consumer = self._consumers.get(bootstrap)
            if consumer is None:
                consumer = self._consumers[bootstrap] = _consumer(bootstrap)
            try:
                return _end_offsets(consumer, topics)
            except Exception:
                del self._consumers[bootstrap]
                try:
                    consumer.close()
                except Exception:  # the broker is gone: nothing to close cleanly
                    pass
                raise


KEPT_CONSUMERS = KeptConsumers()


def topic_end_offsets(container: Container, topics: list[str]) -> dict[str, int]:
    return {f"{t}[{p}]": o for (t, p), o in end_offsets(container, topics).items()}


def projection_lags(container: Container, ends: dict[Partition, int],
                    offsets: dict[str, dict[Partition, int]] | None = None) -> dict[str, int]:
    """Per projection: the events on the topics it follows that it has not applied yet."""
    offsets = all_projection_offsets(container) if offsets is None else offsets
    lags = {}
    for name, projection in PROJECTION_CLASSES.items():
        followed = {container.settings.topic(c) for c in projection.contexts}
        stored = offsets.get(name, {})
        lags[name] = sum(max(0, end - stored.get(key, 0)) for key, end in ends.items() if key[0] in followed)
    return lags


class StallWatch:
    """How long something behind has stayed at the same place, as seen by this process's polls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, ...], tuple[int, float]] = {}

    def stalled_for(self, key: tuple[str, ...], place: int, behind: bool, now: float | None = None) -> float:
        """Seconds `key` has been behind at `place`; 0 when it is not behind or has moved since the last look."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not behind:
                self._seen.pop(key, None)
                return 0.0
            seen = self._seen.get(key)
            if seen is None or seen[0] != place:
                self._seen[key] = (place, now)
                return 0.0
            return now - seen[1]


STALLS = StallWatch()


MIN_FREE_BYTES = 16 * 1024 * 1024
"""Below this much free space under SQLite stores, /readyz says not-ready (commands would soon fail)."""


def readiness(container: Container, watch: StallWatch = STALLS) -> dict[str, Any]:
    """Ready when the database answers, and, with a broker, the broker answers, no relay parked an event, and no
    relay or projection is too far behind or stuck behind (see the module's docstring)."""
    settings = container.settings
    max_lag, max_stall = settings.ready_max_lag, settings.ready_max_stall_seconds
    checks: dict[str, Any] = {"thresholds": {"max_lag": max_lag, "max_stall_seconds": max_stall}}
    reasons: list[str] = []
    try:
        contexts = store_positions(container)
        checks["database"] = {"ok": True, "contexts": contexts}
    except Exception as error:
        checks["database"] = {"ok": False, "error": str(error)}
        return {"ready": False, "reasons": [f"the database does not answer: {error}"], "checks": checks}
    reasons += storage_problems(container, checks)
    if not settings.kafka_bootstrap_servers:
        checks["broker"] = {"ok": True, "mode": "embedded (no broker configured)"}
        return {"ready": not reasons, "reasons": reasons, "checks": checks}

    for context, entry in contexts.items():
        if entry["parked"]:
            first = entry["parked_events"][0]
            reasons.append(f"relay {context} parked {entry['parked']} event(s), the first at position "
                           f"{first['position']} (aggregate {first['aggregate_id']}): {first['cause']}")
        reasons += _behind(watch, ("relay", settings.topic(context)), f"relay {context}", entry["lag"],
                           entry["published"], max_lag, max_stall)
    checks["relays"] = {"ok": not reasons, "lag": {c: e["lag"] for c, e in contexts.items()},
                        "parked": {c: e["parked"] for c, e in contexts.items()}}
    try:
        ends = end_offsets(container, [settings.topic(c) for c in container.apps()], kept=True)
        checks["broker"] = {"ok": True, "end_offsets": {f"{t}[{p}]": o for (t, p), o in ends.items()}}
    except Exception as error:
        checks["broker"] = {"ok": False, "error": str(error)}
        return {"ready": False, "reasons": [*reasons, f"the broker does not answer: {error}"], "checks": checks}
    try:
        offsets = all_projection_offsets(container)
    except Exception as error:
        checks["projections"] = {"ok": False, "error": str(error)}
        return {"ready": False, "reasons": [*reasons, f"the view database does not answer: {error}"],
                "checks": checks}
    lags = projection_lags(container, ends, offsets)
    behind: list[str] = []
    for name, lag in lags.items():
        behind += _behind(watch, ("projection", settings.topic_prefix, name), f"projection {name}", lag,
                          sum(offsets.get(name, {}).values()), max_lag, max_stall)
    checks["projections"] = {"ok": not behind, "lag": lags}
    reasons += behind
    return {"ready": not reasons, "reasons": reasons, "checks": checks}


def storage_problems(container: Container, checks: dict[str, Any]) -> list[str]:
    """A storage fault a request met in the last moments, and, for SQLite files, too little free space left."""
    problems = []
    fault = LAST_FAULT.recent()
    if fault is not None:
        problems.append(f"a request met a storage fault {time.monotonic() - fault.at:.0f}s ago: {fault.cause}")
    settings = container.settings
    storage: dict[str, Any] = {"ok": True}
    if not settings.uses_postgres and not settings.in_memory:
        free = shutil.disk_usage(settings.data_dir).free
        storage.update(free_bytes=free, min_free_bytes=MIN_FREE_BYTES)
        if free < MIN_FREE_BYTES:
            problems.append(f"the data directory {settings.data_dir} has {free // 1024} KiB free "
                            f"(less than {MIN_FREE_BYTES // (1024 * 1024)} MiB)")
    storage["ok"] = not problems
    checks["storage"] = storage
    return problems


def _behind(watch: StallWatch, key: tuple[str, ...], what: str, lag: int, place: int, max_lag: int,
            max_stall: float) -> list[str]:
    stalled = watch.stalled_for(key, place, lag > 0)
    if lag > max_lag:
        return [f"{what} is {lag} events behind (more than {max_lag})"]
    if lag and stalled >= max_stall:
        return [f"{what} is {lag} events behind and has not advanced for {stalled:.0f}s (at most {max_stall:g}s)"]
    return []

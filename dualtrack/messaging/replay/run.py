"""`dualtrack audit replay`: every projection rebuilt aside twice, from Kafka offset 0 and from the event stores,
each compared row by row with the live view as of the same events; differences are listed by primary key.

How like is compared with like. First the live views are frozen: in one snapshot transaction each projection's
tables are copied aside together with the offsets it has consumed. Only then are the sources' ends captured
(Kafka end offsets, the stores' last positions), so whatever a live view has applied lies within them: the
frozen view is never ahead of the captured ends; it may be behind them. Each rebuild then reads its source from
the start up to the captured ends and applies only what the frozen view had applied, decided per event:

- from the source that feeds the live view (Kafka for a projector, the stores for `--embedded`), by the
  live view's own offsets, exactly as `projections verify` does: an event counts if its offset is below the one
  stored for its partition;
- from the other source, whose positions the live offsets do not speak of (a Kafka offset is not a notification
  id, and a relay publishes at least once), by the aggregate versions the frozen view records as applied: an
  event counts if its version is at most the one in `<projection>_versions`. Per-aggregate order holds in both
  sources, and a projection's result does not depend on how aggregates interleave, so the same events give the
  same rows.

Events beyond the frozen view are read and counted (`beyond_live`: how far behind the live view is), never
applied, so a view that is merely behind shows no difference. The two rebuilds are also compared with each
other: when the live view differs from both and they agree, the live view was changed; when they disagree,
one source does not hold what the other holds.

The tables set aside are named `<table>__audit_live`, `__audit_kafka` and `__audit_store`; they are dropped when
the replay ends, and one replay runs at a time (a lock beside the view database). Reading Kafka takes a consumer
of its own with partitions assigned by hand: no consumer group, nothing committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from kafka.errors import KafkaError

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.messaging.locks import exclusive
from dualtrack.messaging.replay.compare import columns_and_key, compare_sides
from dualtrack.messaging.replay.report import ProjectionReplay, ReplayReport, SourceReplay
from dualtrack.messaging.sources import STORE_SUFFIX, EventSource, KafkaSource, Offsets
from services.common.projection import EventNotApplicable, Projection, ensure_offsets_table, stored_offsets
from services.common.viewstore import Tx
from toolkit.cloudevents import NotACloudEvent

LIVE_SUFFIX = "__audit_live"
REBUILT_SUFFIX = {"kafka": "__audit_kafka", "store": "__audit_store"}
MAX_LISTED = 20
"""Rows listed per kind of difference and table; the counts are always complete."""

ProgressCallback = Callable[[str, str, int, int], None]
"""(projection, source, events read in this batch, events up to the captured ends)"""


# -- the replay ---------------------------------------------------------------------------------------------
def replay_all(
    container: Container, *, kafka: bool = True, store: bool = True, on_progress: ProgressCallback | None = None,
    max_listed: int = MAX_LISTED, stall_timeout: float = 60.0,
) -> ReplayReport:
    """Rebuild every projection aside from Kafka and from the stores and list how each differs from its live view."""
    started = time.perf_counter()
    projections = {name: container.projection(name) for name in PROJECTION_CLASSES}
    lock = exclusive(container.view_db.url, "audit-replay", "an audit replay")  # both would use the same tables
    try:
        return _replay_all(container, projections, kafka=kafka, store=store, on_progress=on_progress,
                           max_listed=max_listed, stall_timeout=stall_timeout, started=started)
    finally:
        lock.release()


def _replay_all(
    container: Container, projections: dict[str, Projection], *, kafka: bool, store: bool,
    on_progress: ProgressCallback | None, max_listed: int, stall_timeout: float, started: float,
) -> ReplayReport:
    frozen = _freeze_live(container, projections)

    # The ends are captured after the live views were frozen, so they include everything the views had applied.
    store_ends: Offsets = {}
    if store:
        for context in sorted({c for p in projections.values() for c in p.contexts}):
            store_ends[(container.settings.topic(context) + STORE_SUFFIX, 0)] = container.app(context).max_position()
    kafka_status, kafka_ends = "compared", None
    bootstrap = container.kafka_bootstrap_servers  # configured, or the local broker running for this data directory
    if not kafka:
        kafka_status = "skipped: not asked (--no-kafka)"
    elif not bootstrap:
        kafka_status = "skipped: no Kafka broker configured (KAFKA_BOOTSTRAP_SERVERS)"
    else:
        try:
            kafka_ends = _kafka_end_offsets(bootstrap, [container.settings.topic(c) for c in
                                                        sorted({c for p in projections.values() for c in p.contexts})])
        except KafkaError as error:  # the broker cannot be reached: say so, and still replay the stores
            kafka_status = f"error: {type(error).__name__}: {error}"

    report: dict[str, ProjectionReplay] = {}
    try:
        for name, projection in projections.items():
            live_offsets = frozen[name]
            kafka_topics = {container.settings.topic(c) for c in projection.contexts}
            fed_by = sorted({"store" if t.endswith(STORE_SUFFIX) else "kafka" for t, _ in live_offsets})

            if kafka_ends is not None:
                ends = {k: v for k, v in kafka_ends.items() if k[0] in kafka_topics}
                kafka_replay = _replay_one(
                    container, projection, "kafka", ends, live_offsets,
                    partial(KafkaSource, bootstrap or "", sorted(kafka_topics), group_id="dualtrack-audit-replay"),
                    on_progress, max_listed, stall_timeout,
                )
            else:
                status, _, why = kafka_status.partition(": ")
                kafka_replay = SourceReplay("kafka", status=status, reason=why)

            if store:
                ends = {k: v for k, v in store_ends.items() if k[0][: -len(STORE_SUFFIX)] in kafka_topics}
                store_replay = _replay_one(
                    container, projection, "store", ends, live_offsets,
                    partial(container.source, projection, embedded=True),
                    on_progress, max_listed, stall_timeout,
                )
            else:
                store_replay = SourceReplay("store", status="skipped", reason="not asked")

            agreement = None
            if kafka_replay.status == store_replay.status == "compared":
                agreement = compare_sides(container, projection, REBUILT_SUFFIX["kafka"], REBUILT_SUFFIX["store"],
                                           ("kafka", "store"), max_listed)
            report[name] = ProjectionReplay(
                name, fed_by, {f"{t}[{p}]": o for (t, p), o in sorted(live_offsets.items())},
                kafka_replay, store_replay, agreement,
            )
            _drop_aside(container, projection)
    finally:
        for projection in projections.values():
            _drop_aside(container, projection)
    return ReplayReport(
        report,
        {t[: -len(STORE_SUFFIX)]: end for (t, _), end in sorted(store_ends.items())},
        None if kafka_ends is None else {f"{t}[{p}]": o for (t, p), o in sorted(kafka_ends.items())},
        kafka_status,
        time.perf_counter() - started,
    )


def _freeze_live(container: Container, projections: dict[str, Projection]) -> dict[str, Offsets]:
    """Copy every live view aside with its consumed offsets, all in one snapshot of the view database.

    The copies get the projection's own table definitions (keys included): the other source's rebuild looks
    aggregate versions up in them batch by batch.
    """
    frozen: dict[str, Offsets] = {}
    for projection in projections.values():
        _drop_aside(container, projection)
    with container.view_db.transaction(snapshot=True) as tx:
        ensure_offsets_table(tx)
        for name, projection in projections.items():
            projection.create_tables(tx)  # a view nobody projected yet is simply empty
            projection.create_tables(tx.with_suffix(LIVE_SUFFIX))
            for table, definition in projection.all_tables().items():
                cols = ", ".join(columns_and_key(definition)[0])
                tx.execute(f"INSERT INTO {table}{LIVE_SUFFIX} ({cols}) SELECT {cols} FROM {table}")
            frozen[name] = stored_offsets(tx, name)
    return frozen


def _drop_aside(container: Container, projection: Projection) -> None:
    with container.view_db.transaction() as tx:
        for suffix in (LIVE_SUFFIX, *REBUILT_SUFFIX.values()):
            projection.drop_tables(tx.with_suffix(suffix))


def _kafka_end_offsets(bootstrap: str, topics: list[str]) -> Offsets:
    """The end offsets of every partition of the topics; a topic that does not exist yet holds nothing."""
    try:
        source = KafkaSource(bootstrap, topics, group_id="dualtrack-audit-replay")
    except LookupError:
        return {}
    try:
        return source.end_offsets()
    finally:
        source.close()


def _replay_one(
    container: Container, projection: Projection, kind: str, ends: Offsets, live_offsets: Offsets,
    open_source: Callable[[], EventSource], on_progress: ProgressCallback | None, max_listed: int,
    stall_timeout: float,
) -> SourceReplay:
    """Read `kind` from the start up to `ends` into fresh aside tables, applying what the frozen view had applied."""
    started = time.perf_counter()
    suffix = REBUILT_SUFFIX[kind]
    own = {k: v for k, v in live_offsets.items() if (k[0].endswith(STORE_SUFFIX)) == (kind == "store")}
    result = SourceReplay(kind, as_of="live offsets" if own else "live aggregate versions",
                          up_to={f"{t}[{p}]": o for (t, p), o in sorted(ends.items())})
    with container.view_db.transaction(suffix) as tx:
        projection.drop_tables(tx)
        projection.create_tables(tx)
    total = sum(ends.values())
    try:
        if any(ends.values()):
            source = open_source()
            try:
                _read_and_apply(container, projection, source, ends, own or None, suffix, result,
                                lambda n: on_progress(projection.name, kind, n, total) if on_progress else None,
                                stall_timeout)
            finally:
                source.close()
    except (EventNotApplicable, NotACloudEvent) as failure:
        result.status, result.reason = "error", f"the projection cannot apply an event of this source: {failure}"
    except TimeoutError as stalled:
        result.status, result.reason = "error", str(stalled)
    except KafkaError as error:
        if kind != "kafka":
            raise
        result.status, result.reason = "error", f"{type(error).__name__}: {error}"
    if result.status == "error":
        result.seconds = time.perf_counter() - started
        return result
    result.differences = compare_sides(container, projection, LIVE_SUFFIX, suffix, ("live", "rebuilt"), max_listed)
    result.seconds = time.perf_counter() - started
    return result


def _read_and_apply(
    container: Container, projection: Projection, source: EventSource, ends: Offsets, own: Offsets | None,
    suffix: str, result: SourceReplay, on_batch: Callable[[int], None], stall_timeout: float,
) -> None:
    source.seek({})
    positions: Offsets = {}
    last_progress = time.monotonic()
    while any(positions.get(k, 0) < end for k, end in ends.items()):
        events = [e for e in source.poll(5000, 1.0) if e.offset < ends.get((e.topic, e.partition), 0)]
        if not events:
            if time.monotonic() - last_progress > stall_timeout:
                behind = {f"{t}[{p}]": f"{positions.get((t, p), 0)}/{end}" for (t, p), end in ends.items()
                          if positions.get((t, p), 0) < end}
                raise TimeoutError(f"no records for {stall_timeout:.0f}s before the captured ends: {behind}")
            continue
        last_progress = time.monotonic()
        for e in events:
            positions[(e.topic, e.partition)] = e.offset + 1
        result.events_read += len(events)
        with container.view_db.transaction(suffix) as tx:
            if own is not None:
                kept = [e for e in events if e.offset < own.get((e.topic, e.partition), 0)]
            else:
                applied = _frozen_versions(tx, projection, {e.subject for e in events})
                kept = [e for e in events if e.aggregate_version <= applied.get(e.subject, 0)]
            result.beyond_live += len(events) - len(kept)
            outcome = projection.apply_batch(tx, kept)
        result.events_applied += sum(outcome)
        result.duplicates += len(outcome) - sum(outcome)
        on_batch(len(events))


def _frozen_versions(tx: Tx, projection: Projection, subjects: set[str]) -> dict[str, int]:
    table = projection.versions_table + LIVE_SUFFIX
    found: dict[str, int] = {}
    ids = sorted(subjects)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(tx.execute(f"SELECT aggregate_id, version FROM {table} WHERE aggregate_id IN ({marks})",
                                chunk).fetchall())
    return found

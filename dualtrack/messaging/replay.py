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

import json
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable, Sequence

from kafka.errors import KafkaError

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from toolkit.cloudevents import NotACloudEvent
from dualtrack.messaging.locks import exclusive
from dualtrack.messaging.sources import STORE_SUFFIX, EventSource, KafkaSource, Offsets
from services.common.projection import EventNotApplicable, Projection, ensure_offsets_table, stored_offsets
from services.common.viewstore import Tx

LIVE_SUFFIX = "__audit_live"
REBUILT_SUFFIX = {"kafka": "__audit_kafka", "store": "__audit_store"}
MAX_LISTED = 20
"""Rows listed per kind of difference and table; the counts are always complete."""

ProgressCallback = Callable[[str, str, int, int], None]
"""(projection, source, events read in this batch, events up to the captured ends)"""


# -- the report ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowDifference:
    """A primary key present on both sides with different values in some columns."""

    key: dict[str, Any]
    columns: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class TableDifferences:
    """The rows of one table that only one side has, or that differ, by primary key (listed up to a cap)."""

    table: str
    left: str
    right: str
    only_left: list[dict[str, Any]]
    only_right: list[dict[str, Any]]
    different: list[RowDifference]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "counts": self.counts,
            f"only_{self.left}": self.only_left,
            f"only_{self.right}": self.only_right,
            "different": [
                {"key": d.key, "columns": {c: {self.left: a, self.right: b} for c, (a, b) in d.columns.items()}}
                for d in self.different
            ],
        }


@dataclass
class SourceReplay:
    """One projection rebuilt from one source and compared with the frozen live view."""

    source: str
    status: str = "compared"
    """compared | skipped (not asked, or no broker configured) | error (the source could not be replayed)"""
    reason: str | None = None
    as_of: str | None = None
    """live offsets (the source that feeds the view) | live aggregate versions (the other one)"""
    up_to: dict[str, int] = field(default_factory=dict)
    events_read: int = 0
    events_applied: int = 0
    duplicates: int = 0
    beyond_live: int = 0
    seconds: float = 0.0
    differences: list[TableDifferences] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.status == "compared" and not self.differences

    def to_dict(self) -> dict[str, Any]:
        if self.status == "skipped":
            return {"status": "skipped", "reason": self.reason}
        out: dict[str, Any] = {"status": self.status}
        if self.reason:
            out["reason"] = self.reason
        out.update({
            "matches": self.matches, "as_of": self.as_of, "up_to": self.up_to, "events_read": self.events_read,
            "events_applied": self.events_applied, "duplicates_skipped": self.duplicates,
            "beyond_live": self.beyond_live, "seconds": round(self.seconds, 3),
            "differences": [d.to_dict() for d in self.differences],
        })
        return out


@dataclass
class ProjectionReplay:
    name: str
    fed_by: list[str]
    """Which source the live offsets come from: ["kafka"], ["store"], or [] when nothing was applied yet."""
    live_offsets: dict[str, int]
    kafka: SourceReplay
    store: SourceReplay
    agreement: list[TableDifferences] | None = None
    """Kafka's rebuild against the store's; None when one of them was not compared."""

    @property
    def kafka_and_store_agree(self) -> bool | None:
        return None if self.agreement is None else not self.agreement

    @property
    def has_differences(self) -> bool:
        return bool(self.kafka.differences or self.store.differences or self.agreement)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fed_by": self.fed_by, "live_offsets": self.live_offsets,
            "kafka": self.kafka.to_dict(), "store": self.store.to_dict(),
            "kafka_and_store_agree": self.kafka_and_store_agree,
            **({"kafka_vs_store": [d.to_dict() for d in self.agreement]} if self.agreement else {}),
        }


@dataclass
class ReplayReport:
    projections: dict[str, ProjectionReplay]
    store_positions: dict[str, int]
    kafka_end_offsets: dict[str, int] | None
    kafka: str
    """compared | skipped: <why> | error: <why>"""
    seconds: float

    @property
    def has_differences(self) -> bool:
        return any(p.has_differences for p in self.projections.values())

    @property
    def errors(self) -> list[str]:
        return [f"{p.name} from {s.source}: {s.reason}" for p in self.projections.values()
                for s in (p.kafka, p.store) if s.status == "error"]

    @property
    def ok(self) -> bool:
        """No difference anywhere and every source asked for was read (a skipped one is reported, not failed)."""
        return not self.has_differences and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "differences": self.has_differences, "errors": self.errors, "kafka": self.kafka,
            "positions": {"store": self.store_positions, "kafka": self.kafka_end_offsets},
            "seconds": round(self.seconds, 3),
            "projections": {name: p.to_dict() for name, p in self.projections.items()},
        }


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
    bootstrap = container.settings.kafka_bootstrap_servers
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
                agreement = _compare_sides(container, projection, REBUILT_SUFFIX["kafka"], REBUILT_SUFFIX["store"],
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
    result.differences = _compare_sides(container, projection, LIVE_SUFFIX, suffix, ("live", "rebuilt"), max_listed)
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


# -- row by row ---------------------------------------------------------------------------------------------
def _compare_sides(
    container: Container, projection: Projection, left: str, right: str, labels: tuple[str, str], max_listed: int,
) -> list[TableDifferences]:
    found = []
    with container.view_db.transaction() as tx:
        for table, definition in sorted(projection.all_tables().items()):
            columns, key = columns_and_key(definition)
            diff = _compare_table(tx, table, columns, key, left, right, labels, max_listed)
            if diff is not None:
                found.append(diff)
    return found


def _compare_table(
    tx: Tx, table: str, columns: list[str], key: list[str], left: str, right: str, labels: tuple[str, str],
    max_listed: int,
) -> TableDifferences | None:
    """Rows of each side missing from the other (EXCEPT: NULLs compare equal), then paired by primary key."""
    cols = ", ".join(columns)
    a_tab, b_tab = table + left, table + right
    only_a = tx.execute(f"SELECT {cols} FROM {a_tab} EXCEPT SELECT {cols} FROM {b_tab}").fetchall()
    only_b = tx.execute(f"SELECT {cols} FROM {b_tab} EXCEPT SELECT {cols} FROM {a_tab}").fetchall()
    if not only_a and not only_b:
        return None
    at = [columns.index(k) for k in key]
    a_rows = {tuple(r[i] for i in at): dict(zip(columns, r)) for r in only_a}
    b_rows = {tuple(r[i] for i in at): dict(zip(columns, r)) for r in only_b}
    both = _sorted(a_rows.keys() & b_rows.keys())
    different = [
        RowDifference(
            {k: a_rows[pk][k] for k in key},
            {c: (a_rows[pk][c], b_rows[pk][c]) for c in columns if a_rows[pk][c] != b_rows[pk][c]},
        )
        for pk in both
    ]
    only_left = [a_rows[pk] for pk in _sorted(a_rows.keys() - b_rows.keys())]
    only_right = [b_rows[pk] for pk in _sorted(b_rows.keys() - a_rows.keys())]
    return TableDifferences(
        table, labels[0], labels[1], only_left[:max_listed], only_right[:max_listed], different[:max_listed],
        {f"only_{labels[0]}": len(only_left), f"only_{labels[1]}": len(only_right), "different": len(different)},
    )


def _sorted(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(keys, key=lambda k: json.dumps(k, default=str))


def columns_and_key(definition: str) -> tuple[list[str], list[str]]:
    """The column names and primary key of a table definition (`Projection.tables`); no key: the whole row."""
    columns: list[str] = []
    key: list[str] = []
    for part in _top_level_parts(definition):
        words = part.split()
        head = words[0].upper()
        if head in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"):
            if head == "PRIMARY":
                key = [c.strip() for c in part[part.index("(") + 1:part.rindex(")")].split(",")]
            continue
        columns.append(words[0])
        if "PRIMARY KEY" in " ".join(words[1:]).upper():
            key = [words[0]]
    return columns, key or list(columns)


def _top_level_parts(definition: str) -> Sequence[str]:
    parts, depth, current = [], 0, []
    for ch in definition:
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += (ch == "(") - (ch == ")")
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def summary(report: ReplayReport) -> str:
    """One line per projection and source, for people (the JSON report is for machines)."""
    lines = []
    for name, p in report.projections.items():
        for s in (p.kafka, p.store):
            if s.status != "compared":
                lines.append(f"{name:<20} {s.source:<6} {s.status}: {s.reason}")
                continue
            diffs = sum(sum(d.counts.values()) for d in s.differences)
            lines.append(f"{name:<20} {s.source:<6} {'ok' if s.matches else f'{diffs} row(s) differ'} "
                         f"({s.events_applied} applied, {s.beyond_live} beyond the live view, as of {s.as_of})")
    return "\n".join(lines)

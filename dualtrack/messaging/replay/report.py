"""The replay's report: per projection and source, whether the rebuild matches the frozen live view, how far
behind the live view was, and the rows that differ by primary key; as JSON for machines, a summary for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

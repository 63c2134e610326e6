"""Figures, the table that shows them and the JSON file that keeps them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import JustifyMethod
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured rate, and (where there is one) the bare reference it is compared with."""

    name: str
    events: int
    seconds: float
    reference_seconds: float | None = None
    target: float | None = None
    """The lowest acceptable ratio (figure events/s ÷ reference events/s); None: no target."""
    note: str = ""
    trials: dict[str, list[float]] = field(default_factory=dict)
    """Every timing taken, in seconds, by what was timed; the figure keeps the best of each."""
    p99_ms: float | None = None
    """A latency figure's p99, in milliseconds; met when at most `p99_limit_ms`."""
    p99_limit_ms: float | None = None
    p50_ms: float | None = None
    """A latency figure's median, in milliseconds; where `p50_limit_ms` is set, met only when at most that too."""
    p50_limit_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    @property
    def reference_rate(self) -> float | None:
        if self.reference_seconds is None:
            return None
        return self.events / self.reference_seconds if self.reference_seconds > 0 else float("inf")

    @property
    def ratio(self) -> float | None:
        reference = self.reference_rate
        return None if reference is None else self.rate / reference

    @property
    def status(self) -> str:
        """'met', 'MISSED' or '' (no target)."""
        if self.p99_limit_ms is not None and self.p99_ms is not None:
            p50_met = self.p50_limit_ms is None or (self.p50_ms is not None and self.p50_ms <= self.p50_limit_ms)
            return "met" if self.p99_ms <= self.p99_limit_ms and p50_met else "MISSED"
        if self.target is None or self.ratio is None:
            return ""
        return "met" if self.ratio >= self.target else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "events_per_second": self.rate,
            "reference_events_per_second": self.reference_rate,
            "ratio": self.ratio,
            "status": self.status,
        }


def best_of(timings: list[float]) -> float:
    """The fastest of repeated timings: noise on a shared machine only ever makes a run slower."""
    return min(timings)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _target(f: Figure) -> str:
    if f.p99_limit_ms is not None:
        measured = "" if f.p99_ms is None else f" {f.p99_ms:.2f}"
        return f"p99{measured} <= {f.p99_limit_ms:.0f} ms"
    return "—" if f.target is None else f">= {f.target:.2f}"


def figures_table(figures: list[Figure], title: str = "dualtrack bench") -> Table:
    """A rich table: one row per figure, a missed target in bold red."""
    table = Table(title=title)
    columns: list[tuple[str, JustifyMethod]] = [
        ("figure", "left"), ("events", "right"), ("seconds", "right"), ("events/s", "right"),
        ("reference/s", "right"), ("ratio", "right"), ("target", "right"), ("", "left"),
    ]
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for f in figures:
        status = {"met": "[green]met[/green]", "MISSED": "[bold red]MISSED[/bold red]"}.get(f.status, "")
        table.add_row(
            f.name, f"{f.events:,}", f"{f.seconds:.2f}", _rate(f.rate), _rate(f.reference_rate),
            _ratio(f.ratio), _target(f), status,
            style="red" if f.status == "MISSED" else None,
        )
    notes = [f"{f.name}: {f.note}" for f in figures if f.note]
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table


def report_document(figures: list[Figure], context: dict[str, Any]) -> dict[str, Any]:
    """What goes into the JSON file: the run's context and every figure with its derived numbers."""
    return {
        "context": context,
        "figures": [f.as_dict() for f in figures],
        "missed": [f.name for f in figures if f.status == "MISSED"],
    }


def write_report(document: dict[str, Any], directory: Path, now: datetime | None = None) -> Path:
    """Write the document as `bench-<UTC timestamp>.json` in the directory; return the file's path."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path

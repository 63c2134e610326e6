"""The table and the JSON of `python -m bench.scale`: each size's figures, and each time per event, so that a cost
growing faster than the data shows as a per-event figure that grows from the smallest size to the largest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

Row = tuple[str, Callable[[dict[str, Any]], float | None], str, bool]
"""Label, the figure of a size, its format, and whether a per-event figure (µs or bytes per event) follows it."""


def _get(*keys: str) -> Callable[[dict[str, Any]], float | None]:
    def found(size: dict[str, Any]) -> float | None:
        value: Any = size
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None
    return found


def _sum_views(size: dict[str, Any]) -> float | None:
    views = size.get("disk", {}).get("views_bytes")
    return float(sum(views.values())) if views else None


def _sum_stores(size: dict[str, Any]) -> float | None:
    stores = size.get("disk", {}).get("stores_bytes")
    return float(sum(stores.values())) if stores else None


def rows(sizes: list[dict[str, Any]]) -> list[Row]:
    projections = sorted({name for s in sizes for name in s.get("rebuild", {})})
    queries = sorted({name for s in sizes for name in s.get("load", {}).get("queries", {})})
    found: list[Row] = [
        ("events", _get("events"), "{:,.0f}", False),
        ("generate (s)", _get("generate", "seconds"), "{:,.1f}", True),
        ("relay, every context (s)", _get("relay", "seconds"), "{:,.1f}", True),
    ]
    found += [(f"rebuild {p} (s)", _get("rebuild", p, "seconds"), "{:,.1f}", True) for p in projections]
    found += [
        ("command p50 at 100/s (ms)", _get("load", "command", "p50_ms"), "{:,.1f}", False),
        ("command p99 at 100/s (ms)", _get("load", "command", "p99_ms"), "{:,.1f}", False),
    ]
    for q in queries:
        found += [(f"{q} p50 under load (ms)", _get("load", "queries", q, "p50_ms"), "{:,.1f}", False),
                  (f"{q} p99 under load (ms)", _get("load", "queries", q, "p99_ms"), "{:,.1f}", False),
                  (f"{q} p50 alone (ms)", _get("load", "queries_without_load", q, "p50_ms"), "{:,.1f}", False),
                  (f"{q} first, cold (ms)", _get("load", "queries_first", q, "first_ms"), "{:,.1f}", False)]
    found += [
        ("database (MB)", lambda s: _mb(_get("disk", "database_bytes")(s)), "{:,.1f}", True),
        ("  event stores (MB)", lambda s: _mb(_sum_stores(s)), "{:,.1f}", True),
        ("  read models (MB)", lambda s: _mb(_sum_views(s)), "{:,.1f}", True),
        ("Kafka log (MB)", lambda s: _mb(_get("disk", "kafka_bytes")(s)), "{:,.1f}", True),
    ]
    return found


def _mb(value: float | None) -> float | None:
    return None if value is None else value / 1e6


def per_event(label: str, value: float | None, events: float | None) -> float | None:
    """µs per event for a time, bytes per event for a size."""
    if value is None or not events:
        return None
    return value * 1e6 / events  # seconds → µs; MB → bytes


def scale_table(sizes: list[dict[str, Any]]) -> Table:
    table = Table(title="dualtrack at province scale (PostgreSQL stores and views, Kafka)")
    table.add_column("figure")
    for size in sizes:
        table.add_column(f"{size['students']:,} students", justify="right")
    table.add_column("per event, each size", justify="right")
    table.add_column("largest ÷ smallest per event", justify="right")
    for label, figure, fmt, normalised in rows(sizes):
        values = [figure(s) for s in sizes]
        cells = ["-" if v is None else fmt.format(v) for v in values]
        per, growth = "", ""
        if normalised:
            unit = "µs" if "(s)" in label else "B"
            each = [per_event(label, v, s.get("events")) for v, s in zip(values, sizes)]
            per = " / ".join("-" if e is None else f"{e:,.0f}" for e in each) + f" {unit}"
            known = [e for e in each if e]
            if len(known) > 1:
                growth = f"{known[-1] / known[0]:.2f}×"
        table.add_row(label, *cells, per, growth)
    return table


def write_report(sizes: list[dict[str, Any]], context: dict[str, Any], directory: Path, stamp: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"scale-{stamp}.json"
    path.write_text(json.dumps({"context": context, "sizes": sizes}, indent=2, default=str) + "\n")
    return path

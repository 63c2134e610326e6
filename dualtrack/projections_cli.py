"""`dualtrack projections ...`: status, rebuild and verification of the read models."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from dualtrack.bootstrap import PROJECTION_CLASSES, Container, NoBroker
from dualtrack.cli_support import settings_from_env as _settings
from dualtrack.settings import CONTEXTS


# -- projections ----------------------------------------------------------------------------------
@click.group()
def projections() -> None:
    """Status, rebuild and verification of the read models."""


@projections.command("status")
def projections_status() -> None:
    """Stored, published and parked positions per context; per projection its offsets and lag (on its own topics)
    and, per partition, who holds it (host:pid, since when, at which epoch) and how many events it applied and
    skipped as duplicates."""
    from dualtrack.status import all_projection_offsets, end_offsets, projection_lags, store_positions

    container = Container(_settings())
    report: dict[str, Any] = {"contexts": store_positions(container), "projections": {}}
    offsets = all_projection_offsets(container)
    lags = None
    if container.kafka_bootstrap_servers:  # configured, or the local broker running for this data directory
        lags = projection_lags(container, end_offsets(container, [container.settings.topic(c) for c in CONTEXTS]),
                               offsets)
    partitions = _partitions(container)
    for name in PROJECTION_CLASSES:
        entry: dict[str, Any] = {"offsets": {f"{t}[{p}]": o for (t, p), o in offsets[name].items()}}
        if lags is not None:
            entry["lag"] = lags[name]
        entry["partitions"] = partitions[name]
        report["projections"][name] = entry
    click.echo(json.dumps(report, indent=2))
    container.close()


def _partitions(container: Container) -> dict[str, dict[str, dict[str, Any]]]:
    from dualtrack.messaging.partitions import rows_of
    from services.common.projection import ensure_offsets_table

    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return {name: {f"{t}[{p}]": {"offset": row.next_offset, "holder": row.holder, "since": row.held_since,
                                     "epoch": row.epoch, "applied": row.applied, "duplicates": row.duplicates}
                       for (t, p), row in sorted(rows_of(tx, name).items())}
                for name in PROJECTION_CLASSES}


@contextmanager
def _broker_needed(container: Container) -> Iterator[None]:
    """For a command whose job needs the broker: no broker, one that does not answer, or topics that do not exist
    are said in one line (exit 1), never a traceback."""
    from kafka.errors import KafkaError

    try:
        yield
    except NoBroker as none:
        raise click.ClickException(str(none)) from None
    except KafkaError as error:
        raise click.ClickException(f"Kafka at {container.kafka_bootstrap_servers} cannot be reached: "
                                   f"{type(error).__name__}: {error}") from None
    except LookupError as missing:  # the topics do not exist yet: nothing was ever relayed to this broker
        if isinstance(missing, (KeyError, IndexError)):
            raise
        raise click.ClickException(f"Kafka at {container.kafka_bootstrap_servers}: {missing}") from None


def _progress_bar(description: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(description), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>10,.0f} events/s"), TimeElapsedColumn(), transient=False,
    )


def _with_progress(container: Container, name: str, embedded: bool, description: str, action: Any) -> Any:
    from dualtrack.status import topic_end_offsets

    if embedded:
        total = sum(container.app(c).max_position() for c in container.projection(name).contexts)
    else:
        ends = topic_end_offsets(container, [container.settings.topic(c) for c in container.projection(name).contexts])
        total = sum(ends.values())
    started = time.perf_counter()
    with _progress_bar(description) as bar:
        task = bar.add_task(name, total=total, rate=0.0)
        done = 0

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, completed=done, rate=done / max(1e-9, time.perf_counter() - started))

        return action(on_batch)


@projections.command("rebuild")
@click.argument("name", type=click.Choice(sorted(PROJECTION_CLASSES)))
@click.option("--embedded", is_flag=True, help="Read the event stores instead of Kafka.")
def projections_rebuild(name: str, embedded: bool) -> None:
    """Rebuild NAME from offset 0 into fresh tables, then swap them in atomically."""
    from dualtrack.messaging.projector import PoisonMessage
    from dualtrack.messaging.rebuild import RebuildFailed, rebuild

    container = Container(_settings())
    try:
        with _broker_needed(container):
            report = _with_progress(container, name, embedded, f"rebuilding {name}",
                                    lambda cb: rebuild(container, name, embedded=embedded, on_batch=cb))
    except (ValueError, RebuildFailed, PoisonMessage) as error:
        raise click.ClickException(str(error)) from None
    processes = (f", {report.workers} processes ({'forked' if report.forked else 'started afresh'})"
                 if report.workers > 1 else "")
    click.echo(f"rebuilt {name}: {report.events} events in {report.seconds:.2f}s "
               f"({report.events / max(report.seconds, 1e-9):,.0f} events/s{processes})")
    container.close()


@projections.command("verify")
@click.argument("name", type=click.Choice(sorted(PROJECTION_CLASSES)))
@click.option("--embedded", is_flag=True, help="Read the event stores instead of Kafka.")
def projections_verify(name: str, embedded: bool) -> None:
    """Rebuild NAME aside up to the live offsets and compare digests; exit 1 when they differ."""
    from dualtrack.messaging.projector import PoisonMessage
    from dualtrack.messaging.rebuild import RebuildFailed, verify

    container = Container(_settings())
    try:
        with _broker_needed(container):
            report = _with_progress(container, name, embedded, f"verifying {name}",
                                    lambda cb: verify(container, name, embedded=embedded, on_batch=cb))
    except (ValueError, RebuildFailed, PoisonMessage) as error:
        raise click.ClickException(str(error)) from None
    container.close()
    click.echo(json.dumps({"projection": name, "matches": report.matches, "live": report.live_digest,
                           "rebuilt": report.rebuilt_digest}, indent=2))
    if not report.matches:
        sys.exit(1)

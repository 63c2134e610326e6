"""`python -m bench`: measure, print the table, write the JSON. Exits 0 even when a target is missed."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import as_of_bench, command_path, freshness
from bench.broker import kafka_broker
from bench.report import Figure, figures_table, report_document, write_report
from bench.run import BenchRun
from dualtrack.settings import Settings

DEFAULT_EVENTS = 200_000
REPORT_DIR = Path("var") / "bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events to generate (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="relay and bare producer runs each, alternating; the best counts (default %(default)s)")
    parser.add_argument("--rebuild-repeats", type=int, default=2,
                        help="rebuild and bare consumer runs each, alternating (default %(default)s)")
    parser.add_argument("--relay-batch-size", type=int, default=None,
                        help="notifications per publish_batch() (default: the relay's own default)")
    parser.add_argument("--report-dir", type=Path, default=REPORT_DIR, help="where the JSON goes (default %(default)s)")
    parser.add_argument("--only", choices=["command-path", "freshness", "as-of", "rebuild"], default=None,
                        help="take only this figure (command-path: dualtrack serve vs a plain Flask app; no broker; "
                        "freshness: 201 -> read model through Kafka; as-of: a three-year student's as-of progress; "
                        "rebuild: import, relay and the parallel rebuild vs a bare consumer)")
    parser.add_argument("--freshness-samples", type=int, default=300,
                        help="freshness: enrolments, 20 a second (default %(default)s)")
    parser.add_argument("--as-of-questions", type=int, default=400,
                        help="as-of: random (day, moment) questions (default %(default)s)")
    parser.add_argument("--command-rounds", type=int, default=3,
                        help="command path: turns of each app, alternating (default %(default)s)")
    args = parser.parse_args(argv)
    if args.events < 2 or args.repeats < 1 or args.rebuild_repeats < 1:
        parser.error("--events must be at least 2 and the repeats at least 1")
    return args


def measure(args: argparse.Namespace, settings: Settings, console: Console) -> tuple[list[Figure], dict[str, Any]]:
    """Start (or find) the broker, generate into a fresh data dir, and take every figure."""
    with kafka_broker(settings) as broker, tempfile.TemporaryDirectory(prefix="dualtrack-bench-data-") as data_dir:
        console.print(f"broker: {broker.bootstrap_servers} ({broker.description}); data dir {data_dir}")
        run = BenchRun(broker, Path(data_dir), settings.topic_partitions, say=console.print)
        try:
            figures = [run.import_figure(args.events)]
            console.print(f"relay vs bare producer, {args.repeats} run(s) each:")
            figures.append(run.relay_figure(args.repeats, args.relay_batch_size))
            console.print(f"rebuild vs bare consumer, {args.rebuild_repeats} run(s) each:")
            figures.append(run.rebuild_figure(args.rebuild_repeats))
            if args.only != "rebuild":
                console.print(f"freshness, 201 -> progress read model through Kafka, {args.freshness_samples} "
                              "enrolments:")
                figures += freshness.measure(args.freshness_samples, say=console.print, broker=broker)
        finally:
            run.close()
        context = {
            "broker": broker.description,
            "topic_partitions": settings.topic_partitions,
            "relay_batch_size": run.relay_batch_size,
            "repeats": args.repeats,
            "rebuild_repeats": args.rebuild_repeats,
        }
    return figures, context


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "kafka_python": version("kafka-python"),
        "eventsourcing": version("eventsourcing"),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=100)  # piped (make, CI): wide enough for the table
    started = time.perf_counter()
    if args.only == "command-path":
        figures, context = command_path.measure(rounds=args.command_rounds, say=console.print), dict[str, Any]()
    elif args.only == "freshness":
        figures, context = freshness.measure(args.freshness_samples, say=console.print), dict[str, Any]()
    elif args.only == "as-of":
        figures, context = as_of_bench.measure(args.as_of_questions, say=console.print), dict[str, Any]()
    elif args.only == "rebuild":
        figures, context = measure(args, Settings.from_env(), console)
    else:
        figures, context = measure(args, Settings.from_env(), console)
        console.print(f"command path, dualtrack serve vs a plain Flask app, {args.command_rounds} turn(s) each:")
        figures += command_path.measure(rounds=args.command_rounds, say=console.print)
        console.print(f"as of, a student with three years of records, {args.as_of_questions} questions:")
        figures += as_of_bench.measure(args.as_of_questions, say=console.print)
    context.update(machine(), events=args.events, total_seconds=round(time.perf_counter() - started, 2))
    console.print(figures_table(figures))
    document = report_document(figures, context)
    if document["missed"]:
        console.print(f"[bold red]target missed:[/bold red] {', '.join(document['missed'])}")
    path = write_report(document, args.report_dir)
    console.print(f"bench took {context['total_seconds']:.0f} s; figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

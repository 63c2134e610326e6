"""`python -m bench.scale`: a province-sized run on PostgreSQL and Kafka, at several sizes, and its cost curve.

For each size (students; about 20 events each), on a fresh database and fresh topics: generate the province through
the applications (bench/scale_generate.py), relay every context to Kafka (`container.relay(ctx)`, `publish_batch()`
until nothing is left), rebuild each projection from Kafka (`dualtrack.messaging.rebuild.rebuild`, partitions in
parallel processes as `dualtrack projections rebuild` does), measure the disk used (the database per store and per
read model, the Kafka log), then serve it and measure the command p99 at 100 requests a second and the heaviest
queries meanwhile (bench/scale_load.py). Prints a table (bench/scale_report.py) and writes var/bench/scale-<time>.json.

PostgreSQL: $DUALTRACK_SCALE_POSTGRES_URL (a server of your own; a database per size is created in it and dropped
after), else a throwaway cluster (tests/support/postgres.py: fsync off, as for the tests). Kafka:
$KAFKA_BOOTSTRAP_SERVERS, else a LocalKafkaBroker in a temp dir.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from rich.console import Console

from bench import scale_load
from bench.__main__ import machine
from bench.broker import delete_topics
from bench.scale_generate import generate
from bench.scale_report import scale_table, write_report
from dualtrack.bootstrap import Container
from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.messaging.rebuild import rebuild
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.wiring import PROJECTION_CLASSES

DEFAULT_SIZES = "5000,15000,50000"
REPORT_DIR = Path("var") / "bench"
Say = Callable[[str], None]


@contextmanager
def postgres_server(say: Say) -> Iterator[str]:
    """A maintenance URL of a PostgreSQL server: $DUALTRACK_SCALE_POSTGRES_URL, else a throwaway cluster."""
    configured = os.environ.get("DUALTRACK_SCALE_POSTGRES_URL")
    if configured:
        say(f"PostgreSQL: {configured} (DUALTRACK_SCALE_POSTGRES_URL)")
        yield configured
        return
    # The tests' throwaway cluster, imported by name: tests/ is outside mypy's files and stays so.
    throwaway = importlib.import_module("tests.support.postgres").ThrowawayPostgres
    with throwaway(database="scale_bench") as pg:
        say(f"PostgreSQL: a throwaway cluster at {pg.url} (fsync off)")
        yield pg.url or ""


@contextmanager
def kafka(settings: Settings, say: Say) -> Iterator[tuple[str, Path | None]]:
    """The broker's bootstrap servers, and its data dir when this run owns it (for the log size)."""
    if settings.kafka_bootstrap_servers:
        say(f"Kafka: {settings.kafka_bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS)")
        yield settings.kafka_bootstrap_servers, None
        return
    with tempfile.TemporaryDirectory(prefix="dualtrack-scale-kafka-") as data_dir:
        broker = LocalKafkaBroker(Path(data_dir), cache_dir=settings.kafka_cache_dir, heap="1g")
        try:
            bootstrap = broker.start()
            say(f"Kafka: a LocalKafkaBroker at {bootstrap} in {data_dir}")
            yield bootstrap, Path(data_dir)
        finally:
            broker.stop()


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def disk(url: str, kafka_dir: Path | None, topic_prefix: str) -> dict[str, Any]:
    """The database's size, each table's (with its indexes and TOAST), and the Kafka log of the run's topics."""
    with psycopg.connect(url) as conn:
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') ORDER BY 2 DESC").fetchall()
    tables = {str(name): int(size) for name, size in rows}
    stores = {ctx: sum(s for t, s in tables.items() if t.startswith(ctx)) for ctx in (*CONTEXTS, "identity")}
    views = {name: sum(s for t, s in tables.items() if t.startswith(name)) for name in PROJECTION_CLASSES}
    other = sum(tables.values()) - sum(stores.values()) - sum(views.values())
    found: dict[str, Any] = {"database_bytes": int(database[0]) if database else 0, "stores_bytes": stores,
                             "views_bytes": views, "other_tables_bytes": other, "tables_bytes": tables}
    if kafka_dir is not None:
        logs = 0
        for root, _dirs, files in os.walk(kafka_dir):
            if Path(root).name.startswith(topic_prefix + "."):
                logs += sum(os.stat(Path(root) / f).st_blocks * 512 for f in files)  # on disk: indexes are sparse
        found["kafka_bytes"] = logs
    return found


def relay_all(container: Container, say: Say) -> dict[str, Any]:
    container.ensure_topics()
    per_context: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for ctx in CONTEXTS:
        relay = container.relay(ctx)
        try:
            t0 = time.perf_counter()
            while relay.publish_batch():
                pass
            per_context[ctx] = {"seconds": round(time.perf_counter() - t0, 2), "events": relay.published}
        finally:
            relay.close()
    seconds = time.perf_counter() - started
    events = sum(int(c["events"]) for c in per_context.values())
    say(f"    relayed {events:,} events in {seconds:.1f} s ({events / seconds:,.0f}/s)")
    return {"seconds": round(seconds, 2), "events": events, "contexts": per_context}


def rebuild_all(container: Container, say: Say) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in PROJECTION_CLASSES:
        started = time.perf_counter()
        report = rebuild(container, name)
        seconds = time.perf_counter() - started
        found[name] = {"seconds": round(seconds, 2), "events": report.events, "workers": report.workers,
                       "catch_up_seconds": round(report.seconds, 2)}
        say(f"    rebuilt {name}: {report.events:,} events in {seconds:.1f} s with {report.workers} process(es)")
    return found


def run_size(students: int, pg_url: str, bootstrap: str, kafka_dir: Path | None, work: Path, stamp: str,
             load_seconds: float, say: Say) -> dict[str, Any]:
    database, prefix = f"scale_{students}_{stamp}", f"scale{students}-{stamp}"
    url = with_database(pg_url, database)
    _admin(pg_url, f'CREATE DATABASE "{database}"')
    data_dir = work / f"size-{students}"
    settings = Settings(data_dir=data_dir, database_url=url, kafka_bootstrap_servers=bootstrap, topic_prefix=prefix,
                        secret_key=scale_load.SECRET)
    result: dict[str, Any] = {"students": students}
    try:
        container = Container(settings).open()
        try:
            say(f"  generating {students:,} students")
            province = generate(container, students, say=say)
            result["shape"] = vars(province.shape)
            result["events"] = province.total_events
            result["events_by_context"] = province.events
            result["generate"] = {"seconds": round(province.seconds, 2), "saves": province.saves,
                                  "events_per_second": round(province.total_events / province.seconds)}
            say(f"    {province.total_events:,} events in {province.seconds:.1f} s "
                f"({province.total_events / province.seconds:,.0f}/s)")
            result["relay"] = relay_all(container, say)
            result["rebuild"] = rebuild_all(container, say)
        finally:
            container.close()
        result["disk"] = disk(url, kafka_dir, prefix)
        say(f"    disk: database {result['disk']['database_bytes'] / 1e6:,.0f} MB, Kafka "
            f"{result['disk'].get('kafka_bytes', 0) / 1e6:,.0f} MB")
        say(f"  serving it: enrolments at 100/s for {load_seconds:.0f} s, the queries meanwhile")
        result["load"] = scale_load.measure(settings, province, data_dir, seconds=load_seconds, say=say)
        load = result["load"]
        say(f"    command p50 {load['command']['p50_ms']} ms p99 {load['command']['p99_ms']} ms; " + "; ".join(
            f"{n} p50 {q.get('p50_ms')} p99 {q.get('p99_ms')} ms" for n, q in load["queries"].items()))
    finally:
        delete_topics(bootstrap, [settings.topic(c) for c in CONTEXTS])
        _admin(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help="students per size, comma-separated, about 20 events each (default %(default)s)")
    parser.add_argument("--load-seconds", type=float, default=30.0,
                        help="seconds of enrolments at 100/s per size (default %(default)s)")
    parser.add_argument("--report-dir", type=Path, default=REPORT_DIR, help="where the JSON goes (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        args.students = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: whole numbers separated by commas, not {args.sizes!r}")
    if not args.students or min(args.students) < 30:
        parser.error("--sizes: at least one size, each of at least 30 students (a class)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=140)
    say = console.print
    started = time.perf_counter()
    stamp = time.strftime("%Y%m%d%H%M%S")
    settings = Settings.from_env()
    sizes: list[dict[str, Any]] = []
    with ExitStack() as stack:
        pg_url = stack.enter_context(postgres_server(say))
        bootstrap, kafka_dir = stack.enter_context(kafka(settings, say))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dualtrack-scale-")))
        for students in args.students:
            say(f"[bold]{students:,} students[/bold]")
            began = time.perf_counter()
            sizes.append(run_size(students, pg_url, bootstrap, kafka_dir, work, stamp, args.load_seconds, say))
            sizes[-1]["seconds"] = round(time.perf_counter() - began, 1)
            write_report(sizes, {"partial": True}, args.report_dir, stamp)  # a size that finished is kept
    context = {**machine(), "topic_partitions": settings.topic_partitions, "sizes": args.students,
               "total_seconds": round(time.perf_counter() - started, 1), "partial": False,
               "postgres": "DUALTRACK_SCALE_POSTGRES_URL" if os.environ.get("DUALTRACK_SCALE_POSTGRES_URL")
               else "throwaway cluster, fsync off"}
    console.print(scale_table(sizes))
    path = write_report(sizes, context, args.report_dir, stamp)
    console.print(f"bench.scale took {context['total_seconds']:.0f} s; figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

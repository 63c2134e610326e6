"""`dualtrack audit`: the tamper-evident chain over every context's log (keep, checkpoint, verify) and a student's
or centre's record exported with its proofs (export, verify-export)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from dualtrack.bootstrap import Container
from dualtrack.cli_support import settings_from_env as _settings
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.trust_options import trust_options, trusted

log = logging.getLogger("dualtrack.audit")


@click.group()
def audit() -> None:
    """Tamper evidence and exports: hash chains over the event logs with signed checkpoints."""




def _signing_keys(settings: Settings) -> Any:
    """The deployment's key store, its checkpoints and exports keys made now if missing (a broken key: exit 1)."""
    from services.common.signing_keys import key_store

    store = key_store(settings)
    try:
        store.signer("checkpoints")
        store.signer("exports")
    except (OSError, ValueError, TypeError) as error:
        raise click.ClickException(f"cannot use the signing keys under {store.folder}: {error}") from None
    return store


def _checkpoints_key(store: Any) -> Any:
    """A function giving the current checkpoints key each time: a rotation is picked up by a running keeper."""
    return lambda: store.signer("checkpoints")[1]


def _chains(container: Container, contexts: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {c: container.chain(c) for c in contexts}


def _close(chains: dict[str, Any], container: Container) -> None:
    for chain in chains.values():
        chain.close()
    container.close()


@audit.command("keep")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between rounds of extending.")
@click.option("--checkpoint-events", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Checkpoint a context once this many events were chained since its last checkpoint...")
@click.option("--checkpoint-seconds", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="...or once this many seconds passed and something new was chained.")
def keep(interval: float, checkpoint_events: int, checkpoint_seconds: float) -> None:
    """Keep every context's chain up to date until stopped (SIGTERM/SIGINT); each checkpoint is also logged, a copy
    of it outside the database."""
    from dualtrack.cli import _stop_on_signals
    from dualtrack.logs import configure_logging
    from services.audit.chain import Keeper

    settings = _settings()
    configure_logging(settings.log_level, "audit-keeper")
    stop = _stop_on_signals()
    key = _checkpoints_key(_signing_keys(settings))
    while not stop.is_set():
        container = Container(settings)
        chains: dict[str, Any] = {}
        try:
            chains = _chains(container, list(CONTEXTS))
            keeper = Keeper(chains, key, checkpoint_events=checkpoint_events, checkpoint_seconds=checkpoint_seconds,
                            on_checkpoint=_log_checkpoint)
            _keep(keeper, stop, interval, container.audit)
        except Exception as error:  # the database may be starting or gone for a while: try again
            log.warning("audit keeper: %s; retrying", error)
            stop.wait(min(max(interval, 1.0) * 5, 30))
        finally:
            _close(chains, container)


WINDOWS_EVERY = 60.0
"""Seconds between two closings of the windows of repeated reads that are over (their counts become events even when
nobody reads the student again)."""


def _keep(keeper: Any, stop: threading.Event, interval: float, reads: Any) -> None:
    closed_at = 0.0
    while not stop.is_set():
        keeper.tick()
        if time.monotonic() - closed_at >= WINDOWS_EVERY:
            reads.close_windows_over()
            closed_at = time.monotonic()
        stop.wait(interval)


def _log_checkpoint(checkpoint: Any) -> None:
    log.info("audit checkpoint", extra={"checkpoint": checkpoint.as_dict()})


@audit.command("checkpoint")
def checkpoint() -> None:
    """Chain every context's new events and sign a checkpoint of each now; prints them (JSON)."""
    from services.audit.chain import Keeper

    settings = _settings()
    container = Container(settings)
    chains = _chains(container, list(CONTEXTS))
    try:
        made = Keeper(chains, _checkpoints_key(_signing_keys(settings))).checkpoint_now()
        click.echo(json.dumps({c: (cp.as_dict() if cp else None) for c, cp in made.items()}, indent=2))
    finally:
        _close(chains, container)


@audit.command("verify")
@click.option("--context", "contexts", type=click.Choice(CONTEXTS), multiple=True,
              help="Only this context (repeatable; default: every context).")
@trust_options
def verify(contexts: tuple[str, ...], public_key_file: Path | None, key_set_file: Path | None,
           own_key_set: bool) -> None:
    """Recompute every chain from the events and check it against the chain rows and signed checkpoints; print a
    report per context (JSON); exit 1 when any context shows tampering. Each checkpoint is checked with the key it
    names among the deployment's checkpoints keys (by default; a retired key only for checkpoints signed before its
    retirement), or the pinned --public-key, or a saved --key-set.

    When nothing is chained yet there is nothing to verify, and it is said (on stderr; "ok" is null in the JSON):
    exit 0 when no event is stored either (a new deployment), but exit 2 when events are stored and none is chained,
    since nothing vouches for them: the keeper never ran (`dualtrack audit checkpoint`, or `dualtrack audit keep` as
    `dualtrack run` starts it), or the chain was emptied with its checkpoints; a script checking the exit code must
    not take that for verified."""
    settings = _settings()
    public = trusted(public_key_file, key_set_file, own_key_set, default_to_deployment=True)
    container = Container(settings)
    chains = _chains(container, list(contexts or CONTEXTS))
    try:
        reports = [chain.verify(public) for chain in chains.values()]
    finally:
        _close(chains, container)
    ok = all(r.ok for r in reports)
    if ok and not any(r.chained_to or r.checkpoints for r in reports):
        stored = sum(r.events for r in reports)
        if stored:
            said = (f"nothing to verify yet: no event has been chained, and {stored} event(s) are stored "
                    f"({', '.join(f'{r.context} {r.events}' for r in reports if r.events)}); run `dualtrack audit "
                    "checkpoint` (or keep `dualtrack audit keep` running, as `dualtrack run` does), then verify")
        else:
            said = "nothing to verify yet: no event has been stored or chained"
        click.echo(json.dumps({"ok": None, "nothing_to_verify": said, "contexts": [r.as_dict() for r in reports]},
                              indent=2))
        click.echo(said, err=True)
        if stored:
            sys.exit(2)
        return
    click.echo(json.dumps({"ok": ok, "contexts": [r.as_dict() for r in reports]}, indent=2))
    if not ok:
        sys.exit(1)


@audit.command("export")
@click.option("--student", default=None, help="The student's id.")
@click.option("--centre", default=None, help="The training centre's id.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
def export(student: str | None, centre: str | None, output: Path | None) -> None:
    """Export a student's or a centre's full record as JSON lines with chain proofs (chains extended and
    checkpointed first); `dualtrack audit verify-export FILE --key-set KEYS` checks it offline."""
    import io
    from uuid import UUID

    from services.audit.export import TamperDetected, export_record
    from services.common.errors import NotFound

    if (student is None) == (centre is None):
        raise click.UsageError("give exactly one of --student ID or --centre ID")
    what, ident = ("student", student) if student is not None else ("centre", centre)
    try:
        UUID(str(ident))
    except ValueError:
        raise click.BadParameter(f"not an id: {ident!r}", param_hint=f"--{what}") from None
    settings = _settings()
    container = Container(settings)
    buffer = io.BytesIO()
    try:
        count = export_record(container, what, str(ident), _signing_keys(settings), buffer)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    except TamperDetected as error:
        raise click.ClickException(f"not exported: {error}") from None
    finally:
        container.close()
    if output is None:
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(buffer.getvalue())
    click.echo(f"exported {count} events of {what} {ident}", err=True)


@audit.command("verify-export")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@trust_options
def verify_export(file: Path, public_key_file: Path | None, key_set_file: Path | None, own_key_set: bool) -> None:
    """Check an export FILE offline against a trusted key: exit 0 when it verifies, 1 naming the first bad line when
    it does not, 2 when no trusted key was given (the keys the file carries prove nothing on their own)."""
    from services.audit.export import verify_export as check

    verdict = check(file.read_bytes(), trusted(public_key_file, key_set_file, own_key_set))
    if verdict.ok:
        click.echo(f"VERIFIED: {verdict.message}")
        return
    click.echo(f"NOT VERIFIED: {verdict.message}")
    sys.exit(1)


@audit.command("replay")
@click.option("--no-kafka", is_flag=True, help="Replay the event stores only; the Kafka side is reported as skipped. "
              "Without it, a missing broker is an error (exit 1).")
@click.option("--max-rows", type=click.IntRange(min=0), default=20, show_default=True,
              help="Rows listed per table and kind of difference (the counts are always complete).")
def audit_replay(no_kafka: bool, max_rows: int) -> None:
    """Rebuild every projection aside from Kafka offset 0 and from the event stores, compare both with the live
    views and print the report as JSON (differences listed by table and primary key); exit 1 when any view
    differs or a source could not be read. A summary goes to stderr."""
    from dualtrack.bootstrap import NoBroker
    from dualtrack.messaging.locks import AlreadyRunning
    from dualtrack.messaging.replay import replay_all, summary

    container = Container(Settings.from_env())
    if not no_kafka:
        try:
            container.require_bootstrap()  # configured, or the local broker running for this data directory
        except NoBroker as none:
            container.close()
            raise click.ClickException(f"{none}; `dualtrack audit replay --no-kafka` replays the event stores only") \
                from None
    try:
        report = replay_all(container, kafka=not no_kafka, max_listed=max_rows)
    except AlreadyRunning as running:
        raise click.ClickException(str(running)) from None
    finally:
        container.close()
    click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    click.echo(summary(report), err=True)
    if not report.ok:
        sys.exit(1)

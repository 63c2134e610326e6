"""`dualtrack`: run, serve, relay, project, kafka, token, openapi, asyncapi, projections, seed-demo, credentials,
audit."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from dualtrack.bootstrap import PROJECTION_CLASSES, Container, NoBroker
from dualtrack.cli_support import settings_from_env as _settings
from dualtrack.logs import configure_logging
from dualtrack.messaging.locks import AlreadyRunning
from dualtrack.messaging.projector import PoisonMessage, storage_write_fault
from dualtrack.privacy_cli import privacy
from dualtrack.private_files import use_private_umask
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.trust_options import trust_options, trusted
from services.common.signing import PURPOSES
from toolkit.cloudevents import NotACloudEvent


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


@click.group()
def main() -> None:
    """dualtrack: school-enterprise apprenticeships, event-sourced."""
    use_private_umask()  # before anything is created: what this process and its children write is the owner's


# -- processes ------------------------------------------------------------------------------------
@main.command()
@click.option("--embedded", is_flag=True, help="Run the projections in this process from the event stores (no broker).")
@click.option("--port", type=int, default=None, help="Port (default DUALTRACK_API_PORT or 8000).")
def serve(embedded: bool, port: int | None) -> None:
    """Serve the HTTP API."""
    from dataclasses import replace

    from dualtrack.server import serve as run_server

    settings = _settings()
    if port:
        settings = replace(settings, api_port=port)
    configure_logging(settings.log_level, "api")
    run_server(settings, embedded=embedded)


@main.command()
@click.argument("context", type=click.Choice(CONTEXTS))
@click.option("--retry-parked", is_flag=True,
              help="Publish the context's parked events again, in order, then stop (stop its running relay first).")
def relay(context: str, retry_parked: bool) -> None:
    """Publish a context's stored events to Kafka until stopped."""
    if retry_parked:
        _retry_parked(context)
        return
    _run_worker(f"relay-{context}", lambda c: c.relay(context), lambda r: r.close())


def _retry_parked(context: str) -> None:
    """Publish the parked events of `context` again; exit 1 while some stay parked (their causes are printed)."""
    from kafka.errors import KafkaError

    settings = _settings()
    configure_logging(settings.log_level, f"relay-{context}")
    container = Container(settings)
    try:
        container.ensure_topics()
        worker = container.relay(context)
    except AlreadyRunning as running:
        container.close()
        raise click.ClickException(f"{running}; stop it, then retry the parked events") from None
    except NoBroker as none:
        container.close()
        raise click.ClickException(f"{none}; nothing was released") from None
    except KafkaError as error:
        container.close()
        raise click.ClickException(f"Kafka cannot be reached ({error}); nothing was released") from None
    try:
        released, remaining = worker.retry_parked()
        still = worker.positions.parked()
    except KafkaError as error:
        raise click.ClickException(f"Kafka cannot be reached ({error}); nothing more was released") from None
    finally:
        worker.close()
        container.close()
    click.echo(f"relay {context}: {released} parked event(s) published, {remaining} still parked")
    for entry in still:
        click.echo(f"  position {entry.position} (aggregate {entry.aggregate_id} version {entry.aggregate_version}): "
                   f"{entry.cause}")
    if remaining:
        sys.exit(1)


@main.command()
@click.argument("name", type=click.Choice(sorted(PROJECTION_CLASSES)))
@click.option("--share", is_flag=True,
              help="join the projection's consumer group: several processes (on several machines) share its "
                   "partitions; without it this process reads every partition and a second one refuses to start")
def project(name: str, share: bool) -> None:
    """Keep a projection up to date from Kafka until stopped: the one projector of it, or with --share one of
    several sharing its partitions (a consumer group; each partition's offset fenced by an epoch)."""
    locks: list[Any] = []

    def build(container: Container) -> Any:
        if share:
            return container.projector(name, shared=True)
        lock = container.projector_lock(name)
        try:
            projector = container.projector(name)
        except BaseException:
            lock.release()  # built again after a pause (a full disk, say): the lock is taken again then
            raise
        locks.append(lock)
        return projector

    def close(projector: Any) -> None:
        projector.close()
        while locks:
            locks.pop().release()

    _run_worker(f"projector-{name}", build, close)


STORAGE_FAULT_MAX_PAUSE = 30.0
"""The longest pause before a worker tries again a database that cannot be written (full, read-only, gone)."""


def _run_worker(component: str, build: Any, close: Any) -> None:
    """Run a relay or projector until SIGTERM/SIGINT, once its topics exist.

    A database that cannot be written (a full disk, a read-only file, a server gone), met while the worker is built
    or while it runs, is said in one line naming the worker and the cause; the worker is closed (what it was doing
    is rolled back) and built again after a pause that grows to STORAGE_FAULT_MAX_PAUSE, rather than exiting for
    the supervisor to restart it with a traceback. (A projector's own writes are retried inside its run loop.)"""
    log = logging.getLogger("dualtrack")
    settings = _settings()
    configure_logging(settings.log_level, component)
    stop = _stop_on_signals()
    container = Container(settings)
    _retry_until(stop, container.ensure_topics, "create topics")
    container.close()
    pause, said = 0.5, ""
    while not stop.is_set():
        container, worker = Container(settings), None
        try:
            worker = build(container)
            worker.run(stop)
            return
        except AlreadyRunning as running:
            log.error("%s; not starting another", running)
            sys.exit(4)
        except (PoisonMessage, NotACloudEvent) as poison:
            # Stop here rather than skip: a skipped event would silently corrupt the view.
            log.error("stopped at a poison message: %s", poison)
            sys.exit(3)
        except Exception as error:
            cause = storage_write_fault(error)
            if cause is None:
                raise
            if cause != said:
                log.warning("%s cannot write its database: %s; trying again with a growing pause (at most %.0f s)",
                            component, cause, STORAGE_FAULT_MAX_PAUSE)
                said = cause
            else:
                log.debug("%s cannot write its database: %s; trying again in %.1f s", component, cause, pause)
        finally:
            if worker is not None:
                close(worker)
            container.close()  # every connection it held; the next attempt opens new ones
        stop.wait(pause)
        pause = min(pause * 2, STORAGE_FAULT_MAX_PAUSE)


def _retry_until(stop: threading.Event, action: Any, what: str) -> None:
    delay = 0.5
    while not stop.is_set():
        try:
            action()
            return
        except Exception as error:  # the broker may still be starting
            logging.getLogger("dualtrack").warning("cannot %s yet: %s", what, error)
            stop.wait(delay)
            delay = min(delay * 2, 5)
    sys.exit(0)


@main.command()
@click.option("--no-demo", is_flag=True, help="Do not load the demo data on first start.")
def run(no_demo: bool) -> None:
    """Start broker (unless configured), API, relays and projectors; Ctrl-C stops everything."""
    from dualtrack.runner import CannotRun, run_everything

    try:
        run_everything(_settings(), load_demo=not no_demo)
    except CannotRun as error:
        raise click.ClickException(str(error)) from None


@main.command("seed-demo")
@click.option("--force", is_flag=True, help="Load the demo data even if the stores already hold events.")
def seed_demo_command(force: bool) -> None:
    """Load the demo enterprises, centres and mentors (once: skipped when the stores hold events)."""
    from dualtrack.demo import seed_demo

    container = Container(_settings())
    if not force and any(app.max_position() for app in container.apps().values()):
        click.echo("the stores already hold events; demo data not loaded again (use --force to load anyway)")
        container.close()
        return
    ids = seed_demo(container)
    click.echo(f"loaded {len(ids.enterprises)} enterprises and {len(ids.centres)} training centres")
    container.close()


# -- kafka ----------------------------------------------------------------------------------------
@main.group()
def kafka() -> None:
    """The local single-node Apache Kafka broker (jars from Maven Central, data under the data dir)."""


def _local_broker(settings: Settings) -> Any:
    from dualtrack.messaging.local_broker import LocalKafkaBroker

    return LocalKafkaBroker(settings.data_dir / "kafka", cache_dir=settings.kafka_cache_dir)


@kafka.command("start")
def kafka_start() -> None:
    """Start the local broker (resolving its jars on first use) and print its bootstrap address."""
    click.echo(_local_broker(_settings()).start())


@kafka.command("stop")
def kafka_stop() -> None:
    """Stop the local broker."""
    _local_broker(_settings()).stop()
    click.echo("stopped")


@kafka.command("status")
def kafka_status() -> None:
    """Is the local broker running, and where."""
    click.echo(json.dumps(_local_broker(_settings()).status(), indent=2))


# -- docs ------------------------------------------------------------------------------------------------
@main.command()
def openapi() -> None:
    """Print the OpenAPI 3 document."""
    import tempfile
    from dataclasses import replace

    from dualtrack.web.app import create_app

    settings = replace(_settings(), data_dir=Path(tempfile.mkdtemp(prefix="dualtrack-openapi-")), database_url=None)
    app = create_app(Container(settings))
    with app.test_client() as client:
        click.echo(json.dumps(client.get("/api/openapi.json").get_json(), indent=2, sort_keys=True))


@main.command()
def asyncapi() -> None:
    """Print the AsyncAPI 3 document of the topics (DUALTRACK_TOPIC_PREFIX) and their events' JSON Schemas."""
    from contracts.asyncapi import asyncapi_document

    click.echo(json.dumps(asyncapi_document(_settings().topic_prefix), indent=2, sort_keys=True))


# -- credentials ----------------------------------------------------------------------------------
@main.group()
def credentials() -> None:
    """Signed credit statements: verify one against a trusted key, or show the key this deployment signs them with."""


@credentials.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@trust_options
def credentials_verify(file: Path, public_key_file: Path | None, key_set_file: Path | None,
                       own_key_set: bool) -> None:
    """Check a signed credit statement FILE against a trusted key: exit 0 when it verifies, 1 when it does not, 2
    when no trusted key was given (the key the file carries proves nothing on its own)."""
    from services.credentials.statement import verify

    verdict = verify(file.read_bytes(), trusted(public_key_file, key_set_file, own_key_set))
    if verdict.ok:
        statement = verdict.statement or {}
        click.echo(f"VERIFIED: {verdict.message}")
        click.echo(f"student {statement.get('student_id')}, balance {statement.get('balance')}, "
                   f"issued {statement.get('issued_at')} by {statement.get('issuer')}")
        return
    click.echo(f"NOT VERIFIED ({verdict.outcome}): {verdict.message}")
    sys.exit(1)


@credentials.command("public-key")
@click.option("--format", "form", type=click.Choice(["pem", "base64"]), default="pem", show_default=True,
              help="PEM (SubjectPublicKeyInfo), or the base64 of the raw 32 bytes as statements carry it.")
@click.option("--purpose", type=click.Choice(PURPOSES), default="statements",
              show_default=True, help="Which of the deployment's keys.")
def credentials_public_key(form: str, purpose: str) -> None:
    """Print the current public key this deployment signs credit statements (or checkpoints, exports) with, made on
    first use, for others to pin; its key id goes to stderr. After a rotation a pinned key no longer verifies what the
    new key signs: the published key set (GET /api/v1/keys) lists every key with its history."""
    from services.common.signing_keys import key_store
    from services.credentials.statement import public_key_base64, public_key_pem

    try:
        current, _ = key_store(_settings()).signer(purpose)
    except (OSError, ValueError, TypeError) as error:
        raise click.ClickException(f"cannot use the {purpose} signing key: {error}") from None
    click.echo(public_key_pem(current.public).rstrip("\n") if form == "pem" else public_key_base64(current.public))
    click.echo(f"key id: {current.kid}", err=True)


from dualtrack.audit_cli import audit  # noqa: E402 - the group lives in its own module
from dualtrack.identity_cli import keys, people, token  # noqa: E402 - the groups live in their own module
from dualtrack.mail_cli import mail  # noqa: E402 - the group lives in its own module
from dualtrack.projections_cli import projections  # noqa: E402 - the group lives in its own module

main.add_command(audit)
main.add_command(projections)
main.add_command(mail)
main.add_command(people)
main.add_command(keys)
main.add_command(token)
main.add_command(privacy)

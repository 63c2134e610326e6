"""`dualtrack run`: everything a newcomer needs on one machine, under one supervisor."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.logs import configure_logging
from dualtrack.messaging.projector import storage_write_fault
from dualtrack.private_files import make_private
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.supervisor import Child, Supervisor

log = logging.getLogger("dualtrack.run")


def _executable() -> str:
    return str(Path(sys.executable).with_name("dualtrack"))


class CannotRun(RuntimeError):
    """What keeps `dualtrack run` from running, in one line (the data directory cannot be written, say)."""


def check_writable(directory: Path, what: str = "the data directory") -> None:
    """Raise CannotRun naming `directory` unless a file can be created in it (made first if missing). Permission bits
    alone do not tell (root ignores them; a read-only mount does not show in them): a file is written and removed."""
    where = directory.resolve()
    if directory.exists() and not directory.is_dir():
        raise CannotRun(f"{what} {where} cannot be written: it is not a directory; nothing was started")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".dualtrack-write-check-"):
            pass
    except OSError as error:
        raise CannotRun(f"{what} {where} cannot be written ({error.strerror or error}); nothing was started") \
            from None


def run_everything(settings: Settings, *, load_demo: bool = True) -> None:
    """Start the broker (unless one is configured), load the demo on first start, run the API, relays, projectors,
    the audit keeper, the mail sender and (unless an SMTP server is configured) the local mail catcher under one
    supervisor until Ctrl-C or SIGTERM; then stop everything it started. Raises CannotRun
    (before starting anything when the data directory cannot be written; otherwise after stopping what it started)."""
    configure_logging(settings.log_level, "run")
    local_broker = not settings.kafka_bootstrap_servers
    make_private(settings.data_dir)  # 0700, files 0600: also what an older version left open to others
    for directory in (settings.data_dir, *([settings.data_dir / "kafka"] if local_broker else []),
                      settings.data_dir / "logs"):
        check_writable(directory, "the data directory" if directory == settings.data_dir else "the directory")

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # from here on, a SIGTERM goes through the finally below
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C too, even when started with SIGINT ignored
    broker = None
    supervisor = None
    try:
        if local_broker:
            from dualtrack.messaging.local_broker import LocalKafkaBroker

            broker = LocalKafkaBroker(settings.data_dir / "kafka", cache_dir=settings.kafka_cache_dir)
            print("starting the local Kafka broker (first start resolves its jars with Maven)...", flush=True)
            settings = replace(settings, kafka_bootstrap_servers=broker.start())
        try:
            sign_ins = _prepare(settings, load_demo)
        except Exception as error:
            cause = storage_write_fault(error)
            if cause is None:
                raise
            raise CannotRun(f"the stores in {settings.data_dir.resolve()} cannot be opened: {cause}; everything "
                            "started was stopped") from None
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
            "DUALTRACK_DATA_DIR": str(settings.data_dir.resolve()),
            "DUALTRACK_SECRET_KEY": settings.secret_key,
        }
        if settings.database_url:
            env["DUALTRACK_DATABASE_URL"] = settings.database_url

        exe = _executable()
        logs = settings.data_dir / "logs"
        specs = [("api", [exe, "serve"])]
        specs += [(f"relay-{c}", [exe, "relay", c]) for c in CONTEXTS]
        specs += [(f"projector-{p}", [exe, "project", p]) for p in PROJECTION_CLASSES]
        specs += [("audit-keeper", [exe, "audit", "keep"])]  # the hash chains over the logs, checkpointed
        if not settings.smtp_host:  # no mail server configured: the local catcher keeps what is sent
            specs += [("mail-catcher", [exe, "mail", "catch"])]
        specs += [("mail-sender", [exe, "mail", "send"])]
        children = [Child(name, argv, env, log_path=logs / f"{name}.log") for name, argv in specs]
        supervisor = Supervisor(children)
        supervisor.start()
        _print_welcome(settings, sign_ins, logs, supervisor)
        supervisor.watch()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if supervisor is not None:
            supervisor.stop()
        if broker is not None:
            broker.stop()  # whatever failed after it started: never left running
        print("stopped everything.", flush=True)


def _prepare(settings: Settings, load_demo: bool) -> dict[str, str]:
    """The topics, and the demo on first start; returns the demo's passwords by handle (kept, mode 0600, in the data
    directory: they are drawn at random when the demo is loaded and printed on every start)."""
    container = Container(settings)
    kept = settings.data_dir / "keys" / "demo-sign-ins.json"
    try:
        container.open(attempts=1)  # a store that cannot be opened is said here, before any child starts
        container.ensure_topics()
        if load_demo and all(app.max_position() == 0 for app in container.apps().values()):
            from dualtrack.demo import seed_demo

            ids = seed_demo(container)
            kept.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(ids.sign_ins, out)
            print(f"loaded demo data: {len(ids.enterprises)} enterprises, {len(ids.centres)} training centres, "
                  f"{len(ids.students)} students, {len(ids.placements)} placements, a week of practice, "
                  f"{len(ids.sign_ins)} people who sign in", flush=True)
        try:
            return dict(json.loads(kept.read_text()))
        except (OSError, ValueError):
            return {}
    finally:
        container.close()


API_PATIENCE = 30.0
"""Seconds after which `dualtrack run` says it is still waiting for the API (a busy machine starts it slowly)."""
API_GIVE_UP = 300.0
"""Seconds after which it warns that the API did not answer, and carries on supervising."""


def _wait_for_api(base: str, supervisor: Supervisor | None = None, *, patience: float = API_PATIENCE,
                  give_up: float = API_GIVE_UP) -> bool:
    """Wait until the API answers /healthz, restarting crashed children meanwhile. Past `patience`, say once that
    it is still being waited for, and when it answers, after how long; warn only when it has not answered after
    `give_up`. Returns whether it answered."""
    import urllib.request

    started = time.monotonic()
    said_waiting = False
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                pass
        except OSError:
            pass
        else:
            if said_waiting:
                print(f"the API answered on {base} after {time.monotonic() - started:.0f}s", flush=True)
            return True
        waited = time.monotonic() - started
        if waited >= give_up:
            log.warning("the API did not answer on %s within %.0fs; see its log", base, give_up)
            return False
        if waited >= patience and not said_waiting:
            print(f"the API has not answered on {base} after {patience:.0f}s (a busy machine starts it slowly); "
                  "still waiting...", flush=True)
            said_waiting = True
        if supervisor is not None:
            supervisor.check()
        time.sleep(0.2)


def _where_mail_lands(settings: Settings) -> str:
    if settings.smtp_host:
        return f"sent through {settings.smtp_host}:{settings.smtp_port}"
    maildir = (settings.data_dir / "mail" / "new").resolve()
    return f"{maildir}/ (the local mail catcher on 127.0.0.1:{settings.smtp_port})"


SHOWN_PEOPLE = [("admin", "admin-wu"), ("coordinator", "coordinator-chen"), ("teacher", "teacher-gao"),
                ("mentor", "mentor-zhao"), ("enterprise-admin", "enterprise-admin-qian"), ("auditor", "auditor-gao"),
                ("student", "student-liu"), ("guardian", "guardian-he")]
"""The demo's people `dualtrack run` prints a sign-in for: one per role."""


def _print_welcome(settings: Settings, sign_ins: dict[str, str], logs: Path,
                   supervisor: Supervisor | None = None) -> None:
    from dualtrack.demo import PEOPLE

    base = f"http://{settings.api_host}:{settings.api_port}"
    _wait_for_api(base, supervisor)
    people = {p.handle: p for p in PEOPLE}
    shown = [(role, people[handle], sign_ins[handle]) for role, handle in SHOWN_PEOPLE if handle in sign_ins]
    lines = [
        "",
        "dualtrack is running.",
        f"  API:        {base}/api/v1",
        f"  Docs:       {base}/api/docs",
        f"  OpenAPI:    {base}/api/openapi.json",
        f"  Ready?      {base}/readyz",
        f"  Keys:       {base}/api/v1/keys  (the signing keys; save it as keys.json, then `dualtrack credentials "
        "verify FILE --key-set keys.json`, `dualtrack audit verify-export FILE --key-set keys.json`)",
        f"  Kafka:      {settings.kafka_bootstrap_servers}  (topics {settings.topic_prefix}.<context>)",
        f"  Logs:       {logs}/ (JSON lines: api, relay-*, projector-*, audit-keeper, mail-*)",
        f"  Mail:       {_where_mail_lands(settings)}",
    ]
    if shown:
        width = max(len(p.email) for _, p, _ in shown)
        names = max(len(p.name) for _, p, _ in shown)
        lines += [
            "",
            "Sign in as (email and password; the passwords were drawn when the demo was loaded):",
            *[f"  {role:<18}{person.name:<{names + 2}}{person.email:<{width + 2}}{password}"
              for role, person, password in shown],
            "",
            "Try:",
            f"  TOKEN=$(curl -s {base}/api/v1/auth/tokens -H 'Content-Type: application/json' \\",
            f"      -d '{{\"login\": \"{shown[0][1].email}\", \"password\": \"{shown[0][2]}\"}}' \\",
            "      | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')",
            f"  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/me | python3 -m json.tool",
        ]
    lines += ["", "Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)

"""`dualtrack run`: everything a newcomer needs on one machine, under one supervisor."""

from __future__ import annotations

import logging
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.logs import configure_logging
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.supervisor import Child, Supervisor
from services.common.identity import Role

log = logging.getLogger("dualtrack.run")


def _executable() -> str:
    return str(Path(sys.executable).with_name("dualtrack"))


def run_everything(settings: Settings, *, load_demo: bool = True) -> None:
    configure_logging(settings.log_level, "run")
    broker = None
    if not settings.kafka_bootstrap_servers:
        from dualtrack.messaging.local_broker import LocalKafkaBroker

        broker = LocalKafkaBroker(settings.data_dir / "kafka", cache_dir=settings.kafka_cache_dir)
        print("starting the local Kafka broker (first start resolves its jars with Maven)...", flush=True)
        settings = replace(settings, kafka_bootstrap_servers=broker.start())
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "DUALTRACK_DATA_DIR": str(settings.data_dir.resolve()),
        "DUALTRACK_SECRET_KEY": settings.secret_key,
    }
    if settings.database_url:
        env["DUALTRACK_DATABASE_URL"] = settings.database_url

    container = Container(settings)
    container.ensure_topics()
    if load_demo and all(app.max_position() == 0 for app in container.apps().values()):
        from dualtrack.demo import seed_demo

        ids = seed_demo(container)
        print(f"loaded demo data: {len(ids.enterprises)} enterprises, {len(ids.centres)} training centres, "
              f"{len(ids.students)} students, {len(ids.placements)} placements, a week of practice", flush=True)
    scopes = _first_ids(container)
    container.close()

    exe = _executable()
    logs = settings.data_dir / "logs"
    specs = [("api", [exe, "serve"])]
    specs += [(f"relay-{c}", [exe, "relay", c]) for c in CONTEXTS]
    specs += [(f"projector-{p}", [exe, "project", p]) for p in PROJECTION_CLASSES]
    specs += [("audit-keeper", [exe, "audit", "keep"])]  # the hash chains over the logs, checkpointed
    children = [Child(name, argv, env, log_path=logs / f"{name}.log") for name, argv in specs]
    supervisor = Supervisor(children)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        supervisor.start()
        _print_welcome(settings, scopes, logs)
        supervisor.watch()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop()
        if broker is not None:
            broker.stop()
        print("stopped everything.", flush=True)


def _wait_for_api(base: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    log.warning("the API did not answer on %s within %.0fs; see its log", base, timeout)


def _first_ids(container: Container) -> dict[str, str]:
    """The demo's first school, first student and the enterprises on record, so the printed tokens have real
    scopes (the rail base's mentor signs the demo student's logbook)."""
    found: dict[str, str] = {}
    enterprises = []
    for n in container.placements.notifications(1, 500):
        kind = n.topic.rsplit(":", 1)[-1]
        if kind == "EnterpriseRegistered":
            enterprises.append(str(n.originator_id))
        elif kind == "SchoolRegistered":
            found.setdefault("school", str(n.originator_id))
        elif kind == "StudentEnrolled":
            found.setdefault("student", str(n.originator_id))
    if enterprises:
        found["enterprise"] = enterprises[1] if len(enterprises) > 1 else enterprises[0]
    return found


def _print_welcome(settings: Settings, scopes: dict[str, str], logs: Path) -> None:
    from toolkit.http.auth import issue_token

    base = f"http://{settings.api_host}:{settings.api_port}"
    _wait_for_api(base)
    tokens = {
        "admin": issue_token(settings.secret_key, role=Role.ADMIN, subject="admin"),
        "coordinator": issue_token(settings.secret_key, role=Role.COORDINATOR, subject="coordinator-chen",
                                   school_id=scopes.get("school", "no-school-yet")),
        "teacher": issue_token(settings.secret_key, role=Role.TEACHER, subject="teacher-gao",
                               school_id=scopes.get("school", "no-school-yet")),
        "mentor": issue_token(settings.secret_key, role=Role.MENTOR, subject="mentor-zhao",
                              enterprise_id=scopes.get("enterprise", "no-enterprise-yet")),
        "auditor": issue_token(settings.secret_key, role=Role.AUDITOR, subject="auditor-liu"),
        "student": issue_token(settings.secret_key, role=Role.STUDENT, subject="student-liu",
                               student_id=scopes.get("student", "no-student-yet")),
    }
    lines = [
        "",
        "dualtrack is running.",
        f"  API:        {base}/api/v1",
        f"  Docs:       {base}/api/docs",
        f"  OpenAPI:    {base}/api/openapi.json",
        f"  Ready?      {base}/readyz",
        f"  Kafka:      {settings.kafka_bootstrap_servers}  (topics {settings.topic_prefix}.<context>)",
        f"  Logs:       {logs}/ (JSON lines: api, relay-*, projector-*, audit-keeper)",
        "",
        "Tokens (valid 30 days; coordinator and teacher of Qingdao Technician College, mentor-zhao of CRRC's "
        "rail base, student Liu Yang):",
        *[f"  {role:<12}{tok}" for role, tok in tokens.items()],
        "",
        "Try:",
        f"  export TOKEN={tokens['admin']}",
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/centres | python3 -m json.tool",
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)

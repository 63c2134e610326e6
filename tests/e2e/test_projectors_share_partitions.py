"""Two `dualtrack project centres` processes on PostgreSQL share the projection's partitions under a steady load of
commands; one is killed with SIGKILL; the other takes its partitions. Then `dualtrack projections verify` and
`dualtrack audit replay` find no difference, and the view applied every event once."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.partitions import PartitionRow, rows_of
from dualtrack.status import relay_position
from services.common.identity import CommandContext
from services.common.projection import ensure_offsets_table
from tests.conftest import fresh_postgres_database, make_settings
from tests.e2e.conftest import DUALTRACK, Processes, process_env, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

NAME = "centres"


def partitions(container: Container) -> dict[tuple[str, int], PartitionRow]:
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return rows_of(tx, NAME)


def holders(container: Container) -> set[str | None]:
    return {row.holder for row in partitions(container).values()}


class SteadyLoad:
    """Capacity changes of a few centres, one after another, until stopped."""

    def __init__(self, container: Container, admin: CommandContext, centres: list[str]) -> None:
        self.container, self.admin, self.centres = container, admin, centres
        self.stop = threading.Event()
        self.commands = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            centre = self.centres[self.commands % len(self.centres)]
            self.container.placements.change_centre_capacity(self.admin, centre, capacity=2 + self.commands % 40)
            self.commands += 1
            self.stop.wait(0.01)

    def end(self) -> int:
        self.stop.set()
        self.thread.join(30)
        return self.commands


def cli(settings_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DUALTRACK, *args], env=settings_env, capture_output=True, text=True, timeout=120)


def test_given_two_projectors_under_load_when_one_is_killed_then_the_other_takes_over_and_applies_each_event_once(
        tmp_path: Path, kafka_bootstrap: str, postgres_server: str, admin: CommandContext) -> None:
    settings = make_settings(tmp_path / "var", fresh_postgres_database(postgres_server), kafka_bootstrap)
    env = process_env(settings)
    container = Container(settings)
    container.ensure_topics()
    app = container.placements
    enterprise = app.register_enterprise(admin, name="Haier")
    centres = [str(app.open_centre(admin, enterprise_id=enterprise.id, name=f"Hall {i}", address="Qingdao",
                                   capacity=2, specialities=["mech"]).id) for i in range(12)]
    processes = Processes(settings, tmp_path)
    try:
        processes.start("relay", "placements")
        projectors = {p.pid: p for p in (processes.start("project", NAME, "--share"), processes.start("project", NAME, "--share"))}
        load = SteadyLoad(container, admin, centres)
        named = {f"{socket.gethostname()}:{pid}": pid for pid in projectors}
        wait_for(lambda: holders(container) == set(named) and len(partitions(container)) == 9, 45,
                 "both projectors to hold some of the nine partitions", interval=0.2)
        wait_for(lambda: sum(r.applied for r in partitions(container).values()) > 50, 30,
                 "the projectors to apply under load", interval=0.2)

        victim = next(pid for holder, pid in named.items() if any(
            row.holder == holder for (topic, _), row in partitions(container).items() if topic.endswith("placements")))
        projectors[victim].send_signal(signal.SIGKILL)
        projectors[victim].wait()
        survivor = next(holder for holder, pid in named.items() if pid != victim)
        wait_for(lambda: holders(container) == {survivor}, 45, "the survivor to take every partition", interval=0.2)
        load.end()

        stored = app.max_position()
        wait_for(lambda: relay_position(container, "placements") == stored, 30, "the relay to publish everything",
                 interval=0.2)
        wait_for(lambda: sum(r.applied + r.duplicates for r in partitions(container).values()) >= stored, 30,
                 "the survivor to catch up", interval=0.2)
        projectors[named[survivor]].send_signal(signal.SIGTERM)
        assert projectors[named[survivor]].wait(30) == 0
    finally:
        processes.stop_all()

    rows = partitions(container)
    assert sum(r.applied for r in rows.values()) == stored, "every stored event applied"
    assert sum(r.duplicates for r in rows.values()) == 0, "none read twice"
    assert sum(r.next_offset for r in rows.values()) == stored, "each once on its topic, each consumed once"
    verified = cli(env, "projections", "verify", NAME)
    assert verified.returncode == 0 and '"matches": true' in verified.stdout, verified.stdout + verified.stderr
    replayed = cli(env, "audit", "replay")
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    report = json.loads(replayed.stdout)
    assert report["kafka"] == "compared" and report["ok"] and not report["differences"], replayed.stderr[-3000:]
    container.close()

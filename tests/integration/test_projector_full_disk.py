"""A projector whose view database cannot be written (a full disk) says so in one line naming the projection and
the cause, applies nothing while it lasts and keeps running; once space is freed it catches up, and the view equals
a rebuild: nothing was lost, nothing applied twice.

The disk is real: a small tmpfs mounted for the test (the tests run as root, as CI does), filled with a file. The
event stores are in memory and the projector reads them directly (embedded), so only the view is on that disk.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.rebuild import verify
from services.common.identity import CommandContext
from services.common.projection import ensure_offsets_table, stored_offsets
from tests.conftest import make_settings
from tests.e2e.conftest import wait_for
from tests.support.disks import fill, small_tmpfs

pytestmark = pytest.mark.integration

PROJECTION = "centres"
DISK_MB = 16


@pytest.fixture
def view_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "views-disk", DISK_MB) as disk:
        yield disk


def applied_offsets(container: Container) -> int:
    """How many events the live view holds, by the offsets stored with its rows."""
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return sum(stored_offsets(tx, PROJECTION).values())


def stored_events(container: Container) -> int:
    return sum(container.app(c).max_position() for c in container.projection(PROJECTION).contexts)


def enterprises_in_view(container: Container) -> int:
    with container.view_db.transaction() as tx:
        row = tx.execute("SELECT COUNT(*) FROM centres_enterprises").fetchone()
    return int(row[0]) if row else 0


def test_given_a_full_disk_under_the_view_when_events_arrive_then_the_projector_says_so_once_applies_nothing_and_catches_up_exactly_once_space_is_freed(
    view_disk: Path, admin: CommandContext, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="dualtrack.messaging.projector")
    container = Container(make_settings(view_disk / "var", "memory:"))  # stores in memory, the view on the disk
    placements = container.placements
    for n in range(5):
        placements.register_enterprise(admin, name=f"Before {n}")
    projector = container.projector(PROJECTION, embedded=True, fault_backoff=0.05, max_fault_backoff=0.4)
    stop = threading.Event()
    worker = threading.Thread(target=projector.run, args=(stop,), kwargs={"idle_sleep": 0.02}, daemon=True)
    worker.start()
    try:
        wait_for(lambda: applied_offsets(container) == stored_events(container), 30, "the first events in the view")
        before = applied_offsets(container)

        filler = fill(view_disk)
        for n in range(80):  # more than the view's write-ahead log holds already (names within their bound)
            placements.register_enterprise(admin, name=f"During {n:02} " + "x" * 1980)
        time.sleep(2.0)  # several attempts, at a pause growing to 0.4 s

        assert worker.is_alive(), "the projector keeps running"
        assert applied_offsets(container) == before and enterprises_in_view(container) == 5, "nothing applied"
        said = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(said) == 1, [r.getMessage() for r in said]
        line = said[0].getMessage()
        assert f"projection {PROJECTION}" in line and "full" in line and "\n" not in line, line
        assert said[0].exc_info is None, "one line, no traceback"
        assert sum(r.levelno == logging.DEBUG for r in caplog.records) >= 2, "the attempts went on, quietly"

        filler.unlink()
        wait_for(lambda: applied_offsets(container) == stored_events(container), 30, "the view to catch up")
    finally:
        stop.set()
        worker.join(10)
    assert enterprises_in_view(container) == 5 + 80
    assert projector.progress.applied == stored_events(container) and projector.progress.skipped == 0, \
        "each event applied once"
    assert any("takes writes again" in r.getMessage() for r in caplog.records)
    report = verify(container, PROJECTION, embedded=True)
    assert report.matches, "the view equals a rebuild"
    container.close()


@pytest.mark.kafka
def test_given_dualtrack_project_started_on_a_full_disk_then_it_says_so_in_one_line_keeps_trying_and_builds_the_view_once_space_is_freed(
    view_disk: Path, tmp_path: Path, kafka_bootstrap: str, admin: CommandContext,
) -> None:
    import os
    import signal

    from tests.e2e.conftest import DUALTRACK, process_env

    stores = Container(make_settings(tmp_path / "stores", None, kafka_bootstrap))
    stores.ensure_topics()
    for n in range(5):
        stores.placements.register_enterprise(admin, name=f"Published {n}")
    relay = stores.relay("placements")
    assert relay.publish_batch() == 5
    relay.close()
    # The projector's process: the same topics, its view on the small disk (its stores, unused, in memory).
    settings = make_settings(view_disk / "var", "memory:", kafka_bootstrap)
    settings = type(settings)(**{**settings.__dict__, "topic_prefix": stores.settings.topic_prefix})
    (view_disk / "var").mkdir()
    filler = fill(view_disk)
    log_path = tmp_path / "project.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([DUALTRACK, "project", PROJECTION], stdout=log, stderr=subprocess.STDOUT,
                                   env={**process_env(settings), "DUALTRACK_LOG_LEVEL": "INFO"})
    view = Container(settings)
    try:
        wait_for(lambda: "cannot write its database" in log_path.read_text(), 60, "the projector to say why")
        time.sleep(2.0)  # a few more attempts
        assert process.poll() is None, log_path.read_text()
        said = [line for line in log_path.read_text().splitlines() if "cannot write" in line]
        assert len(said) == 1 and f"projector-{PROJECTION}" in said[0] and "full" in said[0], said

        filler.unlink()
        wait_for(lambda: applied_offsets(view) == 5, 90, "the view built once space is freed", interval=0.2)
        assert enterprises_in_view(view) == 5
    finally:
        os.kill(process.pid, signal.SIGTERM)
        code = process.wait(30)
        view.close()
        stores.close()
    output = log_path.read_text()
    assert code == 0, output
    assert "Traceback" not in output, output

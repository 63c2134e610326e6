"""Tools run beside `make run` find its local broker without KAFKA_BOOTSTRAP_SERVERS in the operator's shell: the
composition root looks for the broker running for the data directory. With none running, a command whose job needs
the broker says so in one line and exits 1 (never a traceback, never "skipped" with exit 0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from dualtrack.messaging.local_broker import LocalKafkaBroker
from dualtrack.settings import Settings
from services.common.identity import CommandContext
from tests.conftest import TEST_SECRET, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

DUALTRACK = str(Path(sys.executable).with_name("dualtrack"))


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(settings.data_dir), "DUALTRACK_TOPIC_PREFIX": settings.topic_prefix,
           "DUALTRACK_SECRET_KEY": TEST_SECRET, "DUALTRACK_LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # the operator's shell next to `make run`
    env.pop("DUALTRACK_DATABASE_URL", None)
    return subprocess.run([DUALTRACK, *args], env=env, capture_output=True, text=True, timeout=180)


def test_given_the_local_broker_running_for_the_data_dir_then_verify_and_replay_use_it_and_once_stopped_they_say_there_is_none(
    tmp_path: Path, admin: CommandContext,
) -> None:
    data_dir = (tmp_path / "var").resolve()
    settings = make_settings(data_dir)  # no broker configured
    broker = LocalKafkaBroker(data_dir / "kafka", cache_dir=Settings.from_env().kafka_cache_dir)
    bootstrap = broker.start()
    try:
        container = Container(settings)
        assert container.kafka_bootstrap_servers == bootstrap == (data_dir / "kafka" / "bootstrap").read_text().strip()
        container.ensure_topics()
        for name in ("Haier", "CRRC", "Hisense"):
            container.placements.register_enterprise(admin, name=name)
        relay = container.relay("placements")
        assert relay.publish_batch() == 3
        relay.close()
        projector = container.projector("placement_register")
        projector.catch_up()
        projector.source.close()
        container.close()

        verified = cli(settings, "projections", "verify", "placement_register")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert '"matches": true' in verified.stdout
        replayed = cli(settings, "audit", "replay")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert json.loads(replayed.stdout)["kafka"] == "compared"
        status = json.loads(cli(settings, "projections", "status").stdout)
        assert status["projections"]["placement_register"]["lag"] == 0, "the lag is read from the broker found"
    finally:
        broker.stop()

    assert Container(settings).kafka_bootstrap_servers is None
    for args in (("projections", "verify", "placement_register"), ("projections", "rebuild", "centres"),
                 ("audit", "replay")):
        result = cli(settings, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        (line,) = result.stderr.strip().splitlines()[-1:]
        assert line.startswith(f"Error: no Kafka broker: KAFKA_BOOTSTRAP_SERVERS is not set and no local broker is "
                               f"running for the data directory {data_dir} "), line
        assert "Traceback" not in result.stdout + result.stderr and "skipped" not in result.stdout
    replay_stores = cli(settings, "audit", "replay", "--no-kafka")
    assert replay_stores.returncode == 0, replay_stores.stdout + replay_stores.stderr

"""Any Kafka tool reads our topics without our code: kcat shows the ce_* headers and the JSON payload."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from tests.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


def test_given_a_relayed_event_when_read_with_kcat_then_headers_and_payload_are_plain(
    tmp_path: Path, kafka_bootstrap: str, admin
) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run `bash infra/ensure-system-packages.sh` (make test does)"
    container = Container(make_settings(tmp_path / "var", None, kafka_bootstrap))
    container.ensure_topics()
    result = container.placements.register_enterprise(admin, name="Haier Smart Home", registration_number="9137")
    relay = container.relay("placements")
    relay.publish_batch()
    relay.close()
    out = subprocess.run(
        [kcat, "-b", kafka_bootstrap, "-C", "-t", container.settings.topic("placements"), "-e", "-q",
         "-f", "%k\t%h\t%s\n"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    key, headers, payload = out.split("\t")
    assert key == str(result.id)
    assert f"ce_id={result.id}:1" in headers
    assert "ce_type=dualtrack.placements.EnterpriseRegistered.v1" in headers
    assert "ce_specversion=1.0" in headers and "content-type=application/json" in headers
    assert "ce_actor=admin-1" in headers and "ce_correlationid=corr-admin" in headers
    assert json.loads(payload) == {"name": "Haier Smart Home", "registration_number": "9137"}
    container.close()

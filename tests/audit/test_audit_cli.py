"""`dualtrack audit`: checkpoint, verify (exit 0 when untouched, 1 on tampering), export and verify-export (exit 0 /
1 naming the first bad line), and keep (a process that checkpoints until stopped)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dualtrack.cli import main
from services.audit.chain import EDITED
from services.common.signing import public_key_pem
from tests.audit.tampering import RawStore
from tests.conftest import TEST_SECRET
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored


def env_of(container: Any) -> dict[str, str]:
    settings = container.settings
    env = {"DUALTRACK_DATA_DIR": str(settings.data_dir), "DUALTRACK_SECRET_KEY": TEST_SECRET,
           "DUALTRACK_DATABASE_URL": settings.database_url or ""}
    return env


def audit(container: Any, *args: str) -> Any:
    return CliRunner().invoke(main, ["audit", *args], env=env_of(container), catch_exceptions=False)


def test_given_an_untouched_store_when_checkpointed_and_verified_then_verify_exits_0_with_every_context_ok(
        seeded: Seeded) -> None:
    made = audit(seeded.container, "checkpoint")
    assert made.exit_code == 0, made.output
    checkpoints = json.loads(made.output)
    assert checkpoints["placements"]["position"] == seeded.container.placements.max_position()

    verified = audit(seeded.container, "verify")

    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.output)
    assert report["ok"] and all(c["ok"] and c["first_bad"] is None for c in report["contexts"])


def test_given_a_payload_edited_when_verified_then_verify_exits_1_naming_the_context_position_and_kind(
        seeded: Seeded) -> None:
    audit(seeded.container, "checkpoint")
    raw = RawStore(seeded.container, "training")
    raw.edit_state(7)
    raw.close()

    everything = audit(seeded.container, "verify")
    others = audit(seeded.container, "verify", "--context", "placements", "--context", "credentials")

    assert everything.exit_code == 1
    report = json.loads(everything.output)
    training = next(c for c in report["contexts"] if c["context"] == "training")
    assert (training["first_bad"]["position"], training["first_bad"]["kind"]) == (7, EDITED)
    assert report["ok"] is False
    assert others.exit_code == 0, others.output


def test_given_checkpoints_signed_by_another_key_when_verified_with_that_public_key_then_verify_exits_1(
        seeded: Seeded, tmp_path: Path) -> None:
    audit(seeded.container, "checkpoint")
    other = tmp_path / "other.pem"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))

    result = audit(seeded.container, "verify", "--context", "schedules", "--public-key", str(other))

    assert result.exit_code == 1
    assert json.loads(result.output)["contexts"][0]["first_bad"]["kind"] == "checkpoint-edited"


def test_given_an_export_taken_with_the_cli_when_verified_then_exit_0_and_after_one_changed_byte_exit_1(
        seeded: Seeded, tmp_path: Path) -> None:
    exported = tmp_path / "liu.jsonl"
    taken = audit(seeded.container, "export", "--student", seeded.ids.students[0], "--output", str(exported))
    assert taken.exit_code == 0, taken.output
    key = tmp_path / "deployment.pem"
    public = CliRunner().invoke(main, ["credentials", "public-key", "--purpose", "exports"], env=env_of(seeded.container))
    key.write_text(public.stdout)

    ok = audit(seeded.container, "verify-export", str(exported), "--public-key", str(key))
    data = exported.read_bytes()
    offset = data.index(b'"leaves":["', data.index(b"\n") + 1) + 20
    exported.write_bytes(data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:])
    bad = audit(seeded.container, "verify-export", str(exported), "--public-key", str(key))

    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("VERIFIED")
    assert bad.exit_code == 1
    assert "NOT VERIFIED: line 2: " in bad.output


def test_given_an_export_to_standard_output_when_verified_then_it_verifies(seeded: Seeded, tmp_path: Path) -> None:
    result = audit(seeded.container, "export", "--centre", seeded.ids.centres[2])
    exported = tmp_path / "centre.jsonl"
    exported.write_bytes(result.stdout_bytes)

    assert result.exit_code == 0
    assert audit(seeded.container, "verify-export", str(exported), "--deployment").exit_code == 0
    alone = audit(seeded.container, "verify-export", str(exported))
    assert alone.exit_code == 2 and "no trusted key" in alone.stderr


def test_given_neither_or_both_subjects_or_an_unknown_one_when_exporting_then_it_is_refused(seeded: Seeded) -> None:
    assert audit(seeded.container, "export").exit_code == 2
    assert audit(seeded.container, "export", "--student", seeded.ids.students[0], "--centre",
                 seeded.ids.centres[0]).exit_code == 2
    assert audit(seeded.container, "export", "--student", "not-an-id").exit_code == 2
    unknown = audit(seeded.container, "export", "--centre", seeded.ids.students[0])
    assert unknown.exit_code == 1
    assert "no training centre" in unknown.output


def signed_to(chain: Any) -> int:
    last = chain.last_checkpoint()
    return last.position if last else 0


def test_given_the_keeper_running_when_stopped_then_it_had_chained_and_checkpointed_every_context(
        seeded: Seeded) -> None:
    container = seeded.container
    dualtrack = str(Path(sys.executable).with_name("dualtrack"))
    keeper = subprocess.Popen([dualtrack, "audit", "keep", "--interval", "0.1", "--checkpoint-events", "10",
                               "--checkpoint-seconds", "0.2"],
                              env={**os.environ, **env_of(container)}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    chains = {c: container.chain(c) for c in container.apps()}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and keeper.poll() is None:
            if all(signed_to(chain) == container.app(c).max_position() for c, chain in chains.items()):
                break
            time.sleep(0.1)
    finally:
        keeper.send_signal(signal.SIGTERM)
        output = keeper.communicate(timeout=30)[0].decode()
    try:
        assert keeper.returncode == 0, output
        for context, chain in chains.items():
            assert signed_to(chain) == chain.head()[0] == container.app(context).max_position(), (context, output)
        assert any(json.loads(line).get("message") == "audit checkpoint"
                   for line in output.splitlines() if line.startswith("{"))
    finally:
        for chain in chains.values():
            chain.close()

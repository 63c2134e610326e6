"""An auditor's export of a student's full record, taken through the API of a running `dualtrack serve`, checked
offline with `dualtrack audit verify-export --key-set` on another machine's footing (no data dir, only the key set
the deployment publishes at GET /api/v1/keys)."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from services.common.identity import Role
from tests.e2e.conftest import DUALTRACK
from tests.e2e.served import embedded_env, embedded_server
from tests.e2e.test_dualtrack_run import call
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "audit-export-test-secret-key-long-enough"


def test_given_an_export_taken_through_the_api_when_verified_offline_then_it_holds_and_one_changed_byte_fails(
    tmp_path: Path,
) -> None:
    env = embedded_env(tmp_path / "var", SECRET)
    assert subprocess.run([DUALTRACK, "seed-demo"], env=env, capture_output=True).returncode == 0
    key_set = tmp_path / "keys.json"
    auditor = issue_token(SECRET, role=Role.AUDITOR, subject="auditor-wu")
    with embedded_server(env) as served:
        base = served.base
        status, placements = call("GET", f"{base}/api/v1/placements", token=auditor)
        assert status == 200
        student = placements[0]["student_id"]  # type: ignore[index]
        request = urllib.request.Request(f"{base}/api/v1/audit/students/{student}/export",
                                         headers={"Authorization": f"Bearer {auditor}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers.get_content_type() == "application/x-ndjson"
            exported = response.read()
        with urllib.request.urlopen(f"{base}/api/v1/keys", timeout=30) as response:  # public: no token
            key_set.write_bytes(response.read())

    lines = exported.splitlines()
    assert len(lines) > 10 and b'"what":"student"' in lines[0]
    elsewhere = {k: v for k, v in os.environ.items() if not k.startswith(("DUALTRACK_", "KAFKA_"))}
    elsewhere["DUALTRACK_DATA_DIR"] = str(tmp_path / "an-auditors-laptop")  # nothing of the deployment there
    export = tmp_path / "record.jsonl"
    export.write_bytes(exported)
    verified = subprocess.run([DUALTRACK, "audit", "verify-export", str(export), "--key-set", str(key_set)],
                              env=elsewhere, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    middle = len(exported) // 2
    changed = exported[:middle] + bytes([exported[middle] ^ 0x01]) + exported[middle + 1:]
    export.write_bytes(changed)
    refused = subprocess.run([DUALTRACK, "audit", "verify-export", str(export), "--key-set", str(key_set)],
                             env=elsewhere, capture_output=True, text=True)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    line = exported[:middle].count(b"\n") + 1
    assert f"line {line}" in refused.stdout + refused.stderr

"""No constant secret anywhere: a deployment signs its tokens with DUALTRACK_SECRET_KEY (at least 32 bytes) or with
a random secret generated for its data directory on first start (mode 0600), never with a string from the code.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dualtrack.settings import MIN_SECRET_BYTES, Settings, SettingsError

pytestmark = pytest.mark.unit

DUALTRACK = str(Path(sys.executable).with_name("dualtrack"))


def test_given_no_secret_when_a_data_directory_is_first_used_then_a_random_secret_is_generated_readable_by_its_owner_only(
        tmp_path: Path) -> None:
    first = Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path / "a")})
    again = Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path / "a")})
    other = Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path / "b")})

    assert len(first.secret_key.encode()) >= MIN_SECRET_BYTES
    assert again.secret_key == first.secret_key, "every process of one deployment signs with the same secret"
    assert other.secret_key != first.secret_key, "two deployments never share one"
    secret_file = tmp_path / "a" / "keys" / "api-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret_file.parent.stat().st_mode) & 0o077 == 0


def test_given_a_secret_shorter_than_32_bytes_then_settings_refuse_it_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DUALTRACK_SECRET_KEY .* at least 32"):
        Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path), "DUALTRACK_SECRET_KEY": "change-me"})


def test_given_a_weak_secret_when_a_command_starts_then_it_exits_with_the_reason_and_no_traceback(
        tmp_path: Path) -> None:
    done = subprocess.run([DUALTRACK, "token", "issue", "--role", "admin"], capture_output=True, text=True,
                          env={**os.environ, "DUALTRACK_DATA_DIR": str(tmp_path), "DUALTRACK_SECRET_KEY": "short"})
    assert done.returncode != 0
    assert "at least 32" in done.stderr and "Traceback" not in done.stderr

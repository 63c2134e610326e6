"""`dualtrack run` (what `make run` calls): everything up with demo data, a command visible through the
query API, nothing in the data directory open to other users, and Ctrl-C leaving no process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.common.identity import Role
from tests.e2e.conftest import DUALTRACK
from toolkit.http.auth import issue_token

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

SECRET = "run-test-secret-key-long-enough-for-hs256"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except OSError:  # refused, reset, or no answer within the timeout (a server still starting on a loaded machine)
        return 0, None


def processes_of(data_dir: Path) -> list[int]:
    """Live processes started for this data dir: by command line or by environment."""
    marker = str(data_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().split(") ")[1].split()[0]
            if state == "Z":
                continue
            if marker in (entry / "cmdline").read_bytes() or marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def open_to_others(root: Path) -> list[str]:
    """Every directory and file under root (root too) that its group or others may read, write or search, with its
    mode. Symlinks are not followed."""
    found = _if_open(root, root)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            found += _if_open(root, Path(folder) / name)
    return found


def _if_open(root: Path, path: Path) -> list[str]:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:  # a Kafka segment deleted meanwhile
        return []
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
        return []
    return [f"{path.relative_to(root) if path != root else '.'} {stat.S_IMODE(mode):04o}"]


def wait_for_mail(data_dir: Path, timeout: float = 60) -> list[Path]:
    """The messages the local mail catcher kept (the demo's invitation waits in the mail), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        caught = list((data_dir / "mail" / "new").glob("*")) if (data_dir / "mail" / "new").is_dir() else []
        if caught:
            return caught
        time.sleep(0.3)
    return []


def test_given_dualtrack_run_then_demo_is_served_a_command_shows_up_no_file_is_open_to_others_and_ctrl_c_stops_all(
    tmp_path: Path,
) -> None:
    data_dir = (tmp_path / "var").resolve()
    port = free_port()
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(data_dir), "DUALTRACK_API_PORT": str(port),
           "DUALTRACK_SECRET_KEY": SECRET, "DUALTRACK_LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # `run` starts its own local broker
    log = open(tmp_path / "run.log", "wb")
    # Started from a shell's usual umask (022): dualtrack makes its own files private whatever it was given.
    run = subprocess.Popen([DUALTRACK, "run"], env=env, stdout=log, stderr=subprocess.STDOUT, umask=0o022)
    base = f"http://127.0.0.1:{port}"
    token = issue_token(SECRET, role=Role.ADMIN, subject="admin")
    try:
        deadline = time.monotonic() + 180
        centres: object = None
        while time.monotonic() < deadline:
            status, centres = call("GET", f"{base}/api/v1/centres", token=token)
            if status == 200 and isinstance(centres, list) and len(centres) == 5:
                break
            assert run.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.3)
        assert isinstance(centres, list) and len(centres) == 5, "the demo centres are served"
        assert {c["status"] for c in centres} == {"open", "closed"}

        enterprise_id = centres[0]["enterprise"]["id"]
        status, accepted = call("POST", f"{base}/api/v1/enterprises/{enterprise_id}/centres", token=token, body={
            "name": "Curl Workshop", "address": "2 Test Road", "capacity": 3, "specialities": ["welding"]})
        assert status == 201
        sent = time.monotonic()
        while time.monotonic() - sent < 30:
            status, centre = call("GET", f"{base}/api/v1/centres/{accepted['id']}", token=token)  # type: ignore[index]
            if status == 200:
                break
            time.sleep(0.02)
        assert status == 200 and centre["name"] == "Curl Workshop"  # type: ignore[index]
        print(f"command -> visible in the read model: {time.monotonic() - sent:.3f}s")
        ready_status, ready = call("GET", f"{base}/readyz", token=token)  # the checks: an admin's to read
        assert ready_status == 200 and ready["checks"]["broker"]["ok"], ready  # type: ignore[index]
        assert processes_of(data_dir), "broker, api, relay and projector run for this data dir"

        assert wait_for_mail(data_dir), "the demo's invitation was sent to the local mail catcher"
        kept = {p.name for p in data_dir.iterdir()}
        assert {"kafka", "mail", "keys", "logs", "placements.sqlite3"} <= kept, kept
        assert any((data_dir / "kafka" / "kraft-logs").glob("*placements*")), "the broker's log dirs are here"
        assert open_to_others(data_dir) == [], "open to other users (mode & 0o077) under the data directory"
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(60)
    deadline = time.monotonic() + 10
    while processes_of(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(data_dir) == [], (tmp_path / "run.log").read_text()[-3000:]
    assert "stopped everything" in (tmp_path / "run.log").read_text()

"""A real `dualtrack serve` (gunicorn): every answer carries the security headers and no `Server` header naming the
software (gunicorn writes `Server: gunicorn` itself; dualtrack/server.py drops it)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import DUALTRACK
from tests.e2e.test_dualtrack_run import call, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "served-headers-test-secret-key-long-enough"


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    """The status, the headers (each name once, as sent) and the start of the body."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, dict(answer.headers.items()), answer.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read(300).decode(errors="replace")


def test_given_a_real_server_when_anything_is_asked_then_no_server_banner_and_the_security_headers(
        tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DUALTRACK_DATA_DIR": str(tmp_path / "var"), "DUALTRACK_API_PORT": str(port),
           "DUALTRACK_SECRET_KEY": SECRET}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    server = subprocess.Popen([DUALTRACK, "serve", "--embedded"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while call("GET", f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, "the server starts"
            time.sleep(0.1)
        answers = {path: fetch(base + path) for path in (
            "/healthz", "/readyz", "/api/v1/centres", "/api/v1/no-such-route", "/api/openapi.json", "/api/docs",
            "/sign-in", "/no-such-page", "/static/css/dualtrack.css")}
        assert answers["/api/v1/centres"][0] == 401 and answers["/sign-in"][0] == 200
        for path, (_, headers, _) in answers.items():
            named = {name.lower() for name in headers}
            assert "server" not in named, (path, headers.get("Server"))
            assert headers.get("X-Content-Type-Options") == "nosniff", path
            assert headers.get("X-Frame-Options") == "DENY" and headers.get("Referrer-Policy"), path
            assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), path
        assert "script-src 'self'" in answers["/sign-in"][1]["Content-Security-Policy"]
        assert "'unsafe-inline'" not in answers["/api/docs"][1]["Content-Security-Policy"].split("style-src")[0]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0

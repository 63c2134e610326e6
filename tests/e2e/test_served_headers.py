"""A real `dualtrack serve` (gunicorn): every answer carries the security headers and no `Server` header naming the
software (gunicorn writes `Server: gunicorn` itself; dualtrack/server.py drops it)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.served import embedded_env, embedded_server

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
    with embedded_server(embedded_env(tmp_path / "var", SECRET)) as served:
        answers = {path: fetch(served.base + path) for path in (
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

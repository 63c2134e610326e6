"""`dualtrack run` waits for its API without a false alarm: an API slower than the patience is waited for (said
once, in a plain line), and when it answers the run says after how long; a warning only once it gives up. While it
waits, crashed children are still restarted."""

from __future__ import annotations

import http.server
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from dualtrack.runner import _wait_for_api
from dualtrack.supervisor import Child, Supervisor
from tests.e2e.test_dualtrack_run import free_port

pytestmark = pytest.mark.integration


class Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def late_api() -> Iterator[str]:
    """An API that starts listening 1.5 s from now."""
    port = free_port()
    servers: list[http.server.ThreadingHTTPServer] = []

    def start() -> None:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Healthy)
        servers.append(server)
        server.serve_forever(poll_interval=0.05)

    timer = threading.Timer(1.5, start)
    timer.daemon = True
    timer.start()
    yield f"http://127.0.0.1:{port}"
    timer.cancel()
    for server in servers:
        server.shutdown()
        server.server_close()


def test_given_an_api_slower_than_the_patience_then_run_keeps_waiting_and_says_when_it_answered_without_a_warning(
    late_api: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    assert _wait_for_api(late_api, patience=0.5, give_up=30) is True

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"the API has not answered on {late_api} after ") and "still waiting" in lines[0]
    assert lines[1].startswith(f"the API answered on {late_api} after ")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], "no false alarm"


def test_given_an_api_that_answers_within_the_patience_then_nothing_is_said(
    late_api: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    assert _wait_for_api(late_api, patience=30, give_up=60) is True
    assert capsys.readouterr().out == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_given_an_api_that_never_answers_then_run_warns_once_it_gives_up_and_restarts_crashed_children_meanwhile(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    crashing = Child("crashing", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor([crashing], max_backoff=0.1)
    supervisor.start()
    try:
        assert _wait_for_api(f"http://127.0.0.1:{free_port()}", supervisor, patience=0.3, give_up=2.5) is False
    finally:
        supervisor.stop()

    assert "still waiting" in capsys.readouterr().out
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "dualtrack.run"]
    assert len(warnings) == 1 and "did not answer" in warnings[0] and "within 2s" in warnings[0]
    assert crashing.restarts >= 1, "the supervisor kept restarting children while the run waited"

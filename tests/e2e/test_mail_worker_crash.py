"""`dualtrack mail send` killed (kill -9) halfway through thirty messages to a slow SMTP server, then started again:
every message arrives. At most the one message in flight at the kill arrives twice (the server may have accepted
it a moment before the kill, before it was marked sent), and then with the same Message-ID, which mail programs
show once. The restarted sender does not wait for the dead one's claim to expire: it is the only sender (a lock)."""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from tests.conftest import make_settings
from tests.e2e.conftest import Processes, process_env, wait_for
from tests.support.smtp import SmtpServer
from toolkit.mail import Mail, MailOutbox, message_id

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MESSAGES = 30
SENDER = "dualtrack <no-reply@localhost>"


def test_given_a_sender_killed_midway_when_it_is_started_again_then_every_message_arrives_and_none_twice_but_the_one_in_flight_with_its_message_id(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "var")
    server = SmtpServer(delay=0.05).start()  # each message takes the server 50 ms to accept
    processes = Processes(settings, tmp_path)
    container = Container(settings)
    try:
        outbox = MailOutbox(container.view_db)
        for n in range(MESSAGES):
            outbox.put(Mail(f"invitation:{n}", f"student{n}@example.com", f"邀请 {n}", f"https://x.example/i/{n}"))
        env = {**process_env(settings), "DUALTRACK_SMTP_HOST": server.host, "DUALTRACK_SMTP_PORT": str(server.port),
               "DUALTRACK_MAIL_FROM": SENDER}

        first = processes.start("mail", "send", env=env)
        wait_for(lambda: len(server.messages) >= MESSAGES // 3, 60, "a third of the messages to arrive")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        at_kill = len(server.messages)
        assert at_kill < MESSAGES, "killed before it sent everything"

        restarted = time.monotonic()
        processes.start("mail", "send", env=env)
        wait_for(lambda: len({m["To"] for m in server.messages}) == MESSAGES, 45, "every message to arrive")
        wait_for(lambda: all(m.status == "sent" for m in outbox.messages()), 15, "every message marked sent")
        assert time.monotonic() - restarted < 30, "the dead sender's claim was not waited out"
        time.sleep(0.5)  # anything sent twice would have arrived by now

        by_recipient: dict[str, list[str]] = defaultdict(list)
        for message in server.messages:
            by_recipient[message["To"]].append(message["Message-ID"])
        assert set(by_recipient) == {f"student{n}@example.com" for n in range(MESSAGES)}
        for n in range(MESSAGES):
            ids = by_recipient[f"student{n}@example.com"]
            assert set(ids) == {message_id(f"invitation:{n}", SENDER)}, "a message sent again keeps its Message-ID"
        twice = [to for to, ids in by_recipient.items() if len(ids) > 1]
        assert len(twice) <= 1, f"only the message in flight at the kill may arrive twice, not {twice}"
        print(f"killed after {at_kill} of {MESSAGES} arrived; arrived twice: {twice or 'none'}")
    finally:
        processes.stop_all()
        container.close()
        server.stop()

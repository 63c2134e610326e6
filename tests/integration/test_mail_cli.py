"""`dualtrack mail` as real processes: the local catcher keeps what it receives in a Maildir only its owner reads;
with the sender running beside it, a message put in the outbox lands there, and `mail list` shows it sent without
its text; bad mail settings are refused in one line."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from dualtrack.bootstrap import Container
from dualtrack.cli import main
from dualtrack.settings import Settings
from tests.support.smtp import free_port
from toolkit.mail import Mail, MailOutbox, SmtpTransport

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DUALTRACK = str(Path(sys.executable).with_name("dualtrack"))
SECRET = "mail-cli-test-secret-key-long-enough-for-hs256"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DUALTRACK_DATA_DIR": str(tmp_path / "var"), "DUALTRACK_SECRET_KEY": SECRET,
            "DUALTRACK_SMTP_PORT": str(free_port()), "DUALTRACK_LOG_LEVEL": "INFO"}


@pytest.fixture
def started(tmp_path: Path, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def start(processes: list[subprocess.Popen[bytes]], tmp_path: Path, env: dict[str, str],
          *args: str) -> subprocess.Popen[bytes]:
    log = open(tmp_path / f"{'-'.join(args)}.log", "wb")
    process = subprocess.Popen([DUALTRACK, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    processes.append(process)
    return process


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the catcher exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {timeout}s")


def caught(maildir: Path, count: int, timeout: float = 20) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted((maildir / "new").iterdir()) if (maildir / "new").is_dir() else []
        if len(files) >= count:
            return files
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} message(s) in {maildir}/new after {timeout}s")


def parsed(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_given_dualtrack_mail_catch_running_when_a_message_arrives_then_it_is_a_file_of_the_maildir_only_its_owner_reads(
    tmp_path: Path, env: dict[str, str], started: list[subprocess.Popen[bytes]],
) -> None:
    port = int(env["DUALTRACK_SMTP_PORT"])
    catcher = start(started, tmp_path, env, "mail", "catch")
    wait_until_listening(port, catcher)

    with SmtpTransport("127.0.0.1", port, "dualtrack <no-reply@localhost>") as smtp:
        smtp.send(Mail("guardian-code:1", "wang.fang@example.com", "王芳的监护人验证码", "验证码：482913"))

    maildir = tmp_path / "var" / "mail"
    [file] = caught(maildir, 1)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(maildir.stat().st_mode) == 0o700
    assert stat.S_IMODE((maildir / "new").stat().st_mode) == 0o700
    message = parsed(file)
    assert message["Subject"] == "王芳的监护人验证码"
    assert message.get_content().strip() == "验证码：482913"
    assert message["X-RcptTo"] == "wang.fang@example.com"

    catcher.send_signal(signal.SIGTERM)
    assert catcher.wait(15) == 0


def test_given_the_catcher_and_the_sender_running_when_mail_is_put_then_it_lands_in_the_maildir_and_mail_list_shows_it_sent_without_its_text(
    tmp_path: Path, env: dict[str, str], started: list[subprocess.Popen[bytes]],
) -> None:
    port = int(env["DUALTRACK_SMTP_PORT"])
    catcher = start(started, tmp_path, env, "mail", "catch")
    sender = start(started, tmp_path, env, "mail", "send")
    wait_until_listening(port, catcher)
    container = Container(Settings(data_dir=tmp_path / "var", secret_key=SECRET))
    try:
        outbox = MailOutbox(container.view_db)
        outbox.put(Mail("invitation:1", "li.lei@example.com", "邀请：李雷", "https://x.example/i/one-time-secret"))
        outbox.hold(Mail("invitation:2", "han.meimei@example.com", "Invitation", "held, not sent"))
        [file] = caught(tmp_path / "var" / "mail", 1)
        deadline = time.monotonic() + 10  # the catcher has it; the sender marks it sent once the catcher said so
        while outbox.get("invitation:1").status != "sent":  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "not marked sent"
            time.sleep(0.02)
    finally:
        container.close()
    assert parsed(file)["To"] == "li.lei@example.com"

    listed = CliRunner().invoke(main, ["mail", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert any(line.startswith("sent") and "invitation:1" in line and "li.lei@example.com" in line
               and "邀请：李雷" in line for line in lines), listed.output
    assert any(line.startswith("held") and "invitation:2" in line for line in lines), listed.output
    assert "one-time-secret" not in listed.output and "held, not sent" not in listed.output

    for process in (sender, catcher):
        process.send_signal(signal.SIGTERM)
    assert sender.wait(15) == 0 and catcher.wait(15) == 0
    logged = [json.loads(line) for line in (tmp_path / "mail-send.log").read_text().splitlines() if line.startswith("{")]
    assert logged and all(line["component"] == "mail-sender" for line in logged)


def test_given_a_second_sender_for_the_same_data_directory_then_it_refuses_to_start(
    tmp_path: Path, env: dict[str, str], started: list[subprocess.Popen[bytes]],
) -> None:
    first = start(started, tmp_path, env, "mail", "send")
    deadline = time.monotonic() + 20
    while "sending mail through" not in (tmp_path / "mail-send.log").read_text():
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)

    second = subprocess.run([DUALTRACK, "mail", "send"], env=env, capture_output=True, timeout=30)

    assert second.returncode == 4 and b"already running" in second.stderr


@pytest.mark.parametrize("variable, value", [("DUALTRACK_SMTP_PORT", "smtp"), ("DUALTRACK_SMTP_PORT", "0"),
                                             ("DUALTRACK_SMTP_STARTTLS", "perhaps"),
                                             ("DUALTRACK_MAIL_FROM", "no address"),
                                             ("DUALTRACK_PUBLIC_URL", "dualtrack.example")])
def test_given_a_bad_mail_setting_when_a_mail_command_runs_then_it_is_refused_in_one_line_naming_it(
    env: dict[str, str], variable: str, value: str,
) -> None:
    result = CliRunner().invoke(main, ["mail", "list"], env={**env, variable: value})

    assert result.exit_code == 1
    assert variable in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1

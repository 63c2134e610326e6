"""`dualtrack mail`: send the outbox (send), run the local mail catcher (catch), show what is in the outbox (list)."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from dualtrack.bootstrap import Container
from dualtrack.cli_support import settings_from_env as _settings
from dualtrack.logs import configure_logging
from dualtrack.settings import Settings
from toolkit.mail import MailOutbox, SmtpTransport

log = logging.getLogger("dualtrack.mail")

STATUSES = ("held", "queued", "sending", "sent", "failed")


@click.group()
def mail() -> None:
    """Mail (invitations, codes): the outbox, the worker that sends it, and a local catcher that keeps what it
    receives under <data_dir>/mail/."""


def smtp_address(settings: Settings) -> tuple[str, int]:
    """Where mail is sent: DUALTRACK_SMTP_HOST, else the local catcher on 127.0.0.1; DUALTRACK_SMTP_PORT."""
    return settings.smtp_host or "127.0.0.1", settings.smtp_port


def transport_for(settings: Settings) -> SmtpTransport:
    host, port = smtp_address(settings)
    return SmtpTransport(host, port, settings.mail_from, starttls=settings.smtp_starttls,
                         username=settings.smtp_username, password=settings.smtp_password)


def confirmation(container: Container) -> Callable[[str], bool] | None:
    """How the sender tells whether a message held past a minute is to be sent: were the events it belongs to (an
    invitation, a guardian code) saved? The identity context knows."""
    return container.identity.confirms_letter


@mail.command("send")
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True,
              help="Seconds between looks at the outbox when nothing is due.")
def send(interval: float) -> None:
    """Send the outbox's messages until stopped (SIGTERM/SIGINT): one sender a deployment (a lock); a message the
    server does not take now is tried again with a growing pause, one it refuses for good is marked failed."""
    from dualtrack.cli import STORAGE_FAULT_MAX_PAUSE, _stop_on_signals
    from dualtrack.messaging.locks import AlreadyRunning, exclusive
    from dualtrack.messaging.projector import storage_write_fault

    settings = _settings()
    configure_logging(settings.log_level, "mail-sender")
    stop = _stop_on_signals()
    pause, said = 0.5, ""
    while not stop.is_set():
        container, lock, transport = Container(settings), None, transport_for(settings)
        try:
            lock = exclusive(container.view_db.url, "mail-sender", "a mail sender")
            _send_until(stop, MailOutbox(container.view_db), transport, confirmation(container), interval)
            return
        except AlreadyRunning as running:
            log.error("%s; not starting another", running)
            sys.exit(4)
        except Exception as error:
            cause = storage_write_fault(error)
            if cause is None:
                raise
            if cause != said:
                log.warning("the mail sender cannot use its database: %s; trying again with a growing pause (at "
                            "most %.0f s)", cause, STORAGE_FAULT_MAX_PAUSE)
                said = cause
        finally:
            transport.close()
            if lock is not None:
                lock.release()
            container.close()
        stop.wait(pause)
        pause = min(pause * 2, STORAGE_FAULT_MAX_PAUSE)


def _send_until(stop: Any, outbox: MailOutbox, transport: SmtpTransport, confirm: Callable[[str], bool] | None,
                interval: float, batch: int = 50) -> None:
    freed = outbox.release_claims()  # this is the only sender (the lock): a claim left is its killed predecessor's
    if freed:
        log.info("%d message(s) claimed by a sender that stopped are sent again (same Message-ID)", freed)
    log.info("sending mail through %s:%d", transport.host, transport.port)
    while not stop.is_set():
        sent = outbox.send_due(transport, confirm=confirm, limit=batch)
        if sent:
            log.info("sent %d message(s)", sent)
        if sent < batch:
            stop.wait(interval)


@mail.command("catch")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port on 127.0.0.1 (default DUALTRACK_SMTP_PORT or 8025).")
def catch(port: int | None) -> None:
    """Run the local mail catcher until stopped: an SMTP server on 127.0.0.1 that keeps every message it receives
    in the Maildir <data_dir>/mail/ (new/: one file a message, mode 0600); nothing is relayed."""
    from dualtrack.cli import _stop_on_signals
    from dualtrack.mail_catcher import MailCatcher

    settings = _settings()
    configure_logging(settings.log_level, "mail-catcher")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's own log: a line for every SMTP command
    stop = _stop_on_signals()
    root = settings.data_dir / "mail"
    catcher = MailCatcher(root, port or settings.smtp_port)
    try:
        catcher.start()
    except OSError as error:
        log.error("the mail catcher cannot listen on 127.0.0.1:%d: %s", catcher.port, error.strerror or error)
        sys.exit(1)
    log.info("catching mail on 127.0.0.1:%d into %s", catcher.port, (root / "new").resolve())
    try:
        stop.wait()
    finally:
        catcher.stop()


@mail.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only the messages in this state.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a message.")
def list_command(status: str | None, as_json: bool) -> None:
    """What is in the outbox, oldest first: key, recipient, subject and state (never a message's text)."""
    container = Container(_settings())
    try:
        messages = MailOutbox(container.view_db).messages(status=status)
    finally:
        container.close()
    for m in messages:
        if as_json:
            click.echo(json.dumps({"key": m.key, "to": m.to, "subject": m.subject, "status": m.status,
                                   "attempts": m.attempts, "created_at": _when(m.created_at),
                                   "sent_at": _when(m.sent_at), "next_attempt_at": _when(m.next_attempt_at),
                                   "reason": m.reason}, ensure_ascii=False))
            continue
        note = f"  ({m.attempts} attempt(s); {m.reason})" if m.reason else ""
        click.echo(f"{m.status:<8} {m.key}  to {m.to}  {m.subject!r}{note}")
    if not messages and not as_json:
        click.echo("the outbox is empty" if status is None else f"no {status} message")


def _when(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))

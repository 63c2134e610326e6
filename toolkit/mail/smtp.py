"""Sending the outbox's messages to an SMTP server (smtplib), in UTF-8, with a Message-ID derived from each key.

A message sent again (its sender was killed after the server accepted it, before it was marked sent) carries the
same Message-ID, so mail programs and servers that look at it show one message.
"""

from __future__ import annotations

import email.policy
import hashlib
import logging
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from types import TracebackType

from toolkit.mail.outbox import Mail, MailDeferred, MailRefused

REUSE_SECONDS = 5.0
"""A connection idle longer than this is not reused (servers drop idle clients): a new one is opened."""
_POLICY = email.policy.default.clone(cte_type="7bit")
"""Non-ASCII text goes out quoted-printable or base64, so a server without 8BITMIME takes it too."""

log = logging.getLogger("dualtrack.mail")


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the mail with this key, the same every time it is sent: `<hash-of-key@sender-domain>`."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not domain or not domain.isascii() or any(c in domain for c in "<>@ "):
        domain = "dualtrack.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The message as it goes out: From, To, Subject (UTF-8 encoded where needed), Date, Message-ID, text body."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(mail.key, sender)
    message.set_content(mail.text)
    return message


def _permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpTransport:
    """Hands messages to one SMTP server, reusing a connection for messages sent in quick succession.

    `starttls` upgrades the connection (the server's certificate is verified) before logging in with `username` and
    `password` (if given). A recipient or message the server refuses with a 5xx reply raises MailRefused, with a 4xx
    reply MailDeferred; anything else (server down, sender or login refused, no answer within `timeout` seconds)
    raises as it is: the outbox tries again later."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: float = 10) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def send(self, mail: Mail) -> None:
        """Returns once the server accepted the message."""
        message = build_message(mail, self.sender)
        try:
            refused = self._connection().send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            self.close()
            replies = list(error.recipients.values())
            said = "; ".join(f"{code} {_text(text)}" for code, text in replies)
            if replies and all(_permanent(code) for code, _ in replies):
                raise MailRefused(said) from None
            raise MailDeferred(said) from None
        except smtplib.SMTPDataError as error:
            self.close()
            said = f"{error.smtp_code} {_text(error.smtp_error)}"
            raise (MailRefused(said) if _permanent(error.smtp_code) else MailDeferred(said)) from None
        except BaseException:
            self.close()
            raise
        self._used_at = time.monotonic()
        for address, (code, reply) in refused.items():  # only with several recipients, some of them refused
            log.warning("mail %s: %s refused it (%s %s)", mail.key, address, code, _text(reply))

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used_at < REUSE_SECONDS:
            return self._smtp
        self.close()
        smtp = smtplib.SMTP(self.host, self.port, local_hostname=socket.gethostname(), timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye to the server (if connected); the next message opens a new connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _quietly_close(smtp)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else said

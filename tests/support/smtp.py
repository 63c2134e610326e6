"""A real SMTP server for tests (aiosmtpd on a free 127.0.0.1 port) that keeps what it receives.

    from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401 - smtp_server is a fixture

    def test_...(smtp_server: SmtpServer) -> None:
        ...  # send to 127.0.0.1:smtp_server.port
        message = smtp_server.wait_for(to="li@example.com")   # an email.message.EmailMessage

It can be slow (`delay` seconds before it accepts each message), refuse recipients for good (`refuse`: 550 at
RCPT) or for now (`defer`: 452), and go down and come back on the same port (`stop()`, `start()`).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.lower() in self.server.refuse:
            return "550 5.1.1 no such mailbox here"
        if address.lower() in self.server.defer:
            return "452 4.2.2 mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content, _class=EmailMessage,
                                           policy=email.policy.default)
        self.server.received(message, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpServer:
    """The server; `messages` are the messages received (parsed), `envelopes` each one's recipients, in order."""

    def __init__(self, *, port: int | None = None, delay: float = 0.0, refuse: tuple[str, ...] = (),
                 defer: tuple[str, ...] = ()) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.delay = delay
        self.refuse = {address.lower() for address in refuse}
        self.defer = {address.lower() for address in defer}
        self._lock = threading.Condition()
        self._messages: list[EmailMessage] = []
        self._envelopes: list[list[str]] = []
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        """Listen (again, on the same port)."""
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: a client now finds the port closed."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def received(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self._messages.append(message)
            self._envelopes.append(recipients)
            self._lock.notify_all()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        """Every message received for `address` (by envelope recipient)."""
        with self._lock:
            return [m for m, rcpts in zip(self._messages, self._envelopes)
                    if address.lower() in (r.lower() for r in rcpts)]

    def wait_for(self, *, to: str, timeout: float = 10) -> EmailMessage:
        """The first message received for `to`, waiting up to `timeout` seconds for it (AssertionError after)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self.to(to)
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no message for {to} within {timeout}s; received for: {self._envelopes}")
                self._lock.wait(left)

    def wait_for_count(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Every message, once at least `count` were received (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self._messages)} message(s) within {timeout}s, not {count}")
                self._lock.wait(left)
            return list(self._messages)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A started SmtpServer for one test, stopped after it (set `delay` and `refuse` on it as needed)."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()

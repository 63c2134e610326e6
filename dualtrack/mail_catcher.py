"""A local mail catcher: an SMTP server on 127.0.0.1 that keeps every message it receives in a Maildir.

For `dualtrack run` and for people trying the demo: the invitations and codes dualtrack sends land under
<data_dir>/mail/new/, one file a message (readable by the owner only: mode 0600 in a 0700 directory), which any mail
program that reads a Maildir (mutt -f, say) or a text editor opens. Nothing is relayed anywhere.
"""

from __future__ import annotations

import logging
import mailbox
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("dualtrack.mail")


class MaildirHandler:
    """Stores each message it is handed (an aiosmtpd handler) as a file of the Maildir at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(root, create=True)
        for directory in (root, root / "new", root / "cur", root / "tmp"):
            directory.chmod(0o700)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message with the envelope's sender and recipients as headers, then accept it."""
        received = envelope.original_content or envelope.content or b""
        if isinstance(received, str):
            received = received.encode("utf-8", "surrogateescape")
        trace = (f"X-Peer: {session.peer[0] if session.peer else 'unknown'}\r\n"
                 f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n")
        self.store((trace.encode("utf-8", "replace") + received).replace(b"\r\n", b"\n"))
        log.info("caught a message for %s", ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def store(self, message: bytes) -> Path:
        """One message into new/, mode 0600; returns its file."""
        key = self.box.add(message)
        path = self.root / "new" / key
        path.chmod(0o600)
        return path


class MailCatcher:
    """The catcher's SMTP server on `host`:`port`, storing into the Maildir `root` (made, mode 0700, if missing).
    start() raises OSError when the port is taken."""

    def __init__(self, root: Path, port: int, host: str = "127.0.0.1") -> None:
        self.root, self.port, self.host = root, port, host
        self.handler = MaildirHandler(root)
        self._controller: Controller | None = None

    def start(self) -> MailCatcher:
        controller = Controller(self.handler, hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


"""Throttling of failed attempts per network address (sign-ins, password resets), shared by every worker.

An address that failed `LIMIT` times within a window of `WINDOW_SECONDS` is answered 429 with Retry-After until
the window ends, whatever account it tries: guessing passwords across many accounts is slowed as well as guessing
one (each account also locks itself after 20 wrong passwords in a row: the identity context).
"""

from __future__ import annotations

import random
import time

from services.common.errors import TooManyAttempts
from services.common.viewstore import ViewDatabase

TABLE = "failed_attempts"
LIMIT = 50
WINDOW_SECONDS = 15 * 60


class AddressThrottle:
    """Failed attempts per address and window, in the deployment's view database."""

    def __init__(self, db: ViewDatabase, *, limit: int = LIMIT, window: int = WINDOW_SECONDS) -> None:
        self._db = db
        self.limit = limit
        self.window = window
        with db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (address TEXT NOT NULL, window_start BIGINT NOT NULL, "
                       "failures INTEGER NOT NULL, PRIMARY KEY (address, window_start))")

    def _window(self) -> tuple[int, int]:
        now = int(time.time())
        return now, now - now % self.window

    def check(self, address: str) -> None:
        """TooManyAttempts when the address has failed too often in this window."""
        now, start = self._window()
        with self._db.transaction() as tx:
            row = tx.execute(f"SELECT failures FROM {TABLE} WHERE address = ? AND window_start = ?",
                             (address, start)).fetchone()
        if row is not None and int(row[0]) >= self.limit:
            raise TooManyAttempts(f"too many failed attempts from this address: try again in "
                                  f"{start + self.window - now} seconds", retry_after=start + self.window - now,
                                  rule="address-throttled")

    def failed(self, address: str) -> None:
        now, start = self._window()
        with self._db.transaction() as tx:
            if random.random() < 0.01:  # now and then, forget past windows
                tx.execute(f"DELETE FROM {TABLE} WHERE window_start < ?", (start,))
            tx.execute(f"INSERT INTO {TABLE} (address, window_start, failures) VALUES (?, ?, 1) ON CONFLICT "
                       f"(address, window_start) DO UPDATE SET failures = {TABLE}.failures + 1", (address, start))

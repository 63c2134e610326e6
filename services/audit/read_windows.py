"""Windows of repeated reads: the durable counter behind coalesced read records.

The first read of a student's data by one reader of one thing (`what`) is recorded at once as a `PersonalDataRead`
event of the student's read log, and opens a window of `window` seconds (15 minutes by default). Later reads of the
same thing by the same reader within the window only count here, one UPDATE each, in a table of the deployment's
view database (`audit_read_counts`, shared by every process), so a window costs the log at most two events however
many reads it holds. When the window is over, one `PersonalDataReadRepeated` event records how many reads it held
(none when it held only its opening read) and the row goes. Until then the listing of reads takes the count from
the row, so what anyone lists is never short of a read.

When is a window that is over closed? Without a timer: whenever the student's data is read again (by anyone: the
read that opens a new window first closes the student's windows that are over) and whenever the student's reads
are listed (the API, the pages, the student's file). A window nobody comes back to stays a row, and is listed with
its count all the same; `AuditApplication.close_windows_over()` closes every such window of every student, for a
periodic tick (e.g. the audit keeper's) to call.

Crash safety and several processes:
- opening: the event is stored first, then the row; a crash in between leaves a read on record without a window
  (the next read opens another record: never a read lost, at worst one not coalesced).
- counting: the read is answered only after its UPDATE committed (it fails: the read is refused, 503).
- closing is claimed first (`claim`: a compare-and-set of `closing_at`, so of two processes only one closes, and a
  count claimed is frozen: a read arriving then opens a new window), then the event is stored, then the row
  deleted. A closer that died after its claim is relieved once the claim is `CLAIM_SECONDS` old; the relief first
  looks in the log for the event, so a count is never recorded twice (and the listing takes a window's count by its
  opening read, whatever happens).
- windows are told apart by their opening read's version in the log (unique per student), so two processes
  opening the same reader's window at once make two records, each with its own count; none overwrites the other.
- the window is measured by the wall clocks of the processes (`time.time`): a skew between hosts lengthens or
  shortens a window, it never loses a read.

    row: (student_id, read_version, reader, what, role, path, opened_at, last_at, reads, correlation_id, closing_at)
         read_version: the version of the window's opening PersonalDataRead in the student's read log; opened_at,
         last_at, closing_at: seconds since the epoch (UTC); reads: the window's reads so far, the opening one
         included; closing_at: when a closer claimed it (NULL: not claimed)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from services.common.viewstore import ViewDatabase

TABLE = "audit_read_counts"
WINDOW_SECONDS = 15 * 60
CLAIM_SECONDS = 60.0
"""A claim to close a window older than this was left by a closer that died: another may take it over."""
_COLUMNS = ("student_id, read_version, reader, what, role, path, opened_at, last_at, reads, correlation_id, "
            "closing_at")


@dataclass(frozen=True)
class Window:
    """One window of reads of a student's `what` by `reader`, not yet closed by an event."""

    student_id: str
    read_version: int
    reader: str
    what: str
    role: str
    path: str
    opened_at: float
    last_at: float
    reads: int
    correlation_id: str
    closing_at: float | None = None


class ReadWindows:
    """The windows of repeated reads not yet recorded, in the view database; `clock` gives seconds since the
    epoch."""

    def __init__(self, db: ViewDatabase, *, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if window <= 0:
            raise ValueError("a read window lasts more than 0 seconds")
        self._db, self.window, self.clock = db, window, clock
        self._create_table()

    def _create_table(self, attempts: int = 5) -> None:
        """Processes starting together on PostgreSQL may race on CREATE TABLE: the loser tries again."""
        for attempt in range(1, attempts + 1):
            try:
                with self._db.transaction() as tx:
                    tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (student_id TEXT NOT NULL, "
                               "read_version INTEGER NOT NULL, reader TEXT NOT NULL, what TEXT NOT NULL, "
                               "role TEXT NOT NULL, path TEXT NOT NULL, opened_at DOUBLE PRECISION NOT NULL, "
                               "last_at DOUBLE PRECISION NOT NULL, reads INTEGER NOT NULL, "
                               "correlation_id TEXT NOT NULL, closing_at DOUBLE PRECISION, "
                               "PRIMARY KEY (student_id, read_version))")
                    tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_reader ON {TABLE} (student_id, reader, what)")
                    tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_opened ON {TABLE} (opened_at)")
                return
            except Exception:
                if attempt == attempts:
                    raise
                time.sleep(0.1 * attempt)

    def repeat(self, student_id: str, reader: str, what: str, correlation_id: str) -> bool:
        """Count one more read in the reader's open window on the student's `what`; False when none is open (none
        was opened, it is over, or a closer claimed it)."""
        now = self.clock()
        # The conditions stand outside the subquery too: a concurrent claim is seen when PostgreSQL rechecks the row.
        open_window = "student_id = ? AND reader = ? AND what = ? AND closing_at IS NULL AND opened_at > ?"
        key = (student_id, reader, what, now - self.window)
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET reads = reads + 1, last_at = ?, correlation_id = ? WHERE {open_window} "
                       f"AND read_version = (SELECT MAX(read_version) FROM {TABLE} WHERE {open_window}) "
                       "RETURNING reads", (now, correlation_id, *key, *key))
            return tx.fetchone() is not None

    def open(self, window: Window) -> None:
        """The window of a read just recorded as an event."""
        w = window
        with self._db.transaction() as tx:
            tx.execute(f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
                       "ON CONFLICT (student_id, read_version) DO NOTHING",
                       (w.student_id, w.read_version, w.reader, w.what, w.role, w.path, w.opened_at, w.last_at,
                        w.reads, w.correlation_id))

    def of(self, student_id: str) -> list[Window]:
        """The student's windows not yet closed by an event, open or over."""
        with self._db.transaction() as tx:
            rows = tx.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE student_id = ? ORDER BY read_version",
                              (student_id,)).fetchall()
        return [Window(*row) for row in rows]

    def over(self, student_id: str | None = None, *, limit: int = 1000) -> list[Window]:
        """The windows that are over and that nobody is closing (the student's, or anyone's), oldest first."""
        now = self.clock()
        which = "student_id = ? AND " if student_id is not None else ""
        with self._db.transaction() as tx:
            rows = tx.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE {which}opened_at <= ? "
                              "AND (closing_at IS NULL OR closing_at <= ?) ORDER BY opened_at LIMIT ?",
                              (*([student_id] if student_id is not None else []), now - self.window,
                               now - CLAIM_SECONDS, limit)).fetchall()
        return [Window(*row) for row in rows]

    def claim(self, window: Window) -> Window | None:
        """Claim a window that is over, to record it: the row as claimed (its count frozen), or None when another
        process claimed it first or it is gone. The claim of a closer that died (`window.closing_at` older than
        CLAIM_SECONDS) may be taken over."""
        now = self.clock()
        claimed = "closing_at IS NULL" if window.closing_at is None else "closing_at = ?"
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET closing_at = ? WHERE student_id = ? AND read_version = ? "
                       f"AND opened_at <= ? AND {claimed} AND (closing_at IS NULL OR closing_at <= ?) "
                       f"RETURNING {_COLUMNS}",
                       (now, window.student_id, window.read_version, now - self.window,
                        *([] if window.closing_at is None else [window.closing_at]), now - CLAIM_SECONDS))
            row = tx.fetchone()
        return Window(*row) if row is not None else None

    def closed(self, window: Window) -> None:
        """The window's count was recorded (or it held only its opening read): its row goes."""
        with self._db.transaction() as tx:
            tx.execute(f"DELETE FROM {TABLE} WHERE student_id = ? AND read_version = ?",
                       (window.student_id, window.read_version))

"""A durable outbox of mail: a message written beside the command that causes it is sent once it is sure the
command was stored, survives a crashed sender or an SMTP server that is down, and keeps no secret after sending.

A message goes through these states (the `status` a user sees in `dualtrack mail list`):

- held: written, not yet sendable; the caller is about to save the events that make the message true. It then
  releases it (sendable) or drops it (the events were not saved). A held message whose caller died in between is
  resolved after HELD_UNTIL_CONFIRMED_SECONDS by asking `confirm(key)`: were its events saved?
- queued: waiting to be sent (at once, or after a pause that grows with each failed attempt);
- sending: claimed by a sender; a claim whose sender died is given up after CLAIM_SECONDS;
- sent: the SMTP server accepted it; its text is blanked (it may hold a one-time link or code): only the key, the
  recipient, the subject and the times stay;
- failed: the server refused it for good (a 5xx reply: no such recipient, say), with the reason; not retried.

Delivery is at least once: a sender killed after the server accepted a message and before it was marked sent
sends it again, with the same Message-ID (derived from the key), so a reader's mail program shows it once.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.common.viewstore import Tx, ViewDatabase

TABLE = "mail_outbox"
ERASED_RECIPIENT = "(erased)"
"""The recipient of a message sent to a person since erased (`MailOutbox.forget`)."""
CLAIM_SECONDS = 60.0
"""A message claimed this long ago and not marked sent (its sender died) may be claimed again."""
HELD_UNTIL_CONFIRMED_SECONDS = 60.0
"""A message held this long (its caller died before releasing or dropping it) is resolved with `confirm`."""
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 900.0
"""After a failed attempt a message waits 2 s, then 4, 8... at most 15 minutes, and is never given up."""

log = logging.getLogger("dualtrack.mail")


@dataclass(frozen=True)
class Mail:
    """One message: `key` names it uniquely (e.g. "invitation:<uuid>"); writing the same key again changes nothing,
    and its Message-ID is derived from it."""

    key: str
    to: str
    subject: str
    text: str

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > 200:
            raise ValueError("a mail's key is 1 to 200 characters")
        if "@" not in self.to:
            raise ValueError(f"a mail's recipient is an address with an @, not {self.to!r}")
        for name, value in (("key", self.key), ("recipient", self.to), ("subject", self.subject)):
            if "\r" in value or "\n" in value:
                raise ValueError(f"a mail's {name} is one line")


@dataclass(frozen=True)
class MailStatus:
    """What the outbox knows of a message, never its text."""

    key: str
    to: str
    subject: str
    status: str
    """held, queued, sending, sent or failed."""
    attempts: int
    created_at: float
    sent_at: float | None
    next_attempt_at: float | None
    """When a queued message is tried next (after a failed attempt it waits)."""
    reason: str | None
    """Why it failed for good, or why its last attempt failed."""


class MailRefused(Exception):
    """The SMTP server refused the message for good (a 5xx reply); sending it again would be refused again."""


class MailDeferred(Exception):
    """The SMTP server did not take this message now (a 4xx reply to it: a mailbox over quota, say) but takes others;
    it is tried again later."""


class Transport(Protocol):
    """Hands a message to a mail server: returns once the server accepted it; raises MailRefused when the server
    refused it for good, MailDeferred when it refused it for now; any other exception means the server cannot be
    used now (down, unreachable, refusing our sender or login): the message is tried again later, and the rest of
    the pass is left for the next one."""

    def send(self, mail: Mail) -> None: ...


_COLUMNS = "key, recipient, subject, status, attempts, created_at, sent_at, next_attempt_at, last_error, claim, " \
           "claimed_at"


class MailOutbox:
    """The outbox in the view database (table `mail_outbox`, SQLite or PostgreSQL); `now` gives the time in seconds
    (time.time; tests move it). Safe to use from several threads and processes at once."""

    def __init__(self, db: ViewDatabase, *, now: Callable[[], float] = time.time,
                 claim_seconds: float = CLAIM_SECONDS) -> None:
        self._db = db
        self._now = now
        self._claim_seconds = claim_seconds
        self._create_table()

    def _create_table(self, attempts: int = 5) -> None:
        """Processes starting together on PostgreSQL may race on CREATE TABLE: the loser tries again."""
        for attempt in range(1, attempts + 1):
            try:
                with self._db.transaction() as tx:
                    tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, recipient TEXT NOT NULL, "
                               "subject TEXT NOT NULL, body TEXT, status TEXT NOT NULL, "
                               "attempts INTEGER NOT NULL DEFAULT 0, created_at DOUBLE PRECISION NOT NULL, "
                               "released_at DOUBLE PRECISION, next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0, "
                               "claim TEXT, claimed_at DOUBLE PRECISION, sent_at DOUBLE PRECISION, last_error TEXT)")
                    tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (status, next_attempt_at)")
                return
            except Exception:
                if attempt == attempts:
                    raise
                time.sleep(0.1 * attempt)

    # -- writing --------------------------------------------------------------------------------
    def hold(self, mail: Mail) -> bool:
        """Write the message, not yet sendable: the caller saves its events next, then releases or drops it.
        Returns False (and changes nothing) when a message with this key is already there."""
        return self._insert(mail, "held")

    def put(self, mail: Mail) -> bool:
        """Write the message sendable at once (hold and release in one); a held message with this key is released.
        Returns whether it was new."""
        with self._db.transaction() as tx:
            new = self._insert_in(tx, mail, "queued")
            if not new:
                self._release_in(tx, mail.key)
        return new

    def release(self, key: str) -> bool:
        """A held message becomes sendable (its events were saved); False when it was not held."""
        with self._db.transaction() as tx:
            return self._release_in(tx, key)

    def drop(self, key: str) -> bool:
        """A held message is removed (its events were not saved); False when it was not held (a released message is
        already on its way and stays)."""
        with self._db.transaction() as tx:
            tx.execute(f"DELETE FROM {TABLE} WHERE key = ? AND status = 'held' RETURNING key", (key,))
            return tx.fetchone() is not None

    def _insert(self, mail: Mail, status: str) -> bool:
        with self._db.transaction() as tx:
            return self._insert_in(tx, mail, status)

    def _insert_in(self, tx: Tx, mail: Mail, status: str) -> bool:
        now = self._now()
        tx.execute(f"INSERT INTO {TABLE} (key, recipient, subject, body, status, created_at, released_at, "
                   "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING key",
                   (mail.key, mail.to, mail.subject, mail.text, status, now, now if status == "queued" else None,
                    now))
        return tx.fetchone() is not None

    def _release_in(self, tx: Tx, key: str) -> bool:
        now = self._now()
        tx.execute(f"UPDATE {TABLE} SET status = 'queued', released_at = ?, next_attempt_at = ? "
                   "WHERE key = ? AND status = 'held' RETURNING key", (now, now, key))
        return tx.fetchone() is not None

    # -- sending --------------------------------------------------------------------------------
    def send_due(self, transport: Transport, *, confirm: Callable[[str], bool] | None = None,
                 limit: int = 50) -> int:
        """Send up to `limit` messages that are due, one after another, each claimed first so that no other sender
        sends it meanwhile; returns how many the server accepted. A server that cannot be used (down, say) ends the
        pass after one attempt. Held messages past HELD_UNTIL_CONFIRMED_SECONDS are first released or dropped as
        `confirm(key)` says (without `confirm` they stay held)."""
        if confirm is not None:
            self._resolve_held(confirm, limit)
        sent = 0
        for _ in range(limit):
            claimed = self._claim_next()
            if claimed is None:
                break
            mail, attempts = claimed
            try:
                transport.send(mail)
            except MailRefused as refused:
                self._fail(mail, str(refused) or type(refused).__name__)
                continue
            except MailDeferred as deferred:
                self._retry_later(mail, attempts + 1, str(deferred) or type(deferred).__name__)
                continue
            except Exception as error:  # the server cannot be used now: the others would fail the same way
                self._retry_later(mail, attempts + 1, f"{type(error).__name__}: {error}")
                break
            self._mark_sent(mail)
            sent += 1
        return sent

    def _resolve_held(self, confirm: Callable[[str], bool], limit: int) -> None:
        with self._db.transaction() as tx:
            tx.execute(f"SELECT key FROM {TABLE} WHERE status = 'held' AND created_at <= ? ORDER BY created_at "
                       "LIMIT ?", (self._now() - HELD_UNTIL_CONFIRMED_SECONDS, limit))
            keys = [row[0] for row in tx.fetchall()]
        for key in keys:
            try:
                saved = confirm(key)
            except Exception as error:  # asked again on the next pass
                log.warning("cannot tell whether the held mail %s is to be sent: %s", key, error)
                continue
            if saved:
                self.release(key)
            elif self.drop(key):
                log.info("held mail %s dropped: what it tells of was not stored", key)

    def _claim_next(self) -> tuple[Mail, int] | None:
        now = self._now()
        claim = uuid.uuid4().hex
        with self._db.transaction() as tx:
            tx.execute(f"SELECT key, recipient, subject, body, attempts FROM {TABLE} WHERE status = 'queued' "
                       "AND next_attempt_at <= ? AND (claim IS NULL OR claimed_at <= ?) "
                       "ORDER BY next_attempt_at, created_at, key LIMIT 1"
                       + (" FOR UPDATE SKIP LOCKED" if tx.locks_rows else ""), (now, now - self._claim_seconds))
            row = tx.fetchone()
            if row is None:
                return None
            key, recipient, subject, body, attempts = row
            tx.execute(f"UPDATE {TABLE} SET claim = ?, claimed_at = ? WHERE key = ?", (claim, now, key))
        return Mail(key, recipient, subject, body or ""), int(attempts)

    def _mark_sent(self, mail: Mail) -> None:
        """Sent: the text is blanked, whoever holds the claim now (the server has the message)."""
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET status = 'sent', sent_at = ?, body = NULL, claim = NULL, "
                       "last_error = NULL WHERE key = ? AND status = 'queued'", (self._now(), mail.key))

    def _fail(self, mail: Mail, reason: str) -> None:
        """Refused for good: kept on record with the reason, its text blanked (nobody sends it again)."""
        log.warning("mail %s to %s refused for good: %s", mail.key, mail.to, reason)
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET status = 'failed', body = NULL, claim = NULL, last_error = ?, "
                       "attempts = attempts + 1 WHERE key = ? AND status = 'queued'", (reason[:1000], mail.key))

    def _retry_later(self, mail: Mail, attempts: int, reason: str) -> None:
        pause = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
        log.warning("mail %s not sent (attempt %d): %s; trying again in %.0f s", mail.key, attempts, reason, pause)
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET attempts = ?, next_attempt_at = ?, claim = NULL, last_error = ? "
                       "WHERE key = ? AND status = 'queued'", (attempts, self._now() + pause, reason[:1000],
                                                               mail.key))

    def release_claims(self) -> int:
        """Give up every claim now: for the one sender of a deployment when it starts (its predecessor, killed, left
        its claim behind); with other senders running, use nothing but the claims' expiry. Returns how many."""
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET claim = NULL, claimed_at = NULL WHERE status = 'queued' "
                       "AND claim IS NOT NULL RETURNING key")
            return len(tx.fetchall())

    # -- erasure --------------------------------------------------------------------------------
    def forget(self, key_prefixes: Iterable[str]) -> int:
        """Erasure: the messages whose key starts with one of `key_prefixes` keep nothing personal. Not sent yet,
        they are not sent (removed); sent or failed, only their key, subject, status and times stay (the recipient
        reads "(erased)", no text, no error). The old bytes are zeroed (SQLite) or vacuumed (PostgreSQL). How many."""
        prefixes = sorted({p for p in key_prefixes if p})
        forgotten = 0
        with self._db.transaction() as tx:
            if not self._db.is_postgres:
                tx.execute("PRAGMA secure_delete=ON")
            for prefix in prefixes:
                match = "substr(key, 1, ?) = ?"
                tx.execute(f"DELETE FROM {TABLE} WHERE {match} AND status IN ('held', 'queued') RETURNING key",
                           (len(prefix), prefix))
                forgotten += len(tx.fetchall())
                tx.execute(f"UPDATE {TABLE} SET recipient = ?, body = NULL, last_error = NULL WHERE {match} "
                           "AND status NOT IN ('held', 'queued') AND recipient <> ? RETURNING key",
                           (ERASED_RECIPIENT, len(prefix), prefix, ERASED_RECIPIENT))
                forgotten += len(tx.fetchall())
        if forgotten:
            self._db.scrub(TABLE)
        return forgotten

    # -- reading --------------------------------------------------------------------------------
    def messages(self, *, status: str | None = None, limit: int | None = None) -> list[MailStatus]:
        """Every message (or those of one status), oldest first, without their text."""
        where, params = "", list[Any]()
        if status in ("queued", "sending"):
            where = " WHERE status = 'queued'"
        elif status is not None:
            where, params = " WHERE status = ?", [status]
        sql = f"SELECT {_COLUMNS} FROM {TABLE}{where} ORDER BY created_at, key"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        with self._db.transaction() as tx:
            rows = tx.execute(sql, params).fetchall()
        found = [self._status(row) for row in rows]
        return [m for m in found if status is None or m.status == status]

    def get(self, key: str) -> MailStatus | None:
        """One message's status (None: no message with this key, or it was dropped)."""
        with self._db.transaction() as tx:
            row = tx.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE key = ?", (key,)).fetchone()
        return self._status(row) if row is not None else None

    def _status(self, row: Sequence[Any]) -> MailStatus:
        key, to, subject, status, attempts, created, sent, next_at, error, claim, claimed_at = row
        if status == "queued" and claim is not None and claimed_at > self._now() - self._claim_seconds:
            status = "sending"
        return MailStatus(key=key, to=to, subject=subject, status=status, attempts=int(attempts),
                          created_at=float(created), sent_at=float(sent) if sent is not None else None,
                          next_attempt_at=float(next_at) if status in ("queued", "sending") else None,
                          reason=error)

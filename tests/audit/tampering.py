"""Direct SQL on a context's event table, the way someone with database access would tamper with it: SQLite (the
context's store file, position = rowid) and PostgreSQL (the application's events table, position = notification_id)."""

from __future__ import annotations

import sqlite3
from typing import Any


class RawStore:
    """The rows of one context's event table, changed behind the application's back."""

    def __init__(self, container: Any, context: str) -> None:
        app = container.app(context)
        self.context = context
        self.table = app.recorder.events_table_name
        self.chain_table = f"dualtrack_audit_chain_{context}"
        self.checkpoint_table = f"dualtrack_audit_checkpoints_{context}"
        if container.settings.uses_postgres:
            import psycopg

            self._conn: Any = psycopg.connect(container.settings.database_url, autocommit=True)
            self.pos, self.p, self.postgres = "notification_id", "%s", True
        else:
            self._conn = sqlite3.connect(str(container.store_path(context)), isolation_level=None, timeout=30)
            self.pos, self.p, self.postgres = "rowid", "?", False

    def close(self) -> None:
        self._conn.close()

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(statement.replace("?", self.p), params)
        return cursor.fetchall() if cursor.description else []

    # -- reading --------------------------------------------------------------------------------------
    def row(self, position: int) -> tuple[Any, int, str, bytes]:
        originator_id, version, topic, state = self.sql(
            f"SELECT originator_id, originator_version, topic, state FROM {self.table} WHERE {self.pos} = ?",
            (position,))[0]
        return originator_id, version, topic, bytes(state)

    def positions(self) -> list[int]:
        return [int(r[0]) for r in self.sql(f"SELECT {self.pos} FROM {self.table} ORDER BY {self.pos}")]

    # -- tampering with events --------------------------------------------------------------------------
    def edit_state(self, position: int) -> None:
        """Change one digit of the event's recorded timestamp: a plausible, minimal edit of its payload."""
        _, _, _, state = self.row(position)
        marker = b'"_data_":"'
        at = state.index(marker) + len(marker)
        digit = state[at:at + 1]
        changed = state[:at] + (b"1" if digit != b"1" else b"2") + state[at + 1:]
        self.sql(f"UPDATE {self.table} SET state = ? WHERE {self.pos} = ?", (changed, position))

    def delete(self, position: int) -> None:
        self.sql(f"DELETE FROM {self.table} WHERE {self.pos} = ?", (position,))

    def truncate_after(self, position: int) -> None:
        self.sql(f"DELETE FROM {self.table} WHERE {self.pos} > ?", (position,))

    def swap_contents(self, first: int, second: int) -> None:
        """Exchange the topics and states of two rows (ids and versions stay)."""
        _, _, topic_a, state_a = self.row(first)
        _, _, topic_b, state_b = self.row(second)
        self.sql(f"UPDATE {self.table} SET topic = ?, state = ? WHERE {self.pos} = ?", (topic_b, state_b, first))
        self.sql(f"UPDATE {self.table} SET topic = ?, state = ? WHERE {self.pos} = ?", (topic_a, state_a, second))

    def swap_rows(self, first: int, second: int) -> None:
        """Exchange the positions of two whole rows."""
        self.move(first, -1)
        self.move(second, first)
        self.move(-1, second)

    def move(self, position: int, to: int) -> None:
        self.sql(f"UPDATE {self.table} SET {self.pos} = ? WHERE {self.pos} = ?", (to, position))

    def shift(self, from_position: int, by: int) -> None:
        """Renumber every row from `from_position` on by `by` (through negative positions: each step stays unique)."""
        for position in sorted((p for p in self.positions() if p >= from_position), reverse=by > 0):
            self.move(position, position + by)

    def insert(self, position: int, like: int) -> None:
        """Forge an event at `position`: a copy of the event at `like`, as the aggregate's next version."""
        originator_id, _, topic, state = self.row(like)
        top = self.sql(f"SELECT MAX(originator_version) FROM {self.table} WHERE originator_id = ?", (originator_id,))
        version = int(top[0][0]) + 1
        self.sql(f"INSERT INTO {self.table} ({'rowid, ' if not self.postgres else 'notification_id, '}originator_id, "
                 f"originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                 (position, originator_id, version, topic, state))

    def burn_positions(self, count: int) -> None:
        """Leave `count` positions unused before the next event, as rolled-back inserts do (PostgreSQL skips sequence
        values; SQLite would reuse them, so there the last row moves up instead)."""
        if self.postgres:
            for _ in range(count):
                self.sql(f"SELECT nextval(pg_get_serial_sequence('{self.table}', 'notification_id'))")
        else:
            last = self.positions()[-1]
            self.move(last, last + count)

    # -- tampering with the chain ---------------------------------------------------------------------------
    def edit_chain_leaf(self, position: int) -> None:
        self.sql(f"UPDATE {self.chain_table} SET leaf = ? WHERE position = ?", (bytes(32), position))

    def edit_checkpoint_signature(self, position: int) -> None:
        (signature,), = self.sql(f"SELECT signature FROM {self.checkpoint_table} WHERE position = ?", (position,))
        changed = ("B" if signature[0] != "B" else "C") + signature[1:]
        self.sql(f"UPDATE {self.checkpoint_table} SET signature = ? WHERE position = ?", (changed, position))

    def delete_chain_after(self, position: int) -> None:
        self.sql(f"DELETE FROM {self.chain_table} WHERE position > ?", (position,))

    def rewrite_chain_from(self, position: int) -> None:
        """Recompute the chain rows from `position` on from the events as they now are: what someone who knows the
        encoding does after editing an event, to hide it from the chain (the signed checkpoints still know)."""
        from services.audit.chain import GENESIS, leaf, link

        before = self.sql(f"SELECT hash FROM {self.chain_table} WHERE position < ? ORDER BY position DESC LIMIT 1",
                          (position,))
        previous = bytes(before[0][0]) if before else GENESIS
        rows = self.sql(f"SELECT position FROM {self.chain_table} WHERE position >= ? ORDER BY position", (position,))
        for (at,) in rows:
            originator_id, version, topic, state = self.row(int(at))
            digest = leaf(int(at), _uuid_text(originator_id), int(version), topic, state)
            previous = link(previous, digest)
            self.sql(f"UPDATE {self.chain_table} SET leaf = ?, hash = ? WHERE position = ?", (digest, previous, at))


def _uuid_text(originator_id: Any) -> str:
    from uuid import UUID

    return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))

"""Practice entries as read models keep them: each entry's current revision and status, and its hours
shared out over the competencies it names.

`progress` and `centres` both answer questions about hours; they keep the same rows under their own
table prefix, filled by the same handlers. Totals are always sums over the current rows, never
counters kept up to date, so a correction or rejection can never leave a figure behind.

An entry's description and why it was corrected or sent back are free text, not published (docs/published-fields.md):
a page showing them reads them from the training application. `last_reason` stays a column, always NULL, for the
queries that still select it (services/audit/as_of.py).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from services.common.projection import Handler
from services.common.viewstore import Tx


def shares(minutes: int, competencies: list[str]) -> list[tuple[str, int]]:
    """An entry's seconds split evenly over its competencies; the first ones in code order take the leftover
    seconds, so the shares always add up to the entry exactly."""
    codes = sorted(set(competencies))
    total = minutes * 60
    base, leftover = divmod(total, len(codes))
    return [(code, base + (1 if i < leftover else 0)) for i, code in enumerate(codes)]


def minutes_between(start: str, end: str) -> int:
    (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
    return (h2 * 60 + m2) - (h1 * 60 + m1)


def monday_of(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


class PracticeLedger:
    """Tables and handlers for practice entries, under a table prefix."""

    def __init__(self, prefix: str) -> None:
        self.records = f"{prefix}_training_records"
        self.entries = f"{prefix}_practice_entries"
        self.shares = f"{prefix}_practice_shares"

    def tables(self) -> dict[str, str]:
        return {
            self.records: "record_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, school_id TEXT NOT NULL",
            self.entries: (
                "entry_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, school_id TEXT NOT NULL, "
                "placement_id TEXT NOT NULL, centre_id TEXT NOT NULL, day TEXT NOT NULL, week TEXT NOT NULL, "
                "start_time TEXT NOT NULL, end_time TEXT NOT NULL, minutes INTEGER NOT NULL, "
                "competencies TEXT NOT NULL, revision INTEGER NOT NULL, "
                "status TEXT NOT NULL, drafted_by_student INTEGER NOT NULL, logged_by TEXT, logged_at TEXT, "
                "last_event TEXT, last_actor TEXT, last_reason TEXT, updated_at TEXT"
            ),
            self.shares: "entry_id TEXT NOT NULL, competency TEXT NOT NULL, seconds BIGINT NOT NULL, "
                         "PRIMARY KEY (entry_id, competency)",
        }

    def handlers(self) -> dict[str, Handler]:
        """Handlers by event name (of the training context): the projection reads each under every version of its
        type (`contracts.events.every_version_of`)."""
        return {
            "TrainingRecordOpened": self._record_opened,
            "PracticeLogged": self._logged,
            "PracticeCorrected": self._corrected,
            "PracticeSignedOff": self._signed_off,
            "PracticeCountersigned": self._status("signed", "countersigned"),
            "PracticeRejected": self._status("rejected", "rejected"),
        }

    # -- handlers -----------------------------------------------------------------------------------
    def _record_opened(self, p: Any, tx: Tx, e: Any) -> None:
        tx.execute(
            f"INSERT INTO {tx.table(self.records)} (record_id, student_id, school_id) VALUES (?, ?, ?) "
            "ON CONFLICT (record_id) DO NOTHING",
            (e.subject, e.data["student_id"], e.data["school_id"]),
        )

    def _logged(self, p: Any, tx: Tx, e: Any) -> None:
        d = e.data
        student_id, school_id = tx.execute(
            f"SELECT student_id, school_id FROM {tx.table(self.records)} WHERE record_id = ?", (e.subject,)
        ).fetchone() or (None, None)
        minutes = minutes_between(d["start"], d["end"])
        tx.execute(
            f"INSERT INTO {tx.table(self.entries)} (entry_id, student_id, school_id, placement_id, centre_id, day, "
            "week, start_time, end_time, minutes, competencies, revision, status, drafted_by_student, "
            "logged_by, logged_at, last_event, last_actor, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'pending', ?, ?, ?, 'logged', ?, ?) "
            "ON CONFLICT (entry_id) DO NOTHING",
            (d["entry_id"], student_id, school_id, d["placement_id"], d["centre_id"], d["day"], monday_of(d["day"]),
             d["start"], d["end"], minutes, json.dumps(d["competencies"]),
             int(d["drafted_by_student"]), e.extensions.get("actor"), e.time, e.extensions.get("actor"), e.time),
        )
        self._share_out(tx, d["entry_id"], minutes, d["competencies"])

    def _corrected(self, p: Any, tx: Tx, e: Any) -> None:
        d = e.data
        minutes = minutes_between(d["start"], d["end"])
        tx.execute(
            f"UPDATE {tx.table(self.entries)} SET day = ?, week = ?, start_time = ?, end_time = ?, minutes = ?, "
            "competencies = ?, revision = ?, status = 'pending', last_event = 'corrected', "
            "last_actor = ?, updated_at = ? WHERE entry_id = ?",
            (d["day"], monday_of(d["day"]), d["start"], d["end"], minutes, json.dumps(d["competencies"]),
             d["revision"], e.extensions.get("actor"), e.time, d["entry_id"]),
        )
        tx.execute(f"DELETE FROM {tx.table(self.shares)} WHERE entry_id = ?", (d["entry_id"],))
        self._share_out(tx, d["entry_id"], minutes, d["competencies"])

    def _signed_off(self, p: Any, tx: Tx, e: Any) -> None:
        status = "awaiting-countersignature" if e.data["countersignature_required"] else "signed"
        self._set_status(tx, e, status, "signed")

    def _status(self, status: str, event: str) -> Handler:
        def handler(p: Any, tx: Tx, e: Any) -> None:
            self._set_status(tx, e, status, event)

        return handler

    def _set_status(self, tx: Tx, e: Any, status: str, event: str) -> None:
        tx.execute(
            f"UPDATE {tx.table(self.entries)} SET status = ?, last_event = ?, last_actor = ?, "
            "updated_at = ? WHERE entry_id = ?",
            (status, event, e.extensions.get("actor"), e.time, e.data["entry_id"]),
        )

    def _share_out(self, tx: Tx, entry_id: str, minutes: int, competencies: list[str]) -> None:
        tx.executemany(
            f"INSERT INTO {tx.table(self.shares)} (entry_id, competency, seconds) VALUES (?, ?, ?) "
            "ON CONFLICT (entry_id, competency) DO UPDATE SET seconds = excluded.seconds",
            [(entry_id, code, seconds) for code, seconds in shares(minutes, competencies)],
        )

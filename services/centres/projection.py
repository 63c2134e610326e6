"""The `centres` read model: every enterprise training centre as it stands now."""

from __future__ import annotations

import json
from typing import Any

from services.common.projection import Projection
from services.common.viewstore import Tx

T = "dualtrack.placements."


def _enterprise_registered(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"INSERT INTO {tx.table('centres_enterprises')} (enterprise_id, name, registration_number, registered_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (enterprise_id) DO UPDATE SET name = excluded.name",
        (e.subject, e.data["name"], e.data.get("registration_number"), e.time),
    )


def _centre_opened(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table('centres_centres')} (centre_id, enterprise_id, name, address, capacity, "
        "specialities, status, opened_at, closed_at, version, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'open', ?, NULL, ?, ?)",
        (e.subject, d["enterprise_id"], d["name"], d["address"], d["capacity"],
         json.dumps(sorted(d["specialities"])), e.time, e.aggregate_version, e.time),
    )


def _touch(tx: Tx, e: Any, assignments: str, params: tuple[Any, ...]) -> None:
    tx.execute(
        f"UPDATE {tx.table('centres_centres')} SET {assignments}, version = ?, updated_at = ? WHERE centre_id = ?",
        (*params, e.aggregate_version, e.time, e.subject),
    )


def _capacity_changed(p: Any, tx: Tx, e: Any) -> None:
    _touch(tx, e, "capacity = ?", (e.data["capacity"],))


def _mentor_assigned(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"INSERT INTO {tx.table('centres_mentors')} (centre_id, mentor_id, name, assigned_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (centre_id, mentor_id) DO UPDATE SET name = excluded.name, assigned_at = excluded.assigned_at",
        (e.subject, e.data["mentor_id"], e.data["name"], e.time),
    )
    _touch(tx, e, "status = status", ())


def _mentor_withdrawn(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"DELETE FROM {tx.table('centres_mentors')} WHERE centre_id = ? AND mentor_id = ?",
        (e.subject, e.data["mentor_id"]),
    )
    _touch(tx, e, "status = status", ())


def _centre_closed(p: Any, tx: Tx, e: Any) -> None:
    _touch(tx, e, "status = 'closed', closed_at = ?", (e.time,))


class CentresProjection(Projection):
    """Which training centres exist, whose are they, how big, who mentors there, are they open?"""

    name = "centres"
    contexts = ("placements",)
    tables = {
        "centres_enterprises": "enterprise_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "registration_number TEXT, registered_at TEXT NOT NULL",
        "centres_centres": "centre_id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL, name TEXT NOT NULL, "
        "address TEXT NOT NULL, capacity INTEGER NOT NULL, specialities TEXT NOT NULL, status TEXT NOT NULL, "
        "opened_at TEXT NOT NULL, closed_at TEXT, version INTEGER NOT NULL, updated_at TEXT NOT NULL",
        "centres_mentors": "centre_id TEXT NOT NULL, mentor_id TEXT NOT NULL, name TEXT NOT NULL, "
        "assigned_at TEXT NOT NULL, PRIMARY KEY (centre_id, mentor_id)",
    }
    handlers = {
        T + "EnterpriseRegistered.v1": _enterprise_registered,
        T + "CentreOpened.v1": _centre_opened,
        T + "CentreCapacityChanged.v1": _capacity_changed,
        T + "MentorAssigned.v1": _mentor_assigned,
        T + "MentorWithdrawn.v1": _mentor_withdrawn,
        T + "CentreClosed.v1": _centre_closed,
    }

    def describe(self) -> str:
        return "each enterprise training centre as it stands now"

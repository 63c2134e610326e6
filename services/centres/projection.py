"""The `centres` read model: every training centre as it stands now, its places held over time, the
capacity overrides granted there, and the students published rotation plans send there (each published revision
replaces what was held for its plan).

Nothing personal is kept: a mentor is known by person id (their name is not published: the API reads it from the
placements application), an override by who justified it (the justification is not published), a student by id; a
student's erasure is recorded, and the students a centre hosted are marked erased."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from contracts.events import every_version_of
from services.common.practice_ledger import PracticeLedger
from services.common.projection import Projection
from services.common.published_places import PublishedPlaces
from services.common.viewstore import Tx

ERASED = "centres_erased_students"
LEDGER = PracticeLedger("centres")
"""Practice entries by centre: the hours delivered there."""
PLANNED = PublishedPlaces("centres", enterprise_only=True)
"""The enterprise blocks of published plans: who is expected at which centre when."""


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
        f"INSERT INTO {tx.table('centres_mentors')} (centre_id, mentor_id, assigned_at) VALUES (?, ?, ?) "
        "ON CONFLICT (centre_id, mentor_id) DO UPDATE SET assigned_at = excluded.assigned_at",
        (e.subject, e.data["mentor_id"], e.time),
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


def _place_booked(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table('centres_bookings')} (centre_id, placement_id, student_id, start_date, end_date, "
        "booked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (centre_id, placement_id) DO UPDATE SET "
        "start_date = excluded.start_date, end_date = excluded.end_date",
        (e.subject, d["placement_id"], d["student_id"], d["start"], d["end"], e.time),
    )
    _touch(tx, e, "status = status", ())


def _place_rescheduled(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"UPDATE {tx.table('centres_bookings')} SET start_date = ?, end_date = ? "
        "WHERE centre_id = ? AND placement_id = ?",
        (e.data["start"], e.data["end"], e.subject, e.data["placement_id"]),
    )
    _touch(tx, e, "status = status", ())


def _place_released(p: Any, tx: Tx, e: Any) -> None:
    from_date = date.fromisoformat(e.data["from_date"])
    bookings = tx.table("centres_bookings")
    row = tx.execute(f"SELECT start_date FROM {bookings} WHERE centre_id = ? AND placement_id = ?",
                     (e.subject, e.data["placement_id"])).fetchone()
    if row is not None and from_date <= date.fromisoformat(row[0]):
        tx.execute(f"DELETE FROM {bookings} WHERE centre_id = ? AND placement_id = ?",
                   (e.subject, e.data["placement_id"]))
    elif row is not None:
        tx.execute(f"UPDATE {bookings} SET end_date = ? WHERE centre_id = ? AND placement_id = ?",
                   ((from_date - timedelta(days=1)).isoformat(), e.subject, e.data["placement_id"]))
    _touch(tx, e, "status = status", ())


def _capacity_override_granted(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table('centres_capacity_overrides')} (centre_id, placement_id, capacity, occupancy, "
        "justified_by, granted_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (centre_id, placement_id, granted_at) DO NOTHING",
        (e.subject, d["placement_id"], d["capacity"], d["occupancy"], d["justified_by"], e.time),
    )
    _touch(tx, e, "status = status", ())


def _student_erased(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(ERASED)} (student_id, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.time))


class CentresProjection(Projection):
    """Which training centres exist, whose are they, how big, who mentors there, are they open, how many hours
    of practice were delivered there?"""

    name = "centres"
    contexts = ("placements", "training", "schedules")
    indexes = ((LEDGER.entries, ("centre_id", "day")), *PLANNED.indexes())
    tables = {
        **LEDGER.tables(),
        **PLANNED.tables(),
        "centres_enterprises": "enterprise_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "registration_number TEXT, registered_at TEXT NOT NULL",
        "centres_centres": "centre_id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL, name TEXT NOT NULL, "
        "address TEXT NOT NULL, capacity INTEGER NOT NULL, specialities TEXT NOT NULL, status TEXT NOT NULL, "
        "opened_at TEXT NOT NULL, closed_at TEXT, version INTEGER NOT NULL, updated_at TEXT NOT NULL",
        "centres_mentors": "centre_id TEXT NOT NULL, mentor_id TEXT NOT NULL, "
        "assigned_at TEXT NOT NULL, PRIMARY KEY (centre_id, mentor_id)",
        "centres_bookings": "centre_id TEXT NOT NULL, placement_id TEXT NOT NULL, student_id TEXT NOT NULL, "
        "start_date TEXT NOT NULL, end_date TEXT NOT NULL, booked_at TEXT NOT NULL, "
        "PRIMARY KEY (centre_id, placement_id)",
        "centres_capacity_overrides": "centre_id TEXT NOT NULL, placement_id TEXT NOT NULL, capacity INTEGER NOT NULL, "
        "occupancy INTEGER NOT NULL, justified_by TEXT, granted_at TEXT NOT NULL, "
        "PRIMARY KEY (centre_id, placement_id, granted_at)",
        ERASED: "student_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL",
    }
    handlers = {
        **every_version_of("placements", {
            "EnterpriseRegistered": _enterprise_registered,
            "CentreOpened": _centre_opened,
            "CentreCapacityChanged": _capacity_changed,
            "MentorAssigned": _mentor_assigned,
            "MentorWithdrawn": _mentor_withdrawn,
            "CentreClosed": _centre_closed,
            "PlaceBooked": _place_booked,
            "PlaceRescheduled": _place_rescheduled,
            "PlaceReleased": _place_released,
            "CapacityOverrideGranted": _capacity_override_granted,
            "StudentErased": _student_erased,
        }),
        **every_version_of("training", LEDGER.handlers()),
        **every_version_of("schedules", PLANNED.handlers()),
    }

    def describe(self) -> str:
        return ("each enterprise training centre as it stands now, its places held over time, the hours delivered "
                "and the students published rotation plans send there")

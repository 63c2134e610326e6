"""The `placement_register` read model: which placements exist, where, in what state, approved by whom,
and what happened to each, in order.

Nothing personal is kept (docs/published-fields.md): a justification or a stop's free text only as whether there was
one, an event's reason only as whether one was given, and a history line keeps only the fields its type publishes now
(a record published before a field was dropped may still carry it). A student's erasure marks their placements."""

from __future__ import annotations

import json
from typing import Any

from contracts.events import every_version_of, published_fields
from services.common.projection import Projection
from services.common.viewstore import Tx

T = "dualtrack.placements."
PLACEMENTS = "placement_register_placements"
STUDENTS = "placement_register_students"
SCHOOLS = "placement_register_schools"
HISTORY = "placement_register_history"


def _school_registered(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"INSERT INTO {tx.table(SCHOOLS)} (school_id, name, code, rule_set) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (school_id) DO NOTHING",
        (e.subject, e.data["name"], e.data["code"], e.data["rule_set"]),
    )


def _student_enrolled(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(STUDENTS)} (student_id, school_id, major, cohort, enrolment_date, erased) "
        "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (student_id) DO NOTHING",
        (e.subject, d["school_id"], d["major"], d["cohort"], d["enrolment_date"]),
    )


def _student_erased(p: Any, tx: Tx, e: Any) -> None:
    """The student's placements (all recorded before, on the same aggregate) and any later one are marked erased."""
    tx.execute(f"UPDATE {tx.table(STUDENTS)} SET erased = 1 WHERE student_id = ?", (e.subject,))
    tx.execute(f"UPDATE {tx.table(PLACEMENTS)} SET student_erased = 1 WHERE student_id = ?", (e.subject,))


def _history(tx: Tx, e: Any, placement_id: str) -> None:
    name = e.type.removeprefix(T).rsplit(".", 1)[0]
    kept = published_fields("placements", name)
    details = {k: v for k, v in e.data.items() if k != "placement_id" and k in kept}
    given = e.extensions.get("hasreason") == "true" or bool(e.extensions.get("reason"))
    tx.execute(
        f"INSERT INTO {tx.table(HISTORY)} (placement_id, student_id, version, event, recorded_at, actor, role, "
        "reason_given, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (placement_id, version, event) DO NOTHING",
        (placement_id, e.subject, e.aggregate_version, name, e.time, e.extensions.get("actor"),
         e.extensions.get("actorrole"), int(given), json.dumps(details, sort_keys=True)),
    )


def _update(tx: Tx, e: Any, assignments: str, params: tuple[Any, ...] = ()) -> None:
    tx.execute(
        f"UPDATE {tx.table(PLACEMENTS)} SET {assignments}, updated_at = ? WHERE placement_id = ?",
        (*params, e.time, e.data["placement_id"]),
    )
    _history(tx, e, e.data["placement_id"])


def _proposed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    school = tx.execute(f"SELECT school_id, erased FROM {tx.table(STUDENTS)} WHERE student_id = ?",
                        (e.subject,)).fetchone()
    tx.execute(
        f"INSERT INTO {tx.table(PLACEMENTS)} (placement_id, student_id, school_id, centre_id, enterprise_id, kind, "
        "status, start_date, planned_end, ended_on, post, weekly_hours, terms_version, pending_terms, "
        "school_approved, enterprise_approved, mentor_id, confirmed_by, activated_on, transferred_from, "
        "transferred_to, speciality_override, capacity_override_justified, proposed_at, updated_at, student_erased) "
        "VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, NULL, ?, ?, 1, NULL, NULL, NULL, NULL, NULL, NULL, ?, NULL, 0, "
        "?, ?, ?, ?) ON CONFLICT (placement_id) DO NOTHING",
        (d["placement_id"], e.subject, school[0] if school else None, d["centre_id"], d["enterprise_id"], d["kind"],
         d["start"], d["planned_end"], d["post"], d["weekly_hours"], d.get("transferred_from"),
         int(bool(d.get("capacity_override_justified", d.get("capacity_override_justification")))), e.time, e.time,
         school[1] if school else 0),
    )
    _history(tx, e, d["placement_id"])


def _speciality_overridden(p: Any, tx: Tx, e: Any) -> None:
    _update(tx, e, "speciality_override = 1")


def _approved_by_school(p: Any, tx: Tx, e: Any) -> None:
    _update(tx, e, "school_approved = ?", (e.data["terms_version"],))


def _approved_by_enterprise(p: Any, tx: Tx, e: Any) -> None:
    _update(tx, e, "enterprise_approved = ?, mentor_id = ?", (e.data["terms_version"], e.data["mentor_id"]))


def _confirmed(p: Any, tx: Tx, e: Any) -> None:
    _update(tx, e, "confirmed_by = ?", (e.data["confirmed_by"],))


def _status(status: str, extra: str = "", field: str | None = None) -> Any:
    def handler(p: Any, tx: Tx, e: Any) -> None:
        params: tuple[Any, ...] = (status,) + ((e.data[field],) if field else ())
        _update(tx, e, f"status = ?{extra}", params)

    return handler


def _transferred(p: Any, tx: Tx, e: Any) -> None:
    from datetime import date, timedelta

    ended = (date.fromisoformat(e.data["on"]) - timedelta(days=1)).isoformat()
    _update(tx, e, "status = 'transferred', ended_on = ?, transferred_to = ?, pending_terms = NULL",
            (ended, e.data["to_placement_id"]))


def _amendment_proposed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    pending = {k: d[k] for k in ("terms_version", "start", "planned_end", "post", "weekly_hours")}
    _update(tx, e, "pending_terms = ?", (json.dumps(pending, sort_keys=True),))


def _amendment_agreed(p: Any, tx: Tx, e: Any) -> None:
    row = tx.execute(f"SELECT pending_terms FROM {tx.table(PLACEMENTS)} WHERE placement_id = ?",
                     (e.data["placement_id"],)).fetchone()
    terms = json.loads(row[0]) if row and row[0] else None
    if terms is None:
        _history(tx, e, e.data["placement_id"])
        return
    _update(tx, e, "pending_terms = NULL, terms_version = ?, start_date = ?, planned_end = ?, post = ?, "
            "weekly_hours = ?", (terms["terms_version"], terms["start"], terms["planned_end"], terms["post"],
                                 terms["weekly_hours"]))


class PlacementRegisterProjection(Projection):
    """Which placements exist, in what state, approved by whom, and what happened to each?"""

    name = "placement_register"
    contexts = ("placements",)
    tables = {
        SCHOOLS: "school_id TEXT PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL, rule_set TEXT NOT NULL",
        STUDENTS: "student_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, major TEXT NOT NULL, cohort INTEGER NOT NULL, "
        "enrolment_date TEXT NOT NULL, erased INTEGER NOT NULL",
        PLACEMENTS: "placement_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, school_id TEXT, centre_id TEXT NOT NULL, "
        "enterprise_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, start_date TEXT NOT NULL, "
        "planned_end TEXT NOT NULL, ended_on TEXT, post TEXT NOT NULL, weekly_hours INTEGER NOT NULL, "
        "terms_version INTEGER NOT NULL, pending_terms TEXT, school_approved INTEGER, enterprise_approved INTEGER, "
        "mentor_id TEXT, confirmed_by TEXT, activated_on TEXT, transferred_from TEXT, transferred_to TEXT, "
        "speciality_override INTEGER NOT NULL, capacity_override_justified INTEGER NOT NULL, "
        "proposed_at TEXT NOT NULL, updated_at TEXT NOT NULL, student_erased INTEGER NOT NULL",
        HISTORY: "placement_id TEXT NOT NULL, student_id TEXT NOT NULL, version BIGINT NOT NULL, event TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, actor TEXT, role TEXT, reason_given INTEGER NOT NULL, details TEXT NOT NULL, "
        "PRIMARY KEY (placement_id, version, event)",
    }
    handlers = every_version_of("placements", {
        "SchoolRegistered": _school_registered,
        "StudentEnrolled": _student_enrolled,
        "StudentErased": _student_erased,
        "PlacementProposed": _proposed,
        "SpecialityMismatchOverridden": _speciality_overridden,
        "PlacementApprovedBySchool": _approved_by_school,
        "PlacementApprovedByEnterprise": _approved_by_enterprise,
        "PlacementConfirmedByStudent": _confirmed,
        "PlacementAgreed": _status("agreed"),
        "PlacementActivated": _status("active", ", activated_on = ?", "on"),
        "PlacementPaused": _status("paused"),
        "PlacementResumed": _status("active"),
        "PlacementStopped": _status("stopped", ", ended_on = ?, pending_terms = NULL", "on"),
        "PlacementCompleted": _status("completed", ", ended_on = ?, pending_terms = NULL", "on"),
        "PlacementTransferred": _transferred,
        "PlacementWithdrawn": _status("withdrawn", ", pending_terms = NULL"),
        "PlacementAmendmentProposed": _amendment_proposed,
        "PlacementAmendmentAgreed": _amendment_agreed,
    })

    def describe(self) -> str:
        return "every placement with its state, approvals and history"

"""Queries on the placement register, named after the questions they answer.

Free text is not on the topics (docs/published-fields.md): a placement's `capacity_override_justification` and a
history line's `reason` are None here (`capacity_override_justified`, `reason_given` say whether there was one; the
placements application has the text). A placement of a student whose data was erased says `student_erased`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.common.errors import NotFound
from services.common.freshness import FollowsProjection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase, page_window
from services.placement_register.projection import HISTORY, PLACEMENTS, PlacementRegisterProjection

_COLUMNS = (
    "placement_id", "student_id", "school_id", "centre_id", "enterprise_id", "kind", "status", "start_date",
    "planned_end", "ended_on", "post", "weekly_hours", "terms_version", "pending_terms", "school_approved",
    "enterprise_approved", "mentor_id", "confirmed_by", "activated_on", "transferred_from", "transferred_to",
    "speciality_override", "capacity_override_justified", "proposed_at", "updated_at", "student_erased",
)


@dataclass(frozen=True)
class PlacementPage:
    items: list[dict[str, Any]]
    total: int


class PlacementRegisterView(FollowsProjection):
    """Which placements are there, and what happened to one?"""

    projection = PlacementRegisterProjection.name
    contexts = PlacementRegisterProjection.contexts

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    def placements_matching(
        self, scope: Scope, *, school_id: str | None = None, centre_id: str | None = None,
        student_id: str | None = None, status: str | None = None, period_from: date | None = None,
        period_to: date | None = None, page: int = 1, page_size: int = 50,
    ) -> PlacementPage:
        where, params = self._scope_clause(scope)
        for column, value in (("school_id", school_id), ("centre_id", centre_id), ("student_id", student_id),
                              ("status", status)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if period_to:
            where.append("start_date <= ?")
            params.append(period_to.isoformat())
        if period_from:
            where.append("COALESCE(ended_on, planned_end) >= ?")
            params.append(period_from.isoformat())
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        with self._db.transaction() as tx:
            (total,) = tx.execute(f"SELECT COUNT(*) FROM {PLACEMENTS}{clause}", params).fetchone() or (0,)
            rows = tx.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM {PLACEMENTS}{clause} ORDER BY start_date, placement_id "
                "LIMIT ? OFFSET ?", (*params, *page_window(page, page_size)),
            ).fetchall()
        return PlacementPage([_placement(r) for r in rows], total)

    def placement_with_history(self, scope: Scope, placement_id: str) -> dict[str, Any]:
        with self._db.transaction() as tx:
            where, params = self._scope_clause(scope)
            where.append("placement_id = ?")
            params.append(placement_id)
            row = tx.execute(f"SELECT {', '.join(_COLUMNS)} FROM {PLACEMENTS} WHERE {' AND '.join(where)}",
                             params).fetchone()
            if row is None:
                raise NotFound(f"no placement {placement_id} (yet) in the placement register, or not yours to see",
                               placement_id=placement_id)
            history = tx.execute(
                f"SELECT version, event, recorded_at, actor, role, reason_given, details FROM {HISTORY} "
                "WHERE placement_id = ? ORDER BY version, event", (placement_id,),
            ).fetchall()
        placement = _placement(row)
        placement["history"] = [
            {"version": v, "event": ev, "recorded_at": at, "actor": actor, "role": role, "reason": None,
             "reason_given": bool(given), "details": json.loads(details)}
            for v, ev, at, actor, role, given, details in history
        ]
        return placement

    def placements_of_student(self, scope: Scope, student_id: str) -> list[dict[str, Any]]:
        return self.placements_matching(scope, student_id=student_id, page_size=1000).items

    def current_placement(self, scope: Scope, student_id: str, today: date | None = None) -> dict[str, Any] | None:
        """The placement the student is in now (active or paused, or transferred with days still to go),
        else the next agreed one."""
        day = (today or date.today()).isoformat()
        placements = self.placements_of_student(scope, student_id)
        running = [p for p in placements if p["status"] in ("active", "paused")
                   or (p["status"] == "transferred" and p["ended_on"] and p["ended_on"] >= day)]
        upcoming = [p for p in placements if p["status"] == "agreed"]
        chosen = running or upcoming
        return chosen[0] if chosen else None

    @staticmethod
    def _scope_clause(scope: Scope) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("school_id", scope.school_id), ("enterprise_id", scope.enterprise_id),
                              ("student_id", scope.student_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        return where, params


def _placement(row: tuple[Any, ...]) -> dict[str, Any]:
    r = dict(zip(_COLUMNS, row))
    pending = json.loads(r["pending_terms"]) if r["pending_terms"] else None
    version = pending["terms_version"] if pending else r["terms_version"]
    return {
        "id": r["placement_id"],
        "student_id": r["student_id"],
        "school_id": r["school_id"],
        "centre_id": r["centre_id"],
        "enterprise_id": r["enterprise_id"],
        "kind": r["kind"],
        "status": r["status"],
        "terms": {"version": r["terms_version"], "start": r["start_date"], "planned_end": r["planned_end"],
                  "post": r["post"], "weekly_hours": r["weekly_hours"]},
        "pending_terms": pending,
        "ended_on": r["ended_on"],
        "activated_on": r["activated_on"],
        "approvals": {
            "school": r["school_approved"] == version,
            "enterprise": r["enterprise_approved"] == version,
            "student": r["confirmed_by"] is not None,
            "confirmed_by": r["confirmed_by"],
            "mentor_id": r["mentor_id"],
        },
        "transferred_from": r["transferred_from"],
        "transferred_to": r["transferred_to"],
        "speciality_override": bool(r["speciality_override"]),
        "capacity_override_justification": None,
        "capacity_override_justified": bool(r["capacity_override_justified"]),
        "student_erased": bool(r["student_erased"]),
        "proposed_at": r["proposed_at"],
        "updated_at": r["updated_at"],
    }

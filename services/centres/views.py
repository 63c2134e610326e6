"""Queries on the `centres` read model, named after the questions they answer.

A mentor's `name` and an override's `justification` are not on the topics (docs/published-fields.md): they are None
here, and the API fills a mentor's name from the placements application."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.centres.projection import ERASED, LEDGER, PLANNED, CentresProjection
from services.common.errors import NotFound
from services.common.freshness import FollowsProjection
from services.common.viewstore import ViewDatabase, page_window

_CENTRE_COLUMNS = (
    "c.centre_id, c.enterprise_id, e.name, c.name, c.address, c.capacity, c.specialities, c.status, "
    "c.opened_at, c.closed_at, c.version, c.updated_at"
)


@dataclass(frozen=True)
class CentrePage:
    """One page of centres and how many match in all."""

    items: list[dict[str, Any]]
    total: int


class CentresView(FollowsProjection):
    """Which training centres are there, and what does one look like now?"""

    projection = CentresProjection.name
    contexts = CentresProjection.contexts

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    def centres_matching(
        self, *, enterprise_id: str | None = None, status: str | None = None,
        speciality: str | None = None, page: int = 1, page_size: int = 50,
    ) -> CentrePage:
        where, params = [], []
        if enterprise_id:
            where.append("c.enterprise_id = ?")
            params.append(enterprise_id)
        if status:
            where.append("c.status = ?")
            params.append(status)
        if speciality:
            where.append("c.specialities LIKE ?")
            params.append(f'%"{speciality}"%')
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        base = "FROM centres_centres c LEFT JOIN centres_enterprises e ON e.enterprise_id = c.enterprise_id"
        with self._db.transaction() as tx:
            (total,) = tx.execute(f"SELECT COUNT(*) {base}{clause}", params).fetchone() or (0,)
            rows = tx.execute(
                f"SELECT {_CENTRE_COLUMNS} {base}{clause} ORDER BY c.opened_at, c.centre_id LIMIT ? OFFSET ?",
                (*params, *page_window(page, page_size)),
            ).fetchall()
            mentors = self._mentors(tx, [r[0] for r in rows])
        return CentrePage([_centre(r, mentors.get(r[0], [])) for r in rows], total)

    def centre_by_id(self, centre_id: str) -> dict[str, Any]:
        with self._db.transaction() as tx:
            row = tx.execute(
                f"SELECT {_CENTRE_COLUMNS} FROM centres_centres c LEFT JOIN centres_enterprises e "
                "ON e.enterprise_id = c.enterprise_id WHERE c.centre_id = ?",
                (centre_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"no training centre with id {centre_id} (yet) in the centres view", id=centre_id)
            mentors = self._mentors(tx, [centre_id])
        return _centre(row, mentors.get(centre_id, []))

    def occupancy_by_week(self, centre_id: str, start: date, end: date) -> dict[str, Any]:
        """How many places are held (agreed, active or paused placements) in each week, against capacity."""
        centre = self.centre_by_id(centre_id)
        monday = start - timedelta(days=start.weekday())
        with self._db.transaction() as tx:
            bookings = [
                (date.fromisoformat(s), date.fromisoformat(e), placement_id)
                for s, e, placement_id in tx.execute(
                    "SELECT start_date, end_date, placement_id FROM centres_bookings "
                    "WHERE centre_id = ? AND start_date <= ? AND end_date >= ?",
                    (centre_id, end.isoformat(), monday.isoformat()),
                ).fetchall()
            ]
        weeks = []
        while monday <= end:
            sunday = monday + timedelta(days=6)
            held = [pid for s, e, pid in bookings if s <= sunday and e >= monday]
            peak = max((sum(1 for s, e, _ in bookings if s <= day <= e)
                        for day in {monday} | {s for s, _, _ in bookings if monday < s <= sunday}), default=0)
            weeks.append({"week_start": monday.isoformat(), "held": peak, "placements": sorted(held),
                          "capacity": centre["capacity"], "over_capacity": peak > centre["capacity"]})
            monday += timedelta(days=7)
        return {"centre_id": centre_id, "capacity": centre["capacity"], "weeks": weeks}

    def expected_occupancy(self, centre_id: str, start: date, end: date) -> list[dict[str, Any]]:
        """Per ISO week (Monday to Sunday) from the week of `start` to the week of `end`: the distinct students an
        enterprise block of a published plan (its current revision) puts at the centre on some day of that week,
        against the centre's capacity now, and how many each plan sends."""
        centre = self.centre_by_id(centre_id)
        monday = start - timedelta(days=start.weekday())
        last = end + timedelta(days=6 - end.weekday())
        with self._db.transaction() as tx:
            places = [(date.fromisoformat(s), date.fromisoformat(e), plan_id, title, revision, student)
                      for s, e, plan_id, title, revision, student in tx.execute(
                          "SELECT start_date, end_date, plan_id, cohort, revision, student_id "
                          f"FROM {PLANNED.places} WHERE centre_id = ? AND start_date <= ? AND end_date >= ?",
                          (centre_id, last.isoformat(), monday.isoformat())).fetchall()]
        capacity, weeks = centre["capacity"], []
        while monday <= end:
            sunday = monday + timedelta(days=6)
            by_plan: dict[str, tuple[str, int, set[str]]] = {}
            for s, e, plan_id, title, revision, student in places:
                if s <= sunday and e >= monday:
                    by_plan.setdefault(plan_id, (title, revision, set()))[2].add(student)
            expected = len(set().union(*(students for _, _, students in by_plan.values())))
            year, week, _ = monday.isocalendar()
            weeks.append({
                "week": f"{year}-W{week:02d}", "week_start": monday.isoformat(), "expected": expected,
                "capacity": capacity, "over_capacity": expected > capacity,
                "plans": [{"plan_id": plan_id, "title": title, "revision": revision, "students": len(students)}
                          for plan_id, (title, revision, students)
                          in sorted(by_plan.items(), key=lambda item: (item[1][0], item[0]))],
            })
            monday += timedelta(days=7)
        return weeks

    def students_hosted(self, centre_id: str) -> list[dict[str, Any]]:
        """Every student who held a place at the centre, with the period, oldest first."""
        self.centre_by_id(centre_id)
        with self._db.transaction() as tx:
            rows = tx.execute(
                f"SELECT b.student_id, b.placement_id, b.start_date, b.end_date, x.student_id FROM centres_bookings b "
                f"LEFT JOIN {ERASED} x ON x.student_id = b.student_id WHERE b.centre_id = ? "
                "ORDER BY b.start_date, b.placement_id", (centre_id,),
            ).fetchall()
        return [{"student_id": s, "placement_id": p, "start": a, "end": b, "erased": erased is not None}
                for s, p, a, b, erased in rows]

    def capacity_overrides(self, centre_id: str) -> list[dict[str, Any]]:
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT placement_id, capacity, occupancy, justified_by, granted_at "
                "FROM centres_capacity_overrides WHERE centre_id = ? ORDER BY granted_at", (centre_id,),
            ).fetchall()
        keys = ("placement_id", "capacity", "occupancy", "justified_by", "granted_at")
        return [{**dict(zip(keys, r)), "justification": None} for r in rows]

    def hours_delivered(self, centre_id: str, start: date, end: date) -> dict[str, Any]:
        """Practice hours delivered at the centre per week and per competency: signed, and still awaiting a
        signature (pending or awaiting countersignature), between two days."""
        self.centre_by_id(centre_id)
        period = (centre_id, start.isoformat(), end.isoformat())
        with self._db.transaction() as tx:
            weeks = tx.execute(
                f"SELECT week, status, SUM(minutes) FROM {LEDGER.entries} "
                "WHERE centre_id = ? AND day >= ? AND day <= ? AND status <> 'rejected' GROUP BY week, status",
                period).fetchall()
            competencies = tx.execute(
                f"SELECT s.competency, e.status, SUM(s.seconds) FROM {LEDGER.shares} s JOIN {LEDGER.entries} e "
                "ON e.entry_id = s.entry_id WHERE e.centre_id = ? AND e.day >= ? AND e.day <= ? "
                "AND e.status <> 'rejected' GROUP BY s.competency, e.status", period).fetchall()
        by_week: dict[str, dict[str, Any]] = {}
        for week, status, minutes in weeks:
            row = by_week.setdefault(week, {"week_start": week, "signed_hours": 0.0, "unsigned_hours": 0.0})
            row["signed_hours" if status == "signed" else "unsigned_hours"] += int(minutes) / 60
        by_competency: dict[str, dict[str, Any]] = {}
        for code, status, seconds in competencies:
            row = by_competency.setdefault(code, {"competency": code, "signed_hours": 0.0, "unsigned_hours": 0.0})
            hours = "signed_hours" if status == "signed" else "unsigned_hours"
            row[hours] += int(seconds) / 3600  # PostgreSQL: numeric
        for row in [*by_week.values(), *by_competency.values()]:
            row["signed_hours"], row["unsigned_hours"] = round(row["signed_hours"], 2), round(row["unsigned_hours"], 2)
        return {"centre_id": centre_id, "from": start.isoformat(), "to": end.isoformat(),
                "weeks": [by_week[w] for w in sorted(by_week)],
                "competencies": [by_competency[c] for c in sorted(by_competency)],
                "signed_hours": round(sum(w["signed_hours"] for w in by_week.values()), 2)}

    @staticmethod
    def _mentors(tx: Any, centre_ids: list[str]) -> dict[str, list[dict[str, str | None]]]:
        if not centre_ids:
            return {}
        marks = ", ".join("?" for _ in centre_ids)
        rows = tx.execute(
            f"SELECT centre_id, mentor_id, assigned_at FROM centres_mentors WHERE centre_id IN ({marks}) "
            "ORDER BY assigned_at, mentor_id",
            centre_ids,
        ).fetchall()
        found: dict[str, list[dict[str, str | None]]] = {}
        for centre_id, mentor_id, assigned_at in rows:
            found.setdefault(centre_id, []).append({"mentor_id": mentor_id, "name": None, "assigned_at": assigned_at})
        return found


def _centre(row: tuple[Any, ...], mentors: list[dict[str, str | None]]) -> dict[str, Any]:
    (centre_id, enterprise_id, enterprise_name, name, address, capacity, specialities, status,
     opened_at, closed_at, version, updated_at) = row
    return {
        "id": centre_id,
        "enterprise": {"id": enterprise_id, "name": enterprise_name},
        "name": name,
        "address": address,
        "capacity": capacity,
        "specialities": json.loads(specialities),
        "status": status,
        "mentors": mentors,
        "opened_at": opened_at,
        "closed_at": closed_at,
        "version": version,
        "updated_at": updated_at,
    }

"""Queries on the progress read model, named after the questions they answer.

The topics carry no free text (docs/published-fields.md): an entry's `description` and `last_reason` and an
assessment's `evidence` are None here; the pages read them from the training application. A student whose personal
data was erased is answered with `erased: true`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from services.common.errors import NotFound
from services.common.freshness import FollowsProjection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase
from services.progress import cohort_queries, cohort_rows
from services.progress.projection import (
    ASSESSMENTS,
    AWARDS,
    BLOCKS,
    COMBINED,
    CREDIT_EFFECTS,
    ERASED,
    LEDGER,
    MENTORS,
    PLACEMENTS,
    PLANS,
    STUDENTS,
    TARGETS,
    ProgressProjection,
)

BEHIND_BELOW = cohort_queries.BEHIND_BELOW
"""A student is behind schedule when their signed hours are under 90 % of the hours expected to date."""

_ENTRY_COLUMNS = ("entry_id", "student_id", "school_id", "placement_id", "centre_id", "day", "start_time", "end_time",
                  "minutes", "competencies", "revision", "status", "drafted_by_student", "logged_by",
                  "logged_at", "last_event", "last_actor", "updated_at")
_CERTIFICATE_COLUMNS = ("award_id", "certificate_code", "level", "awarded_on", "certificate_number", "eligible",
                        "revoked")
_PLACEMENT_COLUMNS = ("placement_id", "centre_id", "enterprise_id", "status", "start_date", "planned_end",
                      "activated_on", "ended_on", "mentor_id", "post")


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


class ProgressView(FollowsProjection):
    """Where does a student stand, and what awaits a mentor's or a school's signature?"""

    projection = ProgressProjection.name
    contexts = ProgressProjection.contexts

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    # -- one student --------------------------------------------------------------------------------
    def _visible(self, tx: Any, scope: Scope, student_id: str) -> tuple[tuple[Any, ...], list[dict[str, Any]]]:
        student = tx.execute(f"SELECT school_id, major, cohort FROM {STUDENTS} WHERE student_id = ?",
                             (student_id,)).fetchone()
        placements = [dict(zip(_PLACEMENT_COLUMNS, r)) for r in tx.execute(
            f"SELECT {', '.join(_PLACEMENT_COLUMNS)} FROM {PLACEMENTS} WHERE student_id = ? "
            "ORDER BY start_date, placement_id", (student_id,)).fetchall()]
        mentored = tx.execute(f"SELECT centre_id FROM {MENTORS} WHERE mentor_id = ?",
                              (scope.mentor_id,)).fetchall() if scope.mentor_id else []
        if student is None or not _in_scope(scope, student_id, student[0], placements, {c for c, in mentored}):
            raise NotFound(f"no progress (yet) for student {student_id}, or not yours to see", student_id=student_id)
        return student, placements

    def student_progress(self, scope: Scope, student_id: str, today: date) -> dict[str, Any]:
        """Placement, hours by competency against the plan, expected to date, pending sign-offs, assessments,
        certificates (held and revoked) and the credit balance."""
        with self._db.transaction(snapshot=True) as tx:  # every figure from the same projector commit
            student, placements = self._visible(tx, scope, student_id)
            current = _current(placements, today)
            plan_placement = current["placement_id"] if current else _latest_planned(tx, student_id)
            targets = tx.execute(
                f"SELECT competency, title, target_hours, scale FROM {TARGETS} WHERE placement_id = ? ORDER BY ordinal",
                (plan_placement,)).fetchall() if plan_placement else []
            by_status = tx.execute(
                f"SELECT s.competency, e.status, SUM(s.seconds) FROM {LEDGER.shares} s JOIN {LEDGER.entries} e "
                "ON e.entry_id = s.entry_id WHERE e.student_id = ? AND e.placement_id = ? "
                "GROUP BY s.competency, e.status", (student_id, plan_placement or ""),
            ).fetchall()
            on_record = tx.execute(
                f"SELECT SUM(minutes) FROM {LEDGER.entries} WHERE student_id = ? AND status = 'signed'", (student_id,),
            ).fetchone()
            entries = [self._entry(r) for r in tx.execute(
                f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM {LEDGER.entries} WHERE student_id = ? "
                "AND status IN ('pending', 'awaiting-countersignature', 'rejected') ORDER BY day, start_time",
                (student_id,)).fetchall()]
            assessments = tx.execute(
                f"SELECT competency, assessor, result, passed, scale, assessment_id, assessed_on, assessed_by "
                f"FROM {ASSESSMENTS} WHERE placement_id = ?", (plan_placement or "",)).fetchall()
            combined = tx.execute(f"SELECT competency, result, passed, rule, rule_set FROM {COMBINED} "
                                  "WHERE placement_id = ?", (plan_placement or "",)).fetchall()
            certificates = [dict(zip(_CERTIFICATE_COLUMNS, r)) for r in tx.execute(
                f"SELECT {', '.join(_CERTIFICATE_COLUMNS)} FROM {AWARDS} WHERE student_id = ? "
                "ORDER BY recorded, award_id", (student_id,)).fetchall()]
            balance = tx.execute(f"SELECT SUM(effect) FROM {CREDIT_EFFECTS} WHERE student_id = ?",
                                 (student_id,)).fetchone()
            current_block, next_block = _blocks_around(tx, student_id, today)
            erased = tx.execute(f"SELECT erased_at FROM {ERASED} WHERE student_id = ?", (student_id,)).fetchone()
        seconds: dict[str, dict[str, int]] = {}
        for code, status, total in by_status:
            seconds.setdefault(code, {})[status] = int(total)
        assessed: dict[str, dict[str, Any]] = {}
        for code, assessor, result, passed, scale, assessment_id, on, by in assessments:
            assessed.setdefault(code, {})[assessor] = {"result": result, "passed": bool(passed), "scale": scale,
                                                       "evidence": None, "assessment_id": assessment_id,
                                                       "assessed_on": on, "assessed_by": by}
        for code, result, passed, rule, rule_set in combined:
            assessed.setdefault(code, {})["combined"] = {"result": result, "passed": bool(passed), "rule": rule,
                                                         "rule_set": rule_set}
        planned = [t[0] for t in targets]
        competencies = []
        for code, title, target, scale in targets + [(c, None, 0, None) for c in sorted(seconds) if c not in planned]:
            figures = seconds.get(code, {})
            signed = hours(figures.get("signed", 0))
            competencies.append({
                "code": code, "title": title, "scale": scale, "target_hours": target, "signed_hours": signed,
                "awaiting_countersignature_hours": hours(figures.get("awaiting-countersignature", 0)),
                "pending_hours": hours(figures.get("pending", 0)), "remaining_hours": max(round(target - signed, 2), 0),
                "in_plan": code in planned, "assessment": assessed.get(code),
            })
        totals = {status: hours(sum(f.get(status, 0) for f in seconds.values()))
                  for status in ("signed", "awaiting-countersignature", "pending", "rejected")}
        target_total = sum(t[2] for t in targets)
        plan_period = next((p for p in placements if p["placement_id"] == plan_placement), None)
        expected = _expected_to_date(target_total, plan_period, today)
        return {
            "student_id": student_id, "school_id": student[0], "major": student[1], "cohort": student[2],
            "erased": erased is not None, "erased_at": erased[0] if erased else None,
            "as_of": today.isoformat(),
            "current_placement": _placement_out(current),
            "next_placement": _placement_out(_next(placements, today)),
            "current_block": current_block, "next_block": next_block,
            "plan_placement_id": plan_placement,
            "target_hours": target_total,
            "signed_hours_on_record": hours(int(on_record[0] or 0) * 60) if on_record else 0.0,
            "signed_hours": totals["signed"],
            "awaiting_countersignature_hours": totals["awaiting-countersignature"],
            "pending_hours": totals["pending"],
            "expected_to_date_hours": expected,
            "behind_schedule": expected is not None and totals["signed"] < BEHIND_BELOW * expected,
            "competencies": competencies,
            "pending_sign_offs": [e for e in entries if e["status"] == "pending"],
            "awaiting_countersignature": [e for e in entries if e["status"] == "awaiting-countersignature"],
            "rejected_entries": [e for e in entries if e["status"] == "rejected"],
            "certificates": [{**c, "eligible": bool(c["eligible"]), "revoked": bool(c["revoked"]),
                              "revoked_reason": None} for c in certificates],
            "credit_balance": int(balance[0] or 0) if balance else 0,
        }

    # -- queues -------------------------------------------------------------------------------------
    def sign_off_queue(self, mentor_id: str, enterprise_id: str | None) -> list[dict[str, Any]]:
        """Entries awaiting a mentor's signature at the centres the mentor is assigned to, oldest first."""
        of_enterprise = " AND p.enterprise_id = ?" if enterprise_id is not None else ""
        params = (mentor_id, enterprise_id) if enterprise_id is not None else (mentor_id,)
        with self._db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {', '.join('e.' + c for c in _ENTRY_COLUMNS)} FROM {LEDGER.entries} e "
                f"JOIN {MENTORS} m ON m.centre_id = e.centre_id AND m.mentor_id = ? "
                f"JOIN {PLANS} p ON p.placement_id = e.placement_id "
                f"WHERE e.status = 'pending'{of_enterprise} ORDER BY e.day, e.start_time", params,
            ).fetchall()
        return [self._entry(r) for r in rows]

    def countersignature_queue(self, school_id: str) -> list[dict[str, Any]]:
        """Entries a mentor signed that await a teacher of the school, oldest first."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM {LEDGER.entries} WHERE school_id = ? "
                "AND status = 'awaiting-countersignature' ORDER BY day, start_time", (school_id,),
            ).fetchall()
        return [self._entry(r) for r in rows]

    def sign_off_queue_page(self, mentor_id: str, enterprise_id: str | None, page: int,
                            page_size: int) -> tuple[int, list[dict[str, Any]]]:
        """One page (1-based) of the sign-off queue, oldest first, and how many entries await in all."""
        of_enterprise = " AND p.enterprise_id = ?" if enterprise_id is not None else ""
        params = (mentor_id, enterprise_id) if enterprise_id is not None else (mentor_id,)
        joins = (f"FROM {LEDGER.entries} e JOIN {MENTORS} m ON m.centre_id = e.centre_id AND m.mentor_id = ? "
                 f"JOIN {PLANS} p ON p.placement_id = e.placement_id WHERE e.status = 'pending'{of_enterprise}")
        with self._db.transaction(snapshot=True) as tx:
            counted = tx.execute(f"SELECT COUNT(*) {joins}", params).fetchone()
            rows = tx.execute(
                f"SELECT {', '.join('e.' + c for c in _ENTRY_COLUMNS)} {joins} "
                "ORDER BY e.day, e.start_time, e.entry_id LIMIT ? OFFSET ?",
                (*params, page_size, max(page - 1, 0) * page_size)).fetchall()
        return int(counted[0]) if counted else 0, [self._entry(r) for r in rows]

    def mentor_roster(self, mentor_id: str, enterprise_id: str | None, today: date, page: int, page_size: int,
                      student_ids: list[str] | None = None) -> dict[str, Any]:
        """The students placed now (active or paused) at the centres the mentor is assigned to, in a few queries:
        how many in all and at each centre, and one page (1-based; by centre, then student id) of them, each with
        the placement, the hours that count towards the caps (all but rejected) today and this ISO week, the
        entries awaiting a signature, the published block of today and the competencies of the plan.
        `student_ids` keeps only those students (and pages among them)."""
        day, monday = today.isoformat(), (today - timedelta(days=today.weekday())).isoformat()
        where = "p.status IN ('active', 'paused')"
        params: list[Any] = [mentor_id]
        if enterprise_id is not None:
            where += " AND p.enterprise_id = ?"
            params.append(enterprise_id)
        if student_ids is not None:
            where += f" AND p.student_id IN ({', '.join('?' for _ in student_ids)})"
            params.extend(student_ids)
        placed = (f"FROM {PLACEMENTS} p JOIN {MENTORS} m ON m.centre_id = p.centre_id AND m.mentor_id = ? "
                  f"JOIN {STUDENTS} s ON s.student_id = p.student_id WHERE {where}")
        with self._db.transaction(snapshot=True) as tx:
            by_centre = {c: int(n) for c, n in tx.execute(
                f"SELECT p.centre_id, COUNT(DISTINCT p.student_id) {placed} GROUP BY p.centre_id", params).fetchall()}
            rows = tx.execute(
                f"SELECT p.student_id, p.placement_id, p.centre_id, p.status, p.start_date, p.activated_on, "
                f"s.school_id, s.major {placed} ORDER BY p.centre_id, p.student_id, p.placement_id LIMIT ? OFFSET ?",
                (*params, page_size, max(page - 1, 0) * page_size)).fetchall()
            students = [dict(zip(("student_id", "placement_id", "centre_id", "status", "start", "activated_on",
                                  "school_id", "major"), r)) for r in rows]
            ids = [s["student_id"] for s in students]
            marks = ", ".join("?" for _ in ids)
            logged = {sid: (int(d or 0), int(w or 0)) for sid, d, w in tx.execute(
                f"SELECT student_id, SUM(CASE WHEN day = ? THEN minutes ELSE 0 END), SUM(minutes) "
                f"FROM {LEDGER.entries} WHERE week = ? AND status != 'rejected' AND student_id IN ({marks}) "
                "GROUP BY student_id", (day, monday, *ids)).fetchall()} if ids else {}
            pending = {sid: int(n) for sid, n in tx.execute(
                f"SELECT student_id, COUNT(*) FROM {LEDGER.entries} WHERE status = 'pending' "
                f"AND student_id IN ({marks}) GROUP BY student_id", ids).fetchall()} if ids else {}
            placements = [s["placement_id"] for s in students]
            targets: dict[str, list[tuple[str, str | None]]] = {}
            for placement_id, code, title in (tx.execute(
                    f"SELECT placement_id, competency, title FROM {TARGETS} WHERE placement_id IN "
                    f"({', '.join('?' for _ in placements)}) ORDER BY placement_id, ordinal", placements).fetchall()
                    if placements else []):
                targets.setdefault(placement_id, []).append((code, title))
            blocks = {s["student_id"]: _blocks_around(tx, s["student_id"], today)[0] for s in students}
        for s in students:
            on_day, in_week = logged.get(s["student_id"], (0, 0))
            s.update(today_hours=round(on_day / 60, 2), week_hours=round(in_week / 60, 2),
                     pending=pending.get(s["student_id"], 0), block=blocks[s["student_id"]],
                     competencies=targets.get(s["placement_id"], []))
        return {"total": sum(by_centre.values()), "by_centre": by_centre, "students": students}

    # -- a school's cohort (services/progress/cohort_queries.py) -----------------------------------------
    def cohort_standings(self, school_id: str, today: date,
                         filters: cohort_queries.Filters) -> dict[str, Any]:
        """Every student of the school with a traffic light and its reasons, the counts per light."""
        return cohort_queries.cohort_standings(self._db, school_id, today, filters)

    def cohort_export(self, what: str, school_id: str, cohort: int | None) -> Iterator[tuple[Any, ...]]:
        """The rows of an export of the school's cohort: `progress`, `hours` or `placements`, read in chunks."""
        rows = {"progress": cohort_rows.progress_rows, "hours": cohort_rows.entry_rows,
                "placements": cohort_rows.placement_rows}[what]
        return rows(self._db, school_id, cohort)

    def school_cohorts(self, school_id: str) -> list[int]:
        """The school's cohorts, the latest first."""
        return cohort_rows.school_cohorts(self._db, school_id)

    def cohort_students(self, school_id: str, cohort: int | None) -> list[str]:
        """The ids of the school's students (of one cohort, or all)."""
        return cohort_rows.cohort_students(self._db, school_id, cohort)

    def student_file(self, student_id: str) -> dict[str, Any]:
        """A student's placements and latest entries (the caller checked the student is theirs to see)."""
        return cohort_rows.student_file(self._db, student_id)

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
        r = dict(zip(_ENTRY_COLUMNS, row))
        return {
            "entry_id": r["entry_id"], "student_id": r["student_id"], "placement_id": r["placement_id"],
            "centre_id": r["centre_id"], "day": r["day"], "start": r["start_time"], "end": r["end_time"],
            "hours": hours(r["minutes"] * 60), "competencies": json.loads(r["competencies"]),
            "description": None, "revision": r["revision"], "status": r["status"],
            "drafted_by_student": bool(r["drafted_by_student"]), "logged_by": r["logged_by"],
            "last_event": r["last_event"], "last_actor": r["last_actor"], "last_reason": None,
            "updated_at": r["updated_at"],
        }


def _in_scope(scope: Scope, student_id: str, school_id: str, placements: list[dict[str, Any]],
              mentored_centres: set[str]) -> bool:
    """A student sees themselves; a school's staff its students; a mentor the students placed now at a centre
    they mentor (active or paused); admins and auditors everyone."""
    if scope.student_id is not None and scope.student_id != student_id:
        return False
    if scope.school_id is not None and scope.school_id != school_id:
        return False
    if scope.enterprise_id is not None:
        return any(p["enterprise_id"] == scope.enterprise_id and p["status"] in ("active", "paused")
                   and (scope.mentor_id is None or p["centre_id"] in mentored_centres) for p in placements)
    return True


def _current(placements: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    day = today.isoformat()
    running = [p for p in placements if p["status"] in ("active", "paused")
               or (p["status"] == "transferred" and p["ended_on"] and p["ended_on"] >= day)]
    return running[0] if running else None


def _next(placements: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    upcoming = [p for p in placements if p["status"] in ("agreed", "proposed") and p["start_date"] >= today.isoformat()]
    return upcoming[0] if upcoming else None


_BLOCK_COLUMNS = ("plan_id", "cohort", "revision", "block_id", "kind", "start_date", "end_date", "centre_id")


def _blocks_around(tx: Any, student_id: str, today: date) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The published block the student is in today (the one begun last, should two overlap) and the first one
    starting after today, from the current revision of every published plan."""
    day, columns = today.isoformat(), ", ".join(_BLOCK_COLUMNS)
    current = tx.execute(
        f"SELECT {columns} FROM {BLOCKS.places} WHERE student_id = ? AND start_date <= ? AND end_date >= ? "
        "ORDER BY start_date DESC, plan_id, ordinal LIMIT 1", (student_id, day, day)).fetchone()
    upcoming = tx.execute(
        f"SELECT {columns} FROM {BLOCKS.places} WHERE student_id = ? AND start_date > ? "
        "ORDER BY start_date, plan_id, ordinal LIMIT 1", (student_id, day)).fetchone()
    return _block_out(current), _block_out(upcoming)


def _block_out(row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    b = dict(zip(_BLOCK_COLUMNS, row))
    return {"plan_id": b["plan_id"], "title": b["cohort"], "revision": b["revision"], "block_id": b["block_id"],
            "kind": b["kind"], "start": b["start_date"], "end": b["end_date"], "centre_id": b["centre_id"]}


def _latest_planned(tx: Any, student_id: str) -> str | None:
    row = tx.execute(f"SELECT placement_id FROM {PLANS} WHERE student_id = ? ORDER BY drawn_up_at DESC, placement_id "
                     "LIMIT 1", (student_id,)).fetchone()
    return row[0] if row else None


def _expected_to_date(target_total: int, placement: dict[str, Any] | None, today: date) -> float | None:
    """The plan's hours spread evenly over the placement's days: how many should be signed by today."""
    return cohort_queries.expected_to_date(target_total, placement, today)


def _placement_out(p: dict[str, Any] | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"placement_id": p["placement_id"], "centre_id": p["centre_id"], "enterprise_id": p["enterprise_id"],
            "status": p["status"], "start": p["start_date"], "planned_end": p["planned_end"],
            "activated_on": p["activated_on"], "ended_on": p["ended_on"], "mentor_id": p["mentor_id"],
            "post": p["post"]}

"""Queries on the calendars read model, named after the questions they answer.

A plan's title is not on the topics (docs/published-fields.md): a plan's `title` here is its cohort, and a block's
`group` the group's position in the plan ("1", "2"...). A student whose data was erased is answered `erased: true`."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.calendars.projection import (
    CENTRES,
    ERASED,
    EXAM_WEEK,
    HOLIDAY,
    MEMBERS,
    MENTORS,
    PERIODS,
    PLACEMENTS,
    PLACES,
    PLANS,
    STUDENTS,
    CalendarsProjection,
)
from services.common.errors import NotAllowed, NotFound
from services.common.freshness import FollowsProjection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase

_BLOCK_COLUMNS = ("plan_id", "title", "revision", "recorded_at", "block_id", "grp", "kind", "start_date", "end_date",
                  "hours_per_week", "centre_id", "centre_name", "centre_address")
_BLOCK_SELECT = (
    "SELECT p.plan_id, p.cohort, p.revision, p.recorded_at, p.block_id, p.grp, p.kind, p.start_date, p.end_date, "
    f"p.hours_per_week, p.centre_id, c.name, c.address FROM {PLACES.places} p "
    f"LEFT JOIN {CENTRES} c ON c.centre_id = p.centre_id"
)
RUNNING = ("active", "paused")
"""A mentor reads the calendar of a student whose placement at a centre they mentor is in one of these states."""


class CalendarsView(FollowsProjection):
    """Which days does a student spend at school or at a centre, and whom does a centre expect when?"""

    projection = CalendarsProjection.name
    contexts = CalendarsProjection.contexts

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    # -- a student ----------------------------------------------------------------------------------
    def student_calendar(self, scope: Scope, student_id: str, today: date, start: date | None = None,
                         end: date | None = None) -> dict[str, Any]:
        """Every block of the current revision of every published plan that puts the student somewhere, with the
        holidays and exam weeks of the plans the student belongs to; between `start` and `end` when given.

        NotFound: nobody knows the student (no enrolment seen, in no published plan), unless they ask themselves;
        NotAllowed: the student is known, and not the caller's to see."""
        overlap, window = _overlap("p", start, end)
        with self._db.transaction(snapshot=True) as tx:  # the access decision and the calendar from one commit
            self._check_student(tx, scope, student_id, today)
            blocks = [dict(zip(_BLOCK_COLUMNS, r)) for r in tx.execute(
                f"{_BLOCK_SELECT} WHERE p.student_id = ?{overlap} ORDER BY p.start_date, p.end_date, p.plan_id, "
                "p.ordinal", (student_id, *window)).fetchall()]
            periods_overlap, periods_window = _overlap("d", start, end)
            periods = tx.execute(
                f"SELECT d.plan_id, pl.cohort, pl.revision, pl.recorded_at, d.kind, d.ordinal, d.name, d.start_date, "
                f"d.end_date FROM {PERIODS} d JOIN {MEMBERS} m ON m.plan_id = d.plan_id AND m.student_id = ? "
                f"JOIN {PLANS} pl ON pl.plan_id = d.plan_id WHERE 1 = 1{periods_overlap} "
                "ORDER BY d.start_date, d.end_date, d.plan_id, d.kind, d.ordinal", (student_id, *periods_window),
            ).fetchall()
            plans = tx.execute(
                f"SELECT pl.plan_id, pl.school_id, pl.cohort, pl.cohort, pl.revision, pl.recorded_at, pl.term_start, "
                f"pl.term_end, m.grp FROM {PLANS} pl JOIN {MEMBERS} m ON m.plan_id = pl.plan_id AND m.student_id = ? "
                "ORDER BY pl.term_start, pl.plan_id", (student_id,),
            ).fetchall()
            erased = tx.execute(f"SELECT 1 FROM {ERASED} WHERE student_id = ?", (student_id,)).fetchone()
        return {
            "student_id": student_id,
            "erased": erased is not None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "plans": [{"plan_id": plan_id, "school_id": school_id, "cohort": cohort, "title": title,
                       "revision": revision, "recorded_at": recorded_at, "group": group,
                       "term": {"start": term_start, "end": term_end}}
                      for plan_id, school_id, cohort, title, revision, recorded_at, term_start, term_end, group
                      in plans],
            "blocks": [_block_out(b) for b in blocks],
            "holidays": [_period_out(r) for r in periods if r[4] == HOLIDAY],
            "exam_weeks": [_period_out(r) for r in periods if r[4] == EXAM_WEEK],
        }

    def _check_student(self, tx: Any, scope: Scope, student_id: str, today: date) -> None:
        if scope.student_id is not None:
            if scope.student_id != student_id:
                raise NotAllowed("a student reads their own calendar only", student_id=student_id)
            return  # their own: empty until a plan that places them is published
        enrolled = tx.execute(f"SELECT school_id FROM {STUDENTS} WHERE student_id = ?", (student_id,)).fetchone()
        schools = {enrolled[0]} if enrolled else {s for s, in tx.execute(
            f"SELECT DISTINCT pl.school_id FROM {PLANS} pl JOIN {MEMBERS} m ON m.plan_id = pl.plan_id "
            "WHERE m.student_id = ?", (student_id,)).fetchall()}
        if not schools:
            raise NotFound(f"no student with id {student_id} (yet) in the calendars view", student_id=student_id)
        if scope.school_id is not None and scope.school_id not in schools:
            raise NotAllowed("a school's staff read the calendars of their own school's students",
                             student_id=student_id)
        if scope.enterprise_id is not None and not self._mentors_student(tx, scope, student_id, today):
            raise NotAllowed("a mentor reads the calendars of the students placed now at a centre they mentor",
                             student_id=student_id)

    @staticmethod
    def _mentors_student(tx: Any, scope: Scope, student_id: str, today: date) -> bool:
        """Placed now (active or paused) at a centre of the mentor's enterprise they mentor, or in a published
        enterprise block there that runs today."""
        if scope.mentor_id is None:  # an enterprise admin: any centre of the enterprise
            mentored = f"JOIN {CENTRES} c ON c.centre_id = {{0}}.centre_id AND c.enterprise_id = ?"
            who: tuple[str | None, ...] = (scope.enterprise_id,)
        else:
            mentored = (f"JOIN {MENTORS} m ON m.centre_id = {{0}}.centre_id AND m.mentor_id = ? "
                        f"JOIN {CENTRES} c ON c.centre_id = {{0}}.centre_id AND c.enterprise_id = ?")
            who = (scope.mentor_id, scope.enterprise_id)
        placed = tx.execute(
            f"SELECT 1 FROM {PLACEMENTS} x {mentored.format('x')} WHERE x.student_id = ? "
            f"AND x.status IN ({', '.join('?' for _ in RUNNING)})", (*who, student_id, *RUNNING)).fetchone()
        if placed:
            return True
        day = today.isoformat()
        return tx.execute(
            f"SELECT 1 FROM {PLACES.places} x {mentored.format('x')} WHERE x.student_id = ? "
            "AND x.start_date <= ? AND x.end_date >= ?", (*who, student_id, day, day)).fetchone() is not None

    # -- a centre -----------------------------------------------------------------------------------
    def centre_calendar(self, scope: Scope, centre_id: str, start: date | None = None,
                        end: date | None = None) -> dict[str, Any]:
        """Every enterprise block of a published plan that places students at the centre, with those students.

        Who the students are is shown to the centre's mentors, admins, auditors and the staff of the plan's school;
        other schools' staff see the block and how many students it brings (they plan around it).
        NotFound: neither the centre nor any plan placing students there is known; NotAllowed: not the caller's."""
        if scope.student_id is not None:
            raise NotAllowed("a centre's calendar is for its mentors and for school staff, not for students",
                             centre_id=centre_id)
        overlap, window = _overlap("p", start, end)
        with self._db.transaction(snapshot=True) as tx:
            centre = tx.execute(f"SELECT name, address, enterprise_id FROM {CENTRES} WHERE centre_id = ?",
                                (centre_id,)).fetchone()
            if scope.mentor_id is not None or scope.enterprise_id is not None:
                mentors = tx.execute(f"SELECT 1 FROM {MENTORS} WHERE centre_id = ? AND mentor_id = ?",
                                     (centre_id, scope.mentor_id)).fetchone() if scope.mentor_id else True
                if centre is None or centre[2] != scope.enterprise_id or mentors is None:
                    raise NotAllowed("a mentor reads the calendars of the centres they mentor, an enterprise admin "
                                     "those of the enterprise's centres", centre_id=centre_id)
            rows = tx.execute(
                "SELECT p.plan_id, p.school_id, p.cohort, p.revision, p.recorded_at, p.block_id, p.grp, p.start_date, "
                f"p.end_date, p.hours_per_week, p.student_id FROM {PLACES.places} p WHERE p.centre_id = ?{overlap} "
                "ORDER BY p.start_date, p.end_date, p.plan_id, p.ordinal, p.student_id", (centre_id, *window),
            ).fetchall()
            if centre is None and not rows and not tx.execute(
                    f"SELECT 1 FROM {PLACES.places} WHERE centre_id = ? LIMIT 1", (centre_id,)).fetchone():
                raise NotFound(f"no training centre with id {centre_id} (yet) in the calendars view",
                               centre_id=centre_id)
        blocks: dict[tuple[str, str], dict[str, Any]] = {}
        for plan_id, school_id, title, revision, recorded_at, block_id, group, s, e, per_week, student in rows:
            block = blocks.setdefault((plan_id, block_id), {
                "plan_id": plan_id, "title": title, "revision": revision, "recorded_at": recorded_at,
                "school_id": school_id, "block_id": block_id, "group": group, "start": s, "end": e,
                "hours_per_week": per_week, "student_count": 0, "students": []})
            block["student_count"] += 1
            if scope.school_id is None or scope.school_id == school_id:
                block["students"].append({"student_id": student})
        return {
            "centre_id": centre_id,
            "centre_name": centre[0] if centre else None,
            "centre_address": centre[1] if centre else None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "blocks": list(blocks.values()),
        }


def _overlap(alias: str, start: date | None, end: date | None) -> tuple[str, tuple[str, ...]]:
    """SQL keeping the spans of days that overlap [start, end] (either end open when not given)."""
    clause, params = "", []
    if start is not None:
        clause += f" AND {alias}.end_date >= ?"
        params.append(start.isoformat())
    if end is not None:
        clause += f" AND {alias}.start_date <= ?"
        params.append(end.isoformat())
    return clause, tuple(params)


def _block_out(b: dict[str, Any]) -> dict[str, Any]:
    return {"plan_id": b["plan_id"], "title": b["title"], "revision": b["revision"], "recorded_at": b["recorded_at"],
            "block_id": b["block_id"], "group": b["grp"], "kind": b["kind"], "start": b["start_date"],
            "end": b["end_date"], "hours_per_week": b["hours_per_week"], "centre_id": b["centre_id"],
            "centre_name": b["centre_name"], "centre_address": b["centre_address"]}


def _period_out(row: tuple[Any, ...]) -> dict[str, Any]:
    plan_id, title, revision, recorded_at, _, ordinal, name, start, end = row
    return {"plan_id": plan_id, "title": title, "revision": revision, "recorded_at": recorded_at,
            "ordinal": ordinal, "name": name, "start": start, "end": end}

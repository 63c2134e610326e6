"""Rows of a school's cohort read in chunks for its exports (progress, hours, placements), and one student's file
(placements and latest entries) for the coordinator's student page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.common.viewstore import ViewDatabase
from services.progress.projection import LEDGER, PLACEMENTS, PLANS, STUDENTS, TARGETS

RUNNING = ("active", "paused")


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


CHUNK = 500


def school_cohorts(db: ViewDatabase, school_id: str) -> list[int]:
    """The school's cohorts, the latest first."""
    with db.transaction(snapshot=True) as tx:
        return [int(r[0]) for r in tx.execute(f"SELECT DISTINCT cohort FROM {STUDENTS} WHERE school_id = ? "
                                              "ORDER BY cohort DESC", (school_id,)).fetchall()]


def cohort_students(db: ViewDatabase, school_id: str, cohort: int | None) -> list[str]:
    """The school's students (of one cohort, or all), by id."""
    extra, params = (" AND cohort = ?", (school_id, cohort)) if cohort is not None else ("", (school_id,))
    with db.transaction(snapshot=True) as tx:
        return [r[0] for r in tx.execute(f"SELECT student_id FROM {STUDENTS} WHERE school_id = ?{extra} "
                                         "ORDER BY student_id", params).fetchall()]


def _chunks(db: ViewDatabase, sql: str, params: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` (ordered, ending in LIMIT ? OFFSET ?), a chunk per short transaction."""
    offset = 0
    while True:
        with db.transaction(snapshot=True) as tx:
            rows = tx.execute(sql, (*params, CHUNK, offset)).fetchall()
        yield from rows
        if len(rows) < CHUNK:
            return
        offset += CHUNK


def _cohort_where(alias: str, cohort: int | None) -> str:
    return f"{alias}.school_id = ?" + (f" AND {alias}.cohort = ?" if cohort is not None else "")


def _cohort_params(school_id: str, cohort: int | None) -> tuple[Any, ...]:
    return (school_id, cohort) if cohort is not None else (school_id,)


def progress_rows(db: ViewDatabase, school_id: str, cohort: int | None) -> Iterator[tuple[Any, ...]]:
    """(student, placement, competency, title, target h, signed h, awaiting countersignature h, pending h) for each
    competency of each student's current (else latest) plan."""
    plan_of: dict[str, str] = {}
    with db.transaction(snapshot=True) as tx:
        for sid, placement_id, status in tx.execute(
                f"SELECT p.student_id, p.placement_id, pl.status FROM {PLANS} p JOIN {STUDENTS} s "
                f"ON s.student_id = p.student_id JOIN {PLACEMENTS} pl ON pl.placement_id = p.placement_id "
                f"WHERE {_cohort_where('s', cohort)} ORDER BY p.drawn_up_at, p.placement_id",
                _cohort_params(school_id, cohort)).fetchall():
            if sid not in plan_of or status in RUNNING:
                plan_of[sid] = placement_id
    chosen = sorted(plan_of.items())
    for start in range(0, len(chosen), CHUNK):
        part = dict(chosen[start:start + CHUNK])
        ids = list(part.values())
        with db.transaction(snapshot=True) as tx:
            targets = tx.execute(f"SELECT placement_id, competency, title, target_hours FROM {TARGETS} "
                                 f"WHERE placement_id IN ({_marks(ids)}) ORDER BY placement_id, ordinal",
                                 ids).fetchall()
            figures = {(pl, code, status): int(sec) for pl, code, status, sec in tx.execute(
                f"SELECT e.placement_id, s.competency, e.status, SUM(s.seconds) FROM {LEDGER.shares} s "
                f"JOIN {LEDGER.entries} e ON e.entry_id = s.entry_id WHERE e.placement_id IN ({_marks(ids)}) "
                "GROUP BY e.placement_id, s.competency, e.status", ids).fetchall()}
        of_placement: dict[str, list[tuple[Any, ...]]] = {}
        for row in targets:
            of_placement.setdefault(row[0], []).append(row)
        for sid, placement_id in part.items():
            for _, code, title, target in of_placement.get(placement_id, []):
                yield (sid, placement_id, code, title, int(target),
                       *(round(figures.get((placement_id, code, status), 0) / 3600, 2)
                         for status in ("signed", "awaiting-countersignature", "pending")))


def entry_rows(db: ViewDatabase, school_id: str, cohort: int | None) -> Iterator[tuple[Any, ...]]:
    """(student, day, start, end, hours, competencies, status, entry id) of every practice entry (its description is
    free text, not on the topics: the training application's logbook has it)."""
    yield from _chunks(
        db, f"SELECT e.student_id, e.day, e.start_time, e.end_time, e.minutes, e.competencies, e.status, "
        f"e.entry_id FROM {LEDGER.entries} e JOIN {STUDENTS} s ON s.student_id = e.student_id "
        f"WHERE {_cohort_where('s', cohort)} ORDER BY e.student_id, e.day, e.start_time, e.entry_id LIMIT ? OFFSET ?",
        _cohort_params(school_id, cohort))


def placement_rows(db: ViewDatabase, school_id: str, cohort: int | None) -> Iterator[tuple[Any, ...]]:
    """(student, centre, enterprise, status, start, planned end, activated on, ended on, post) of every placement."""
    yield from _chunks(
        db, f"SELECT p.student_id, p.centre_id, p.enterprise_id, p.status, p.start_date, p.planned_end, "
        f"p.activated_on, p.ended_on, p.post FROM {PLACEMENTS} p JOIN {STUDENTS} s ON s.student_id = p.student_id "
        f"WHERE {_cohort_where('s', cohort)} ORDER BY p.student_id, p.start_date, p.placement_id LIMIT ? OFFSET ?",
        _cohort_params(school_id, cohort))


def student_file(db: ViewDatabase, student_id: str, limit: int = 200) -> dict[str, Any]:
    """A student's placements (oldest first) and their latest `limit` entries (newest first)."""
    with db.transaction(snapshot=True) as tx:
        placements = tx.execute(
            f"SELECT placement_id, centre_id, enterprise_id, status, start_date, planned_end, activated_on, ended_on, "
            f"post FROM {PLACEMENTS} WHERE student_id = ? ORDER BY start_date, placement_id", (student_id,)).fetchall()
        entries = tx.execute(
            f"SELECT day, start_time, end_time, minutes, competencies, status, entry_id "
            f"FROM {LEDGER.entries} WHERE student_id = ? ORDER BY day DESC, start_time DESC, entry_id LIMIT ?",
            (student_id, limit)).fetchall()
    return {"placements": [dict(zip(("placement_id", "centre_id", "enterprise_id", "status", "start", "planned_end",
                                     "activated_on", "ended_on", "post"), p)) for p in placements],
            "entries": [{**dict(zip(("day", "start", "end", "minutes", "competencies", "status", "entry_id"), e)),
                         "description": None, "reason": None} for e in entries]}

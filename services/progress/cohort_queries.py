"""A school's cohort on the progress read model: every student with a traffic light and its reasons (the
coordinator's dashboard), and the rows of the cohort's exports, in a few queries over the whole school rather than
one call per student.

The lights (the dashboard's legend says the same in words):

- red, act now: no practice entry on the last `QUIET_DAYS` working days while the placement runs (today not
  counted, nor days a published rotation plan puts the student at school); a placement ending within
  `ENDING_WITHIN` days with a competency's target not yet signed;
- amber, to act on soon: behind schedule (signed hours under 90 % of the hours expected by today, as the student's
  progress says); entries waiting more than `WAITING_DAYS` days for the mentor's signature or the school's
  countersignature; a proposed placement waiting for an approval (the school's, the enterprise's) or the student's
  confirmation; a certificate level the student meets and was not awarded (the credentials context's test: signed
  hours and the best passed combined assessment per competency against each requirement);
- green: none of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.common.viewstore import ViewDatabase
from services.progress.projection import (
    APPROVALS,
    AWARDS,
    BLOCKS,
    COMBINED,
    LEDGER,
    PLACEMENTS,
    PLANS,
    PRACTICE,
    REQUIREMENTS,
    SIGNED,
    STUDENTS,
    TARGETS,
)

QUIET_DAYS = 3
"""Working days (Monday to Friday) without an entry that turn a placed student red."""
WAITING_DAYS = 5
"""Days an entry may wait for a signature or countersignature before it is a reason."""
ENDING_WITHIN = 14
"""A placement ending within this many days with a target not met is a reason."""
BEHIND_BELOW = 0.9
"""A student is behind schedule when their signed hours are under 90 % of the hours expected to date."""
LIGHTS = ("red", "amber", "green")
RED_REASONS = {"no-entry", "ending-short"}
RUNNING = ("active", "paused")
APPROVAL_STEPS = ("school", "enterprise", "student")


@dataclass
class Filters:
    cohort: int | None = None
    major: str | None = None
    centre: str | None = None
    light: str | None = None


@dataclass
class Standing:
    student_id: str
    major: str
    cohort: int
    placement: dict[str, Any] | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)

    light: str = "green"

    def judged(self, reasons: list[dict[str, Any]]) -> Standing:
        """With its reasons, and the light they give."""
        self.reasons = reasons
        self.light = "red" if any(r["kind"] in RED_REASONS for r in reasons) else "amber" if reasons else "green"
        return self


@dataclass
class Logbook:
    """A student's entries in sum: the last day logged, and how many await a signature or countersignature, since
    when."""

    last: str | None = None
    pending: int = 0
    pending_since: str | None = None
    countersign: int = 0
    countersign_since: str | None = None

    def add(self, last: str | None, pending: int, pending_since: str | None, countersign: int,
            countersign_since: str | None) -> None:
        self.last = max(filter(None, (self.last, last)), default=None)
        self.pending += pending
        self.pending_since = min(filter(None, (self.pending_since, pending_since)), default=None)
        self.countersign += countersign
        self.countersign_since = min(filter(None, (self.countersign_since, countersign_since)), default=None)


def working_days_between(after: date, before: date, away: list[tuple[date, date]]) -> int:
    """Monday-to-Friday days strictly between `after` and `before`, not within any of the `away` periods."""
    count, day = 0, after + timedelta(days=1)
    while day < before and count < 100:
        if day.weekday() < 5 and not any(a <= day <= b for a, b in away):
            count += 1
        day += timedelta(days=1)
    return count


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


def _current(placements: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The running placement, else the next proposed or agreed one, else the last."""
    day = today.isoformat()
    running = [p for p in placements if p["status"] in RUNNING]
    upcoming = [p for p in placements if p["status"] in ("proposed", "agreed") and p["planned_end"] >= day]
    chosen = running or upcoming or placements[-1:]
    return chosen[0] if chosen else None


def cohort_standings(db: ViewDatabase, school_id: str, today: date, filters: Filters) -> dict[str, Any]:
    """Every student of the school (within the cohort, major and centre filters) with their reasons, in a handful
    of queries; the counts per light, the choices each filter offers, and the students of the light asked for,
    red first."""
    day = today.isoformat()
    with db.transaction(snapshot=True) as tx:
        students = tx.execute(f"SELECT student_id, major, cohort FROM {STUDENTS} WHERE school_id = ? "
                              "ORDER BY cohort DESC, major, student_id", (school_id,)).fetchall()
        placements = tx.execute(
            f"SELECT p.placement_id, p.student_id, p.centre_id, p.enterprise_id, p.status, p.start_date, "
            f"p.planned_end, p.activated_on, p.ended_on FROM {PLACEMENTS} p JOIN {STUDENTS} s "
            "ON s.student_id = p.student_id WHERE s.school_id = ? ORDER BY p.start_date, p.placement_id",
            (school_id,)).fetchall()
        approvals = tx.execute(
            f"SELECT a.placement_id, a.step FROM {APPROVALS} a JOIN {PLACEMENTS} p ON p.placement_id = a.placement_id "
            f"JOIN {STUDENTS} s ON s.student_id = p.student_id WHERE s.school_id = ? AND p.status = 'proposed'",
            (school_id,)).fetchall()
        practice = tx.execute(
            f"SELECT student_id, placement_id, last_day, signed_minutes, pending, pending_since, countersign, "
            f"countersign_since FROM {PRACTICE} WHERE school_id = ?", (school_id,)).fetchall()
        targets = tx.execute(
            f"SELECT t.placement_id, t.competency, t.target_hours FROM {TARGETS} t JOIN {PLANS} p "
            f"ON p.placement_id = t.placement_id JOIN {STUDENTS} s ON s.student_id = p.student_id "
            "WHERE s.school_id = ?", (school_id,)).fetchall()
        at_school = tx.execute(
            f"SELECT student_id, start_date, end_date FROM {BLOCKS.places} WHERE school_id = ? AND kind = 'school' "
            "AND end_date >= ? AND start_date <= ?", (school_id, (today - timedelta(days=60)).isoformat(), day),
        ).fetchall()
        eligible = _eligible(tx, school_id)
        ending: dict[str, list[str]] = {}  # placements ending soon -> competencies whose target is not signed
        soon = (today + timedelta(days=ENDING_WITHIN)).isoformat()
        closing = [p[0] for p in placements if p[4] == "active" and day <= p[6] <= soon]
        if closing:
            done = {(pl, code): int(sec) for pl, code, sec in tx.execute(
                f"SELECT e.placement_id, s.competency, SUM(s.seconds) FROM {LEDGER.shares} s JOIN {LEDGER.entries} e "
                f"ON e.entry_id = s.entry_id WHERE e.status = 'signed' AND e.placement_id IN ({_marks(closing)}) "
                "GROUP BY e.placement_id, s.competency", closing).fetchall()}
            for placement_id, code, target in targets:
                if placement_id in closing and done.get((placement_id, code), 0) < int(target) * 3600:
                    ending.setdefault(placement_id, []).append(code)
    by_student: dict[str, list[dict[str, Any]]] = {}
    for row in placements:
        by_student.setdefault(row[1], []).append(dict(zip(
            ("placement_id", "student_id", "centre_id", "enterprise_id", "status", "start_date", "planned_end",
             "activated_on", "ended_on"), row)))
    steps: dict[str, set[str]] = {}
    for placement_id, step in approvals:
        steps.setdefault(placement_id, set()).add(step)
    target_total: dict[str, int] = {}
    for placement_id, _, target in targets:
        target_total[placement_id] = target_total.get(placement_id, 0) + int(target)
    logbook: dict[str, Logbook] = {}
    signed: dict[str, int] = {}
    for sid, placement_id, last, minutes, pending, pending_since, countersign, countersign_since in practice:
        signed[placement_id] = int(minutes or 0)
        logbook.setdefault(sid, Logbook()).add(last, int(pending or 0), pending_since, int(countersign or 0),
                                               countersign_since)
    away: dict[str, list[tuple[date, date]]] = {}
    for sid, start, end in at_school:
        away.setdefault(sid, []).append((date.fromisoformat(start), date.fromisoformat(end)))
    standings: list[Standing] = []
    choices: dict[str, set[Any]] = {"cohorts": set(), "majors": set(), "centres": set()}
    for student_id, major, cohort in students:
        choices["cohorts"].add(int(cohort))
        choices["majors"].add(major)
        own = by_student.get(student_id, [])
        choices["centres"].update(p["centre_id"] for p in own)
        if (filters.cohort is not None and int(cohort) != filters.cohort) or (
                filters.major is not None and major != filters.major):
            continue
        standing = Standing(student_id, major, int(cohort), _current(own, today))
        if filters.centre is not None and (standing.placement is None
                                           or standing.placement["centre_id"] != filters.centre):
            continue
        standings.append(standing.judged(_reasons(
            standing.placement, own, today, logbook.get(student_id), away.get(student_id, []), steps, signed,
            target_total, ending, eligible.get(student_id, []))))
    counts = {light: 0 for light in LIGHTS}
    for s in standings:
        counts[s.light] += 1
    shown = [s for s in standings if filters.light in (None, s.light)]
    shown.sort(key=lambda s: LIGHTS.index(s.light))
    return {"counts": counts, "students": shown,
            "choices": {k: sorted(v, reverse=(k == "cohorts")) for k, v in choices.items()}}


def _reasons(current: dict[str, Any] | None, placements: list[dict[str, Any]], today: date,
             logbook: Logbook | None, away: list[tuple[date, date]], steps: dict[str, set[str]],
             signed: dict[str, int], target_total: dict[str, int], ending: dict[str, list[str]],
             eligible: list[tuple[str, str]]) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    book = logbook or Logbook()
    last = book.last if book.last and book.last <= today.isoformat() else None
    if current is not None and current["status"] == "active":
        begun = date.fromisoformat(current["activated_on"] or current["start_date"])
        since = date.fromisoformat(last) if last and date.fromisoformat(last) >= begun else begun - timedelta(days=1)
        quiet = working_days_between(since, today, away)
        if quiet >= QUIET_DAYS:
            reasons.append({"kind": "no-entry", "days": quiet,
                            "last": date.fromisoformat(last) if last else None})
        if current["placement_id"] in ending:
            reasons.append({"kind": "ending-short", "end": date.fromisoformat(current["planned_end"]),
                            "competencies": sorted(ending[current["placement_id"]])})
    if current is not None and current["status"] in RUNNING:
        expected = expected_to_date(target_total.get(current["placement_id"], 0), current, today)
        done = round(int(signed.get(current["placement_id"]) or 0) / 60, 2)
        if expected is not None and done < BEHIND_BELOW * expected:
            reasons.append({"kind": "behind", "signed": done, "expected": expected})
    waited = (today - timedelta(days=WAITING_DAYS)).isoformat()
    if book.pending_since and book.pending_since < waited:
        reasons.append({"kind": "waiting-signature", "entries": book.pending, "days": WAITING_DAYS,
                        "since": date.fromisoformat(book.pending_since[:10])})
    if book.countersign_since and book.countersign_since < waited:
        reasons.append({"kind": "waiting-countersignature", "entries": book.countersign, "days": WAITING_DAYS,
                        "since": date.fromisoformat(book.countersign_since[:10])})
    for p in placements:
        if p["status"] == "proposed":
            missing = [s for s in APPROVAL_STEPS if s not in steps.get(p["placement_id"], set())]
            reasons.append({"kind": "approval", "start": date.fromisoformat(p["start_date"]), "missing": missing})
    for code, level in eligible:
        reasons.append({"kind": "eligible", "certificate": code, "level": level})
    return reasons


def expected_to_date(target_total: int, placement: dict[str, Any] | None, today: date) -> float | None:
    """The plan's hours spread evenly over the placement's days: how many should be signed by today (the student's
    progress and the dashboard both)."""
    if not placement or not target_total:
        return None
    start = date.fromisoformat(placement["activated_on"] or placement["start_date"])
    end = date.fromisoformat(placement["ended_on"] or placement["planned_end"])
    if today < start:
        return 0.0
    elapsed = (min(today, end) - start).days + 1
    return round(target_total * elapsed / ((end - start).days + 1), 2)


def _eligible(tx: Any, school_id: str) -> dict[str, list[tuple[str, str]]]:
    """Per student of the school: the certificate levels they meet and hold neither that level nor a higher one of
    the same certificate (revoked awards do not count), from their signed hours and best passed combined assessment
    per competency (credentials' eligibility test). Levels without requirements are left out."""
    requirements = tx.execute(f"SELECT certificate_code, level, level_ordinal, competency, min_signed_hours, "
                              f"min_assessment FROM {REQUIREMENTS}").fetchall()
    if not requirements:
        return {}
    codes = sorted({r[3] for r in requirements})
    seconds = {(sid, code): int(total) for sid, code, total in tx.execute(
        f"SELECT g.student_id, g.competency, g.seconds FROM {SIGNED} g JOIN {STUDENTS} st "
        f"ON st.student_id = g.student_id WHERE st.school_id = ? AND g.competency IN ({_marks(codes)})",
        (school_id, *codes)).fetchall()}
    best = {(sid, code): float(result) for sid, code, result in tx.execute(
        f"SELECT c.student_id, c.competency, MAX(c.result) FROM {COMBINED} c JOIN {STUDENTS} st "
        "ON st.student_id = c.student_id WHERE st.school_id = ? AND c.passed = 1 GROUP BY c.student_id, c.competency",
        (school_id,)).fetchall()}
    held: dict[tuple[str, str], int] = {}
    ordinals = {(r[0], r[1]): int(r[2]) for r in requirements}
    for sid, code, level in tx.execute(
            f"SELECT a.student_id, a.certificate_code, a.level FROM {AWARDS} a JOIN {STUDENTS} st "
            "ON st.student_id = a.student_id WHERE st.school_id = ? AND a.revoked = 0", (school_id,)).fetchall():
        held[(sid, code)] = max(held.get((sid, code), -1), ordinals.get((code, level), -1))
    levels: dict[tuple[str, str, int], list[tuple[str, float, float | None]]] = {}
    for code, level, ordinal, competency, hours_needed, assessment_needed in requirements:
        levels.setdefault((code, level, int(ordinal)), []).append(
            (competency, float(hours_needed), None if assessment_needed is None else float(assessment_needed)))
    candidates = {sid for sid, _ in seconds} | {sid for sid, _ in best}
    found: dict[str, list[tuple[str, str]]] = {}
    for sid in sorted(candidates):
        for (code, level, ordinal), needs in sorted(levels.items(), key=lambda item: (item[0][0], item[0][2])):
            if held.get((sid, code), -1) >= ordinal:
                continue
            if all(seconds.get((sid, c), 0) / 3600 >= hours_needed
                   and (needed is None or (best.get((sid, c)) is not None and best[(sid, c)] >= needed))
                   for c, hours_needed, needed in needs):
                found.setdefault(sid, []).append((code, level))
    return found

"""The `calendars` read model: every student's and every training centre's days, from published rotation plans.

It follows `schedules` for the plans (each published revision replaces everything held for its plan) and
`placements` for what a calendar shows beside them and for who may read it: centres' names and addresses, their
mentors, students' schools, and placements' states (a mentor reads the calendars of the students placed at a
centre they mentor). Student names are not published on the placements topic, so no calendar shows them; nor is
a plan's title (a calendar names a plan by its cohort) or a group's name (its position in the plan). A student's
erasure is recorded: their calendar answers `erased`.

Every handler writes only facts its own event carries (or facts of its own aggregate, which arrive in order);
plans, centres and students are joined when a calendar is asked for, so the view is the same however the two
topics interleave.
"""

from __future__ import annotations

from typing import Any

from contracts.events import every_version_of
from services.common.projection import Handler, Projection
from services.common.published_places import PUBLISHED, REVISED, PublishedPlaces, groups_of
from services.common.viewstore import Tx

PLACES = PublishedPlaces("calendars")
PLANS = "calendars_plans"
MEMBERS = "calendars_plan_members"
PERIODS = "calendars_plan_periods"
CENTRES = "calendars_centres"
MENTORS = "calendars_centre_mentors"
STUDENTS = "calendars_students"
ERASED = "calendars_erased_students"
PLACEMENTS = "calendars_placements"
HOLIDAY, EXAM_WEEK = "holiday", "exam-week"


# -- schedules --------------------------------------------------------------------------------------
def _plan_published(p: Any, tx: Tx, e: Any) -> None:
    """A plan's revision: its places, its members (every student of its groups) and its school calendar."""
    PLACES.replace(p, tx, e)
    d, plan = e.data, e.subject
    content = d["content"]
    for table in (PLANS, MEMBERS, PERIODS):
        tx.execute(f"DELETE FROM {tx.table(table)} WHERE plan_id = ?", (plan,))
    term = content.get("term") or {}
    tx.execute(
        f"INSERT INTO {tx.table(PLANS)} (plan_id, school_id, cohort, revision, recorded_at, term_start, "
        "term_end) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (plan, d["school_id"], d["cohort"], d["revision"], e.time, term.get("start"), term.get("end")),
    )
    members: dict[str, str] = {}
    for group, students in groups_of(content).items():
        for student in students:
            members.setdefault(student, group)
    tx.executemany(f"INSERT INTO {tx.table(MEMBERS)} (plan_id, student_id, grp) VALUES (?, ?, ?)",
                   [(plan, student, group) for student, group in members.items()])
    calendar = content.get("calendar") or {}
    tx.executemany(
        f"INSERT INTO {tx.table(PERIODS)} (plan_id, kind, ordinal, name, start_date, end_date) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(plan, kind, i, str(period.get("name") or ""), period["start"], period["end"])
         for kind, key in ((HOLIDAY, "holidays"), (EXAM_WEEK, "exam_weeks"))
         for i, period in enumerate(calendar.get(key) or [])],
    )


# -- placements -------------------------------------------------------------------------------------
def _centre_opened(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(CENTRES)} (centre_id, enterprise_id, name, address) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (centre_id) DO UPDATE SET name = excluded.name, address = excluded.address",
        (e.subject, d["enterprise_id"], d["name"], d["address"]),
    )


def _mentor_assigned(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(MENTORS)} (centre_id, mentor_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.data["mentor_id"]))


def _mentor_withdrawn(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"DELETE FROM {tx.table(MENTORS)} WHERE centre_id = ? AND mentor_id = ?",
               (e.subject, e.data["mentor_id"]))


def _student_enrolled(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(STUDENTS)} (student_id, school_id) VALUES (?, ?) "
               "ON CONFLICT (student_id) DO NOTHING", (e.subject, e.data["school_id"]))


def _student_erased(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(ERASED)} (student_id, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.time))


def _placement_proposed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(PLACEMENTS)} (placement_id, student_id, centre_id, enterprise_id, status) "
        "VALUES (?, ?, ?, ?, 'proposed') ON CONFLICT (placement_id) DO NOTHING",
        (d["placement_id"], e.subject, d["centre_id"], d["enterprise_id"]),
    )


def _status(status: str) -> Handler:
    def handler(p: Any, tx: Tx, e: Any) -> None:
        tx.execute(f"UPDATE {tx.table(PLACEMENTS)} SET status = ? WHERE placement_id = ?",
                   (status, e.data["placement_id"]))

    return handler


class CalendarsProjection(Projection):
    """Which days does each student spend at school or at which centre, and who does each centre expect when?"""

    name = "calendars"
    contexts = ("schedules", "placements")
    indexes = PLACES.indexes()
    tables = {
        **PLACES.tables(),
        PLANS: "plan_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, cohort TEXT NOT NULL, "
        "revision INTEGER NOT NULL, recorded_at TEXT NOT NULL, term_start TEXT, term_end TEXT",
        MEMBERS: "plan_id TEXT NOT NULL, student_id TEXT NOT NULL, grp TEXT NOT NULL, "
        "PRIMARY KEY (plan_id, student_id)",
        PERIODS: "plan_id TEXT NOT NULL, kind TEXT NOT NULL, ordinal INTEGER NOT NULL, name TEXT NOT NULL, "
        "start_date TEXT NOT NULL, end_date TEXT NOT NULL, PRIMARY KEY (plan_id, kind, ordinal)",
        CENTRES: "centre_id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL, name TEXT NOT NULL, address TEXT NOT NULL",
        MENTORS: "centre_id TEXT NOT NULL, mentor_id TEXT NOT NULL, PRIMARY KEY (centre_id, mentor_id)",
        STUDENTS: "student_id TEXT PRIMARY KEY, school_id TEXT NOT NULL",
        ERASED: "student_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL",
        PLACEMENTS: "placement_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, centre_id TEXT NOT NULL, "
        "enterprise_id TEXT NOT NULL, status TEXT NOT NULL",
    }
    handlers = {
        **every_version_of("schedules", {PUBLISHED: _plan_published, REVISED: _plan_published}),
        **every_version_of("placements", {
            "CentreOpened": _centre_opened,
            "MentorAssigned": _mentor_assigned,
            "MentorWithdrawn": _mentor_withdrawn,
            "StudentEnrolled": _student_enrolled,
            "StudentErased": _student_erased,
            "PlacementProposed": _placement_proposed,
            "PlacementAgreed": _status("agreed"),
            "PlacementActivated": _status("active"),
            "PlacementPaused": _status("paused"),
            "PlacementResumed": _status("active"),
            "PlacementStopped": _status("stopped"),
            "PlacementCompleted": _status("completed"),
            "PlacementTransferred": _status("transferred"),
            "PlacementWithdrawn": _status("withdrawn"),
        }),
    }

    def describe(self) -> str:
        return "each student's and each training centre's school and enterprise blocks from published rotation plans"

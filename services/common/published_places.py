"""Where published rotation plans put each student, as read models keep it: one row per (plan, block, student).

`calendars`, `progress` and `centres` all answer questions about published plans; they keep the same rows under
their own table prefix, filled by the same handlers. Only published plans count: `RotationPlanPublished`
(revision 1) and every `RotationPlanRevised` carry the plan's whole content, so each of them replaces every row
the read model holds for the plan. Drafts and conflict overrides change nothing here.

A school block places every student of its group (no centre); an enterprise block places each student its
assignments name at that centre (a student of the group without an assignment is nowhere for that block).

A plan's title is not published (docs/published-fields.md): a plan is labelled by its cohort, and its groups by their
position in the plan ("1", "2"...).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.common.projection import Handler
from services.common.viewstore import Tx

PUBLISHED = "RotationPlanPublished"
REVISED = "RotationPlanRevised"
"""The schedules events that carry a published plan's whole content, by name (a projection reads each under every
version of its type: `contracts.events.every_version_of`)."""

PLACE_COLUMNS = ("plan_id", "school_id", "cohort", "revision", "recorded_at", "block_id", "grp", "kind", "start_date",
                 "end_date", "hours_per_week", "student_id", "centre_id", "ordinal")


def groups_of(content: dict[str, Any]) -> dict[str, list[str]]:
    """Group name -> its students, in the order the plan lists them."""
    return {str(g.get("name")): [str(s) for s in g.get("students") or []] for g in content.get("groups") or []}


def places_of(content: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any], str, str | None]]:
    """(block ordinal, block, student, centre or None) for everyone a plan's blocks put somewhere."""
    members = groups_of(content)
    for ordinal, block in enumerate(content.get("blocks") or []):
        if block.get("kind") == "enterprise":
            seen: set[str] = set()
            for a in block.get("assignments") or []:
                student = str(a.get("student_id"))
                if student not in seen:
                    seen.add(student)
                    yield ordinal, block, student, str(a.get("centre_id"))
        else:
            for student in dict.fromkeys(members.get(str(block.get("group")), [])):
                yield ordinal, block, student, None


class PublishedPlaces:
    """Tables and handlers for the places published plans give students, under a table prefix."""

    def __init__(self, prefix: str, *, enterprise_only: bool = False) -> None:
        self.places = f"{prefix}_plan_places"
        self.enterprise_only = enterprise_only
        """Keep only enterprise blocks' places (a read model about centres has no use for school blocks)."""

    def tables(self) -> dict[str, str]:
        return {
            self.places: "plan_id TEXT NOT NULL, school_id TEXT NOT NULL, cohort TEXT NOT NULL, "
            "revision INTEGER NOT NULL, recorded_at TEXT NOT NULL, block_id TEXT NOT NULL, grp TEXT NOT NULL, "
            "kind TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL, hours_per_week INTEGER, "
            "student_id TEXT NOT NULL, centre_id TEXT, ordinal INTEGER NOT NULL, "
            "PRIMARY KEY (plan_id, block_id, student_id)",
        }

    def indexes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """A student's blocks, a school's days at school, a centre's planned places."""
        return ((self.places, ("student_id", "start_date")), (self.places, ("school_id", "kind")),
                (self.places, ("centre_id", "start_date")))

    def handlers(self) -> dict[str, Handler]:
        return {PUBLISHED: self.replace, REVISED: self.replace}

    def replace(self, p: Any, tx: Tx, e: Any) -> None:
        """The plan's new revision replaces whatever the read model held for the plan."""
        d = e.data
        table = tx.table(self.places)
        tx.execute(f"DELETE FROM {table} WHERE plan_id = ?", (e.subject,))
        tx.executemany(
            f"INSERT INTO {table} ({', '.join(PLACE_COLUMNS)}) VALUES ({', '.join('?' for _ in PLACE_COLUMNS)})",
            [(e.subject, d["school_id"], d["cohort"], d["revision"], e.time, str(block["id"]), str(block.get("group")),
              block["kind"], block["start"], block["end"], block.get("hours_per_week"), student, centre, ordinal)
             for ordinal, block, student, centre in places_of(d["content"])
             if centre is not None or not self.enterprise_only],
        )

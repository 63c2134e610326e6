"""Bi-temporal views: a student's progress and a centre's record as they stood on a business date, as known at a
recorded time.

Every answer is a replay: the read model's own projection (for progress, without the cohort dashboard's sums:
`ProgressReplayProjection`) is fed, in recorded order, only the events recorded at or before the moment asked
about, into an in-memory SQLite view database, and the read model's own queries answer for the business date. The
API and the auditor's page ask services/audit/as_of_cache.py, which keeps replayed states of a student's progress
and starts from the nearest one; `StudentProgressAsOf` here replays everything, every time. Only the aggregates the
answer depends on are replayed (a projection handler writes only facts of its own event or of the same aggregate,
so the rows about one student or one centre come from these aggregates alone):

- a student's progress: their Student aggregate, training record and credit account, and the rotation plans
  that named them;
- a centre's record: the centre and its enterprise, the training records with practice logged at the centre,
  and the rotation plans that sent someone there.

The events are read once per request (EventLog) and replayed once per moment; one replay answers any number of
business dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from contracts.events import every_version_of
from events.placements import CentreOpened
from events.training import PracticeLogged
from services.audit.history import EventLog
from services.audit.timeline import PLAN_CONTENT_EVENTS, StudentSources
from services.centres.projection import LEDGER as CENTRE_LEDGER
from services.centres.projection import CentresProjection
from services.centres.views import CentresView
from services.common.errors import NotFound
from services.common.projection import Projection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase
from services.progress.projection import LEDGER as PROGRESS_LEDGER
from services.progress.projection import ProgressProjection
from services.progress.views import ProgressView
from toolkit.cloudevents import ReceivedEvent

STATUSES = {"signed": "signed", "awaiting-countersignature": "awaiting_countersignature", "pending": "pending",
            "rejected": "rejected"}
"""An entry's status as stored -> its name in the answers."""


def utc(moment: datetime) -> datetime:
    """A moment with a timezone; one without is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def now() -> datetime:
    """The moment of the request: what is known now."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timed:
    """An event with its recorded time, and what orders it among events recorded at the same instant."""

    recorded_at: datetime
    context: int
    aggregate: str
    version: int
    event: ReceivedEvent


def timed(events: Iterable[tuple[int, ReceivedEvent]]) -> list[Timed]:
    """Events in recorded order (an aggregate's own keep their version order)."""
    found = [Timed(utc(datetime.fromisoformat(e.time)), ctx, e.subject, e.aggregate_version, e) for ctx, e in events]
    found.sort(key=lambda t: (t.recorded_at, t.context, t.aggregate, t.version))
    return found


class Replay(AbstractContextManager["Replay"]):
    """A projection fed the events recorded at or before a moment (of the types it handles: the others would only
    bump its versions table), in a fresh in-memory view database."""

    owned = True
    """Whether closing the replay closes its database (not a state a cache keeps: services/audit/as_of_cache.py)."""

    def __init__(self, projection: Projection, events: list[Timed], known_at: datetime) -> None:
        self.known_at = utc(known_at)
        applied = [t for t in events if t.recorded_at <= self.known_at]
        self.events_applied = len(applied)
        self.last_recorded_at = applied[-1].recorded_at if applied else None
        self.db = ViewDatabase(":memory:")
        try:
            with self.db.transaction() as tx:
                projection.create_tables(tx)
                projection.apply_batch(tx, [t.event for t in applied])
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def of_state(cls, db: ViewDatabase, known_at: datetime, events_applied: int,
                 last_recorded_at: datetime | None) -> Replay:
        """A replay already made: `db` holds the projection fed the first `events_applied` events; it stays open."""
        replay = cls.__new__(cls)
        replay.db, replay.known_at, replay.owned = db, utc(known_at), False
        replay.events_applied, replay.last_recorded_at = events_applied, last_recorded_at
        return replay

    def close(self) -> None:
        if self.owned:
            self.db.close()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def stamp(self, on: date) -> dict[str, Any]:
        """What an answer says about itself: the business date, the moment, and the events it stands on."""
        return {"on": on.isoformat(), "known_at": self.known_at.isoformat(), "events_applied": self.events_applied,
                "last_recorded_at": self.last_recorded_at.isoformat() if self.last_recorded_at else None}


def relevant(projection: Projection, streams: Iterable[tuple[str, list[ReceivedEvent]]]) -> list[Timed]:
    order = {c: i for i, c in enumerate(projection.contexts)}
    return timed((order.get(ctx, len(order)), e) for ctx, events in streams for e in events
                 if e.type in projection.handlers)


# -- a student's progress -------------------------------------------------------------------------------------
class ProgressReplayProjection(ProgressProjection):
    """The progress projection as an as-of answer needs it: every row the answer reads, made by the projection's
    own handlers, without summing the student's whole logbook again after each practice event (the cohort
    dashboard's sums, which no as-of answer reads, cost a replay time in the square of the logbook's length)."""

    handlers = {**ProgressProjection.handlers, **every_version_of("training", {
        name: handler for name, handler in PROGRESS_LEDGER.handlers().items() if name.startswith("Practice")})}


class StudentProgressAsOf:
    """A student's progress as the logs knew it at any moment."""

    projection = ProgressReplayProjection()

    def __init__(self, log: EventLog, student_id: UUID | str) -> None:
        sources = StudentSources(log, student_id)
        self.student_id = sources.student_id
        streams = [("placements", log.cloud_events("placements", sources.student)),
                   ("training", log.cloud_events("training", sources.training_record)),
                   ("credentials", log.cloud_events("credentials", sources.credit_account))]
        streams += [("schedules", log.cloud_events("schedules", plan)) for plan in sources.plans()]
        self.events = relevant(self.projection, streams)

    def known_at(self, moment: datetime) -> ProgressKnownAt:
        """The replay up to the moment (close it, or use it in a with block)."""
        return ProgressKnownAt(self, Replay(self.projection, self.events, moment))

    def answer(self, on: date, known_at: datetime) -> dict[str, Any]:
        """The progress on a business date as known at a moment (one replay)."""
        with self.known_at(known_at) as replay:
            return replay.on(on)


class OfStudent(Protocol):
    student_id: str


class ProgressKnownAt(AbstractContextManager["ProgressKnownAt"]):
    """The progress read model as it was at one moment; answers for any business date."""

    def __init__(self, of: OfStudent, replay: Replay) -> None:
        self.student_id, self.replay = of.student_id, replay

    def __exit__(self, *exc: Any) -> None:
        self.replay.close()

    def on(self, day: date) -> dict[str, Any]:
        """The progress read model's answer for the day, and the hours the logbook held for the day and up to it."""
        replay = self.replay
        try:
            progress = ProgressView(replay.db).student_progress(Scope(), self.student_id, day)
        except NotFound:
            raise NotFound(f"student {self.student_id} was not known at {replay.known_at.isoformat()}",
                           student_id=self.student_id, known_at=replay.known_at.isoformat()) from None
        on_day, to_day = self.hours(day)
        return {"student_id": self.student_id, **replay.stamp(day), "progress": progress,
                "hours_on_day": on_day, "hours_to_day": to_day}

    def hours(self, day: date) -> tuple[dict[str, Any], dict[str, Any]]:
        """Hours of the entries about the day, and of those about any day up to it, by status (an entry counts
        with its current revision, in the status it had at the moment)."""
        with self.replay.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT entry_id, placement_id, day, start_time, end_time, minutes, competencies, revision, status, "
                f"last_event, last_actor, last_reason, updated_at FROM {PROGRESS_LEDGER.entries} "
                "WHERE student_id = ? AND day = ? ORDER BY start_time, entry_id",
                (self.student_id, day.isoformat())).fetchall()
            sums = tx.execute(f"SELECT status, SUM(minutes) FROM {PROGRESS_LEDGER.entries} "
                              "WHERE student_id = ? AND day <= ? GROUP BY status",
                              (self.student_id, day.isoformat())).fetchall()
        keys = ("entry_id", "placement_id", "day", "start", "end", "minutes", "competencies", "revision", "status",
                "last_event", "last_actor", "last_reason", "updated_at")
        todays = [dict(zip(keys, r)) for r in rows]
        on_day = {"day": day.isoformat(), **_by_status(todays), "entries": [_entry_out(e) for e in todays]}
        return on_day, {"to": day.isoformat(), **_by_status([{"status": s, "minutes": m} for s, m in sums])}


def _by_status(entries: list[dict[str, Any]]) -> dict[str, float]:
    minutes = {name: 0 for name in STATUSES.values()}
    for e in entries:
        name = STATUSES.get(e["status"], e["status"])
        minutes[name] = minutes.get(name, 0) + int(e["minutes"])
    return {f"{name}_hours": round(m / 60, 2) for name, m in minutes.items()}


def _entry_out(e: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in e.items() if k != "minutes"}, "hours": round(int(e["minutes"]) / 60, 2),
            "competencies": json.loads(e["competencies"])}


# -- a centre's record -----------------------------------------------------------------------------------------
class CentreRecordAsOf:
    """A training centre's record (the centres read model's answers about it) as the logs knew it at any moment."""

    projection = CentresProjection()

    def __init__(self, log: EventLog, centre_id: UUID | str) -> None:
        self.centre_id = str(UUID(str(centre_id)))
        centre = UUID(self.centre_id)
        opened = [log.app("placements").mapper.to_domain_event(s) for s in log.stored("placements", centre)[:1]]
        if not opened or not isinstance(opened[0], CentreOpened):
            raise NotFound(f"no training centre with id {self.centre_id}", id=self.centre_id)
        streams = [("placements", log.cloud_events("placements", centre)),
                   ("placements", log.cloud_events("placements", UUID(opened[0].enterprise_id)))]
        records = log.originators("training", (PracticeLogged,), lambda e: e.centre_id == self.centre_id)
        streams += [("training", log.cloud_events("training", r)) for r in records]
        plans = log.originators("schedules", PLAN_CONTENT_EVENTS, lambda e: _sends_to(e.content, self.centre_id))
        streams += [("schedules", log.cloud_events("schedules", p)) for p in plans]
        self.events = relevant(self.projection, streams)

    def known_at(self, moment: datetime) -> CentreKnownAt:
        """The replay up to the moment (close it, or use it in a with block)."""
        return CentreKnownAt(self, Replay(self.projection, self.events, moment))

    def answer(self, on: date, known_at: datetime, start: date | None = None,
               end: date | None = None) -> dict[str, Any]:
        """The centre's record on a business date as known at a moment (one replay)."""
        with self.known_at(known_at) as replay:
            return replay.on(on, start, end)


class CentreKnownAt(AbstractContextManager["CentreKnownAt"]):
    """The centres read model as it was at one moment, about one centre."""

    AROUND = timedelta(days=28)
    """Without a period: four weeks either side of the business date."""

    def __init__(self, of: CentreRecordAsOf, replay: Replay) -> None:
        self.centre_id, self.replay = of.centre_id, replay

    def __exit__(self, *exc: Any) -> None:
        self.replay.close()

    def on(self, day: date, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """The centre; who held a place on the day; places held per week and students expected by published plans
        over the period; hours delivered over the period up to the day."""
        start, end = start or day - self.AROUND, end or day + self.AROUND
        view, replay = CentresView(self.replay.db), self.replay
        try:
            centre = view.centre_by_id(self.centre_id)
        except NotFound:
            raise NotFound(f"training centre {self.centre_id} was not known at {replay.known_at.isoformat()}",
                           centre_id=self.centre_id, known_at=replay.known_at.isoformat()) from None
        hosted = view.students_hosted(self.centre_id)
        return {
            "centre_id": self.centre_id, **replay.stamp(day), "period_from": start.isoformat(),
            "period_to": end.isoformat(), "centre": centre,
            "hosted_on_day": [h for h in hosted if h["start"] <= day.isoformat() <= h["end"]],
            "students_hosted": hosted,
            "occupancy": view.occupancy_by_week(self.centre_id, start, end),
            "expected_occupancy": view.expected_occupancy(self.centre_id, start, end),
            "hours_delivered": view.hours_delivered(self.centre_id, start, min(end, day)),
            "hours_on_day": self.hours_on(day),
        }

    def hours_on(self, day: date) -> dict[str, Any]:
        """Hours of the entries about the day at the centre, by status."""
        with self.replay.db.transaction() as tx:
            rows = tx.execute(f"SELECT status, minutes FROM {CENTRE_LEDGER.entries} WHERE centre_id = ? AND day = ?",
                              (self.centre_id, day.isoformat())).fetchall()
        return {"day": day.isoformat(), **_by_status([{"status": s, "minutes": m} for s, m in rows])}


def _sends_to(content: Any, centre_id: str) -> bool:
    """Whether a plan's content assigns someone to the centre in one of its blocks."""
    if not isinstance(content, dict):
        return False
    return any(isinstance(a, dict) and str(a.get("centre_id")) == centre_id
               for block in content.get("blocks") or [] if isinstance(block, dict)
               for a in block.get("assignments") or [])

"""A student's progress as of any moment, without replaying every event on every question.

What was known at a moment in the past never changes: an event recorded later cannot change what the logs held
earlier. So the progress projection's state after the first k events (in recorded order) of a student's relevant
events is kept, in memory, and a question about a moment is answered from the nearest kept state at or before it,
fed only the events between the two. A student's first question replays every event once and keeps a state every
STEP events on the way; later questions apply at most STEP events to a copy, or none when the moment's state is
kept already (the state the answer stands on is kept too).

The student's events are read once and then followed: each question reads only the events recorded since (per
aggregate, after the last version read; the rotation-plan log, after the last position scanned). An event that
sorts before a kept state's last event (a plan that names the student for the first time brings its earlier
events along) drops the states it would have changed; the others stay.

Bounded: the kept states of every student together stay under MAX_BYTES (least recently used first out), and a
student not asked about for IDLE_SECONDS is forgotten. Erasure: before each question the placements log is read
for `StudentErased` since the last look, and every erased student's events and states are forgotten at once (they
hold the plaintext of what the logs said), whichever process erased them; asked about again, they are read afresh
and read as erased.

Per deployment (its placements application) and per process; an answer is the same as a full replay's
(services/audit/as_of.py `StudentProgressAsOf`), which tests/audit/test_as_of_cache.py checks.
"""

from __future__ import annotations

import sqlite3
import threading
import time as clock
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from eventsourcing.utils import get_topic

from events.placements import StudentErased
from services.audit.as_of import ProgressKnownAt, ProgressReplayProjection, Replay, Timed, relevant, utc
from services.audit.history import EventLog
from services.audit.timeline import PLAN_CONTENT_EVENTS, names_student
from services.common.viewstore import Tx, ViewDatabase
from services.credentials.domain.account import credit_account_id
from services.training.domain import training_record_id

STEP = 128
"""A state is kept every STEP events on the first replay: no later question applies more than that many."""
MAX_BYTES = 64 * 2**20
"""The kept states of every student together, at most (their SQLite pages)."""
IDLE_SECONDS = 600.0
"""A student not asked about for this long is forgotten."""
_PAGE = 1000
_ERASED = get_topic(StudentErased)
_PLAN_TOPICS = tuple(sorted(get_topic(c) for c in PLAN_CONTENT_EVENTS))


class MemoryState(ViewDatabase):
    """A view database in one in-memory SQLite connection, used by one thread at a time (any thread)."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self._conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()

    def _connection(self) -> Any:
        return self._conn

    @contextmanager
    def transaction(self, suffix: str = "", *, snapshot: bool = False, pipelined: bool = False) -> Iterator[Tx]:
        with self._lock, super().transaction(suffix, snapshot=snapshot, pipelined=pipelined) as tx:
            yield tx

    def copy(self) -> MemoryState:
        twin = MemoryState()
        with self._lock:
            self._conn.backup(twin._conn)
        return twin

    def size(self) -> int:
        with self._lock:
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(page_size)

    def close(self) -> None:
        self._conn.close()


def _sort_key(t: Timed) -> tuple[datetime, int, str, int]:
    return (t.recorded_at, t.context, t.aggregate, t.version)


class StudentHistory:
    """One student's relevant events in recorded order, followed as they grow, and the states kept along them."""

    projection = ProgressReplayProjection()

    def __init__(self, cache: ProgressAsOfCache, student_id: str) -> None:
        self.cache, self.student_id = cache, student_id
        self.versions: dict[tuple[str, UUID], int] = {
            ("placements", UUID(student_id)): 0, ("training", training_record_id(student_id)): 0,
            ("credentials", credit_account_id(student_id)): 0}
        self.plans_scanned = 0
        self.events: list[Timed] = []
        self.keys: list[tuple[datetime, int, str, int]] = []
        self.times: list[datetime] = []
        self.states: dict[int, MemoryState] = {}
        self.lock = threading.RLock()
        self.used = clock.monotonic()
        self.forgotten = False

    # -- following the logs -------------------------------------------------------------------------------
    def refresh(self, log: EventLog) -> None:
        """Read what was recorded since the last question (new plans naming the student, new events)."""
        with self.lock:
            self._find_plans(log)
            new: list[Timed] = []
            for (context, aggregate), version in list(self.versions.items()):
                stored = log.app(context).recorder.select_events(aggregate, gt=version or None)
                if not stored:
                    continue
                self.versions[(context, aggregate)] = stored[-1].originator_version
                new += relevant(self.projection, [(context, [log.as_cloud_event(context, s) for s in stored])])
            if new:
                self._merge(new)

    def _find_plans(self, log: EventLog) -> None:
        app = log.app("schedules")
        last = app.recorder.max_notification_id() or 0
        while self.plans_scanned < last:
            page = app.recorder.select_notifications(start=self.plans_scanned + 1, limit=_PAGE, stop=last,
                                                     topics=_PLAN_TOPICS)
            for notification in page:
                key = ("schedules", UUID(str(notification.originator_id)))
                if key not in self.versions and names_student(
                        getattr(app.mapper.to_domain_event(notification), "content", None), self.student_id):
                    self.versions[key] = 0
            self.plans_scanned = page[-1].id if len(page) == _PAGE else last

    def _merge(self, new: list[Timed]) -> None:
        """Add events; a kept state stays only if every event it stands on is still where it was."""
        cut = bisect_left(self.keys, min(_sort_key(t) for t in new))
        for length in [n for n in list(self.states) if n > cut]:
            self.cache.let_go(self, length)
        self.events = sorted(self.events + new, key=_sort_key)
        self.keys = [_sort_key(t) for t in self.events]
        self.times = [t.recorded_at for t in self.events]

    # -- answering ------------------------------------------------------------------------------------------
    def known_at(self, moment: datetime) -> ProgressKnownAt:
        """The progress read model as the logs knew it at the moment (closing it leaves the kept state)."""
        moment = utc(moment)
        with self.lock:
            self.used = clock.monotonic()
            applied = bisect_right(self.times, moment)
            if not self.states:
                self._state_at(len(self.events))  # the first question: one full replay keeps the steps
            state = self._state_at(applied)
            last = self.times[applied - 1] if applied else None
        return ProgressKnownAt(self, Replay.of_state(state, moment, applied, last))

    def answer(self, on: date, known_at: datetime) -> dict[str, Any]:
        """The progress on a business date as known at a moment: the same as a full replay's answer."""
        with self.known_at(known_at) as replay:
            return replay.on(on)

    def _state_at(self, length: int) -> MemoryState:
        kept = dict(self.states)  # as it is now: another thread may forget this student (erased, idle) meanwhile
        base = max((n for n in kept if n <= length), default=None)
        if base == length:
            self.cache.touch(self, length)
            return kept[length]
        if base is None:
            state, done = MemoryState(), 0
            with state.transaction() as tx:
                self.projection.create_tables(tx)
        else:
            self.cache.touch(self, base)
            state, done = kept[base].copy(), base
        for step in range((done // STEP + 1) * STEP, length, STEP):
            self._apply(state, done, step)
            self.cache.keep(self, step, state.copy())
            done = step
        self._apply(state, done, length)
        self.cache.keep(self, length, state)
        return state

    def _apply(self, state: MemoryState, start: int, end: int) -> None:
        if end > start:
            with state.transaction() as tx:
                self.projection.apply_batch(tx, [t.event for t in self.events[start:end]])


class ProgressAsOfCache:
    """Every student's history of one deployment in this process, within MAX_BYTES of kept states."""

    def __init__(self, log: EventLog, *, max_bytes: int = MAX_BYTES, idle_seconds: float = IDLE_SECONDS) -> None:
        self.max_bytes, self.idle_seconds = max_bytes, idle_seconds
        self._erasures_read = log.app("placements").recorder.max_notification_id() or 0
        self._students: dict[str, StudentHistory] = {}
        self._kept: OrderedDict[tuple[int, int], tuple[StudentHistory, int, int]] = OrderedDict()
        """(id of the history, events the state stands on) -> (the history, that number, the state's bytes)."""
        self._bytes = 0
        self._lock = threading.RLock()

    def student(self, log: EventLog, student_id: UUID | str) -> StudentHistory:
        """The student's history, with what was recorded up to now (erased students forgotten first)."""
        sid = str(UUID(str(student_id)))
        self.forget_erased(log)
        with self._lock:
            self._forget_idle()
            history = self._students.get(sid)
            if history is None:
                history = self._students[sid] = StudentHistory(self, sid)
        history.refresh(log)
        return history

    def forget_erased(self, log: EventLog) -> None:
        """Forget every student erased since the last look (by any process)."""
        recorder = log.app("placements").recorder
        last = recorder.max_notification_id() or 0
        with self._lock:
            while self._erasures_read < last:
                page = recorder.select_notifications(start=self._erasures_read + 1, limit=_PAGE, stop=last,
                                                     topics=[_ERASED])
                for notification in page:
                    self.forget(str(notification.originator_id))
                self._erasures_read = page[-1].id if len(page) == _PAGE else last

    def forget(self, student_id: str) -> None:
        with self._lock:
            history = self._students.pop(student_id, None)
            if history is not None:
                history.forgotten = True
                for length in list(history.states):
                    self.let_go(history, length)

    @property
    def students(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._students)

    @property
    def kept_bytes(self) -> int:
        return self._bytes

    def _forget_idle(self) -> None:
        now = clock.monotonic()
        for sid in [s for s, h in self._students.items() if now - h.used > self.idle_seconds]:
            self.forget(sid)

    # -- the kept states (least recently used first out) -------------------------------------------------------
    def keep(self, history: StudentHistory, length: int, state: MemoryState) -> None:
        with self._lock:
            if history.forgotten:
                return  # erased (or idle) while this question was being answered: nothing of it is kept
            self.let_go(history, length)
            size = state.size()
            history.states[length] = state
            self._kept[(id(history), length)] = (history, length, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._kept) > 1:
                old, old_length, _ = next(iter(self._kept.values()))
                if (old, old_length) == (history, length):
                    break
                self.let_go(old, old_length)

    def touch(self, history: StudentHistory, length: int) -> None:
        with self._lock:
            if (id(history), length) in self._kept:
                self._kept.move_to_end((id(history), length))

    def let_go(self, history: StudentHistory, length: int) -> None:
        """Drop a kept state (it is closed when the last question using it is done)."""
        with self._lock:
            history.states.pop(length, None)
            kept = self._kept.pop((id(history), length), None)
            if kept is not None:
                self._bytes -= kept[2]


_CACHES: WeakKeyDictionary[Any, ProgressAsOfCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(log: EventLog) -> ProgressAsOfCache:
    """The cache of the deployment whose stores the log reads (one per placements application)."""
    app = log.app("placements")
    with _CACHES_LOCK:
        cache = _CACHES.get(app)
        if cache is None:
            cache = _CACHES[app] = ProgressAsOfCache(log)
        return cache


def progress_as_of(log: EventLog, student_id: UUID | str) -> StudentHistory:
    """The student's progress as of any moment (`.answer(on, known_at)`, `.known_at(moment)`), from the cache."""
    return cache_of(log).student(log, student_id)

"""Who is registered: every school, enterprise and student with the names they were registered under, for the
lists people choose from and search by name (a coordinator's students, an administrator's invitation form, an
auditor's "find by name").

The roster follows the placements store's own log, reading only the events that register someone (the database
filters them by topic) and only those recorded since it last looked, so asking again costs what was registered in
between. Names are never changed after registration; an erasure makes a student's read as erased.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from events.base import ERASED
from events.placements import EnterpriseRegistered, SchoolRegistered, StudentEnrolled, StudentErased


@dataclass(frozen=True)
class Listed:
    """A school, an enterprise or a student as registered."""

    id: str
    name: str
    code: str = ""
    """A school's code, an enterprise's registration number."""
    rule_set: str = ""
    school_id: str = ""
    major: str = ""
    cohort: int = 0
    date_of_birth: date | None = None


class Roster:
    """Every school, enterprise and student, by id, brought up to date by `refresh()`."""

    _TOPICS = tuple(sorted(get_topic(c) for c in (SchoolRegistered, EnterpriseRegistered, StudentEnrolled,
                                                  StudentErased)))
    _BATCH = 500

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._position = 0
        self.schools: dict[str, Listed] = {}
        self.enterprises: dict[str, Listed] = {}
        self.students: dict[str, Listed] = {}

    def refresh(self) -> Roster:
        with self._lock:
            while True:
                batch = self._app.recorder.select_notifications(start=self._position, limit=self._BATCH,
                                                               topics=self._TOPICS, inclusive_of_start=False)
                # A student's name opens with their key: read the batch's keys in one query, not one each.
                self._app.subject_keys.prefetch(str(n.originator_id) for n in batch)
                for notification in batch:
                    self._add(self._app.mapper.to_domain_event(notification))
                    self._position = notification.id
                if len(batch) < self._BATCH:
                    return self

    def _add(self, e: Any) -> None:
        key = str(e.originator_id)
        if isinstance(e, SchoolRegistered):
            self.schools[key] = Listed(key, e.name, code=e.code, rule_set=e.rule_set)
        elif isinstance(e, EnterpriseRegistered):
            self.enterprises[key] = Listed(key, e.name, code=e.registration_number or "")
        elif isinstance(e, StudentEnrolled):
            self.students[key] = Listed(key, e.name, school_id=e.school_id, major=e.major, cohort=e.cohort,
                                        date_of_birth=e.date_of_birth)
        elif isinstance(e, StudentErased) and key in self.students:
            self.students[key] = replace(self.students[key], name=ERASED, date_of_birth=None)

    def students_of(self, school_id: str) -> list[Listed]:
        """A school's students by name."""
        with self._lock:
            found = [s for s in self.students.values() if s.school_id == school_id]
        return sorted(found, key=lambda s: (s.name.casefold(), s.id))

    def students_named(self, words: str) -> list[Listed]:
        """Students whose name holds every word of `words` (ignoring case), by name."""
        wanted = words.casefold().split()
        with self._lock:
            found = [s for s in self.students.values() if all(w in s.name.casefold() for w in wanted)]
        return sorted(found, key=lambda s: (s.name.casefold(), s.school_id, s.id))

    def school_name(self, school_id: str) -> str:
        found = self.schools.get(school_id)
        return found.name if found else school_id


class Registrations:
    """The placements application's roster (one per application, shared by its requests)."""

    _roster: Roster | None = None
    _roster_lock = threading.Lock()

    def roster(self) -> Roster:
        """The roster, brought up to date."""
        with Registrations._roster_lock:
            if self._roster is None:
                self._roster = Roster(self)
        return self._roster.refresh()

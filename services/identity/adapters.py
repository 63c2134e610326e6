"""What answers the identity context's ports (ports.py): the placements store, the centres read model, the outbox."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from events.placements import EnterpriseRegistered, SchoolRegistered, StudentEnrolled
from services.common.errors import NotFound
from services.identity.ports import Letter, Named
from services.placements.application import PlacementsApplication
from services.placements.domain import Enterprise, School

_REGISTERED = [get_topic(c) for c in (SchoolRegistered, EnterpriseRegistered, StudentEnrolled)]


class DirectoryFromPlacements:
    """The Directory port: schools, enterprises and students from the placements event store; the centres a person
    mentors from the centres read model (which lists each centre's mentors)."""

    def __init__(self, placements: PlacementsApplication, centres: Any) -> None:
        self._placements = placements
        self._centres = centres
        self._lock = threading.Lock()
        self._position = 0
        self._registered: dict[str, dict[str, tuple[str, str]]] = {"school": {}, "enterprise": {}, "student": {}}
        """Names by id, read incrementally from the placements store's log (names never change there); a
        student's with their school's id."""

    def school_of_student(self, student_id: str) -> str | None:
        try:
            return self._placements.find_student(student_id).school_id
        except NotFound:
            return None

    def school(self, school_id: str) -> Named | None:
        return self._named(School, school_id)

    def enterprise(self, enterprise_id: str) -> Named | None:
        return self._named(Enterprise, enterprise_id)

    def student(self, student_id: str) -> Named | None:
        try:
            student = self._placements.find_student(student_id)
        except NotFound:
            return None
        return Named(str(student.id), student.name)

    def centres_mentored(self, person_id: str, enterprise_id: str) -> list[Named]:
        page = self._centres.centres_matching(enterprise_id=enterprise_id, page_size=200)
        return [Named(c["id"], c["name"]) for c in page.items
                if any(m["mentor_id"] == person_id for m in c["mentors"])]

    def schools(self) -> list[Named]:
        return self._all("school")

    def enterprises(self) -> list[Named]:
        return self._all("enterprise")

    def students_named(self, words: str, limit: int) -> list[Named]:
        wanted = words.casefold().split()
        registered = self._registered_now()
        schools = registered["school"]
        found = [Named(ident, f"{name} ({schools.get(school, (school, ''))[0]})")
                 for ident, (name, school) in registered["student"].items()
                 if all(w in name.casefold() for w in wanted)]
        return sorted(found, key=lambda n: (n.name.casefold(), n.id))[:limit]

    def _all(self, kind: str) -> list[Named]:
        return sorted((Named(ident, name) for ident, (name, _) in self._registered_now()[kind].items()),
                      key=lambda n: (n.name.casefold(), n.id))

    def _registered_now(self) -> dict[str, dict[str, tuple[str, str]]]:
        with self._lock:
            while True:
                batch = self._placements.recorder.select_notifications(
                    start=self._position, limit=500, topics=_REGISTERED, inclusive_of_start=False)
                for notification in batch:
                    event: Any = self._placements.mapper.to_domain_event(notification)
                    kind = {SchoolRegistered: "school", EnterpriseRegistered: "enterprise"}.get(type(event), "student")
                    self._registered[kind][str(event.originator_id)] = (event.name, getattr(event, "school_id", ""))
                    self._position = notification.id
                if len(batch) < 500:
                    return {kind: dict(names) for kind, names in self._registered.items()}

    def _named(self, kind: type, ident: str) -> Named | None:
        try:
            found = self._placements.load(kind, UUID(ident))
        except (ValueError, NotFound):
            return None
        return Named(str(found.id), found.name)


class MailboxFromOutbox:
    """The Mailbox port: the deployment's durable mail outbox (toolkit.mail)."""

    def __init__(self, outbox: Any) -> None:
        self._outbox = outbox

    def hold(self, letter: Letter) -> None:
        from toolkit.mail.outbox import Mail

        self._outbox.hold(Mail(key=letter.key, to=letter.to, subject=letter.subject, text=letter.text))

    def release(self, key: str) -> None:
        self._outbox.release(key)

    def drop(self, key: str) -> None:
        self._outbox.drop(key)

"""What answers the identity context's ports (ports.py): the placements store, the centres read model, the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from services.common.errors import NotFound
from services.identity.ports import Letter, Named
from services.placements.application import PlacementsApplication
from services.placements.domain import Enterprise, School


class DirectoryFromPlacements:
    """The Directory port: schools, enterprises and students from the placements event store; the centres a person
    mentors from the centres read model (which lists each centre's mentors)."""

    def __init__(self, placements: PlacementsApplication, centres: Any) -> None:
        self._placements = placements
        self._centres = centres

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
        return _by_name(self._placements.roster().schools.values())

    def enterprises(self) -> list[Named]:
        return _by_name(self._placements.roster().enterprises.values())

    def students_named(self, words: str, limit: int) -> list[Named]:
        roster = self._placements.roster()
        return [Named(s.id, f"{s.name} ({roster.school_name(s.school_id)})")
                for s in roster.students_named(words)[:limit]]

    def _named(self, kind: type, ident: str) -> Named | None:
        try:
            found = self._placements.load(kind, UUID(ident))
        except (ValueError, NotFound):
            return None
        return Named(str(found.id), found.name)


def _by_name(listed: Iterable[Any]) -> list[Named]:
    return sorted((Named(x.id, x.name) for x in listed), key=lambda n: (n.name.casefold(), n.id))


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

"""What the identity context asks of others: where students study and what things are called, and a way to mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Named:
    """Something a grant is scoped to, by id and name."""

    id: str
    name: str


class Directory(Protocol):
    """The schools, enterprises, centres and students a grant may be scoped to."""

    def school_of_student(self, student_id: str) -> str | None:
        """The school the student is enrolled at; None when there is no such student."""
        ...

    def school(self, school_id: str) -> Named | None: ...

    def enterprise(self, enterprise_id: str) -> Named | None: ...

    def student(self, student_id: str) -> Named | None: ...

    def centres_mentored(self, person_id: str, enterprise_id: str) -> list[Named]:
        """The enterprise's training centres where the person is an assigned mentor."""
        ...

    def schools(self) -> list[Named]:
        """Every school, by name (to choose a grant's scope from)."""
        ...

    def enterprises(self) -> list[Named]:
        """Every enterprise, by name."""
        ...

    def students_named(self, words: str, limit: int) -> list[Named]:
        """At most `limit` students whose name holds every one of `words`, by name; each name followed by the
        school's in brackets."""
        ...


@dataclass(frozen=True)
class Letter:
    """A mail to send: `key` makes it unique (sent once), the text may hold a one-time secret."""

    key: str
    to: str
    subject: str
    text: str
    link: str | None = None
    """The one-time link the text holds, if any."""


class Mailbox(Protocol):
    """A durable outbox: a letter is held while the events that explain it are saved, then released to be sent
    (or dropped when they could not be saved)."""

    def hold(self, letter: Letter) -> None: ...

    def release(self, key: str) -> None: ...

    def drop(self, key: str) -> None: ...

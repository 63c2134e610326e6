"""Who has an account, for the administrators' pages: people with their grants and open invitations, a page at a
time, found by name or email, and an account's history.

Identity keeps no read model (its events stay in its own store, published nowhere). `PeopleIndex` follows the
store's notification log instead, reading only the events that name a person, a grant or an invitation and only
those after the last it read, so each query costs the events recorded since the one before (as the schedules
context indexes its plans). It holds names, logins and grants, never a secret or a hash.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from events.base import ERASED
from events.identity import (
    GrantGiven,
    GrantWithdrawn,
    InvitationAccepted,
    InvitationIssued,
    InvitationWithdrawn,
    PersonAdded,
    PersonErased,
)
from services.common.identity import Role
from services.identity.domain.grants import Grant

_TOPICS = [get_topic(c) for c in (PersonAdded, PersonErased, GrantGiven, GrantWithdrawn, InvitationIssued,
                                  InvitationAccepted, InvitationWithdrawn)]
_BATCH = 500
_HIDDEN = ("originator_id", "originator_version", "timestamp", "meta", "originator_topic")


@dataclass(frozen=True)
class PersonSummary:
    """A person as the list shows them: name, logins and the roles they hold now."""

    person_id: str
    name: str
    email: str | None
    phone: str | None
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class OpenInvitation:
    """A link to join that was neither used nor replaced (it may have expired)."""

    invitation_id: str
    person_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass
class PeoplePage:
    total: int
    people: list[PersonSummary] = field(default_factory=list)


class PeopleIndex:
    """People, grants and open invitations to join, read incrementally from the identity store's log."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._position = 0
        self._people: dict[str, PersonSummary] = {}
        self._invitations: dict[str, OpenInvitation] = {}

    def refresh(self) -> PeopleIndex:
        with self._lock:
            while True:
                batch = self._app.recorder.select_notifications(start=self._position, limit=_BATCH, topics=_TOPICS,
                                                               inclusive_of_start=False)
                for notification in batch:
                    self._apply(self._app.mapper.to_domain_event(notification))
                    self._position = notification.id
                if len(batch) < _BATCH:
                    return self

    def _apply(self, event: Any) -> None:
        key = str(event.originator_id)
        if isinstance(event, PersonAdded):
            self._people[key] = PersonSummary(key, event.name, event.email, event.phone)
        elif isinstance(event, PersonErased) and key in self._people:
            self._people[key] = replace(self._people[key], name=ERASED, email=None, phone=None)
        elif isinstance(event, GrantGiven) and key in self._people:
            grant = Grant(event.grant_id, Role(event.role), event.school_id, event.enterprise_id, event.student_id)
            person = self._people[key]
            self._people[key] = replace(person, grants=(*person.grants, grant))
        elif isinstance(event, GrantWithdrawn) and key in self._people:
            person = self._people[key]
            self._people[key] = replace(person, grants=tuple(g for g in person.grants if g.grant_id != event.grant_id))
        elif isinstance(event, InvitationIssued) and event.purpose == "join":
            self._invitations[key] = OpenInvitation(key, event.person_id, event.timestamp, event.expires_at)
        elif isinstance(event, InvitationAccepted | InvitationWithdrawn):
            self._invitations.pop(key, None)

    def matching(self, words: str = "", page: int = 1, size: int = 20) -> PeoplePage:
        """People whose name or login holds every one of `words` (case-insensitive), by name, one page."""
        wanted = words.casefold().split()
        self.refresh()
        with self._lock:
            found = [p for p in self._people.values()
                     if all(w in f"{p.name} {p.email or ''} {p.phone or ''}".casefold() for w in wanted)]
        found.sort(key=lambda p: (p.name.casefold(), p.person_id))
        first = (max(page, 1) - 1) * size
        return PeoplePage(len(found), found[first:first + size])

    def summary(self, person_id: str) -> PersonSummary | None:
        """The person as the index knows them (None for a subject that is not a person, such as a service)."""
        self.refresh()
        with self._lock:
            return self._people.get(person_id)

    def open_invitations(self) -> list[tuple[OpenInvitation, PersonSummary | None]]:
        """Every open invitation to join, the soonest to expire first, with its person; one whose person has set a
        password since (by a reset link) is no longer waiting and is left out by the caller."""
        self.refresh()
        with self._lock:
            found = [(i, self._people.get(i.person_id)) for i in self._invitations.values()]
        return sorted(found, key=lambda pair: pair[0].expires_at)


class PeopleQueries:
    """The queries of the administrators' pages, mixed into the identity application."""

    repository: Any
    get_person: Any
    _people_index: PeopleIndex | None = None

    def people_index(self) -> PeopleIndex:
        if self._people_index is None:
            self._people_index = PeopleIndex(self)
        return self._people_index

    def people(self, words: str = "", page: int = 1, size: int = 20) -> PeoplePage:
        return self.people_index().matching(words, page, size)

    def pending_invitations(self) -> list[tuple[OpenInvitation, PersonSummary]]:
        """Invitations to join still waiting for their person to set a password (expired ones included)."""
        waiting = []
        for invitation, person in self.people_index().open_invitations():
            if person is None:
                continue
            if self.get_person(person.person_id).password_hash is None:
                waiting.append((invitation, person))
        return waiting

    def account_history(self, person_id: str) -> list[dict[str, Any]]:
        """Every event of the person's account, oldest first: grants, invitations used, passwords set, sign-ins,
        failures and locks, with who did it and why; hashes and secrets left out."""
        person = self.get_person(person_id)
        stored: list[Any] = list(self.repository.event_store.get(UUID(str(person.id))))
        history = []
        for event in stored:
            details = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in event.__dict__.items()
                       if k not in _HIDDEN and not k.endswith("hash")}
            history.append({"version": event.originator_version, "type": type(event).__name__,
                            "recorded_at": event.timestamp, "actor": event.meta.subject, "role": event.meta.role,
                            "reason": event.meta.reason, "details": details})
        return history

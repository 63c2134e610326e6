"""Invitations: one-time links to set a password, and the index that makes a login belong to one person."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.identity import InvitationAccepted, InvitationIssued, InvitationWithdrawn, LoginClaimed
from services.common.errors import NotSignedIn, RuleViolated

INVITATION_LIFETIME = {"join": timedelta(days=7), "reset": timedelta(hours=2)}
"""How long a link works: a week to join, two hours to reset a forgotten password."""
_INVITATIONS = uuid5(NAMESPACE_URL, "https://dualtrack.example/identity/invitations")
_LOGINS = uuid5(NAMESPACE_URL, "https://dualtrack.example/identity/logins")


def invitation_id(secret_hash: str) -> UUID:
    """An invitation is found from its link alone: its id is derived from the hash of the link's secret."""
    return uuid5(_INVITATIONS, secret_hash)


def login_id(login: str) -> UUID:
    """The id of the index entry of a normalised login (see `normalised_login`)."""
    return uuid5(_LOGINS, login)


def normalised_login(text: str) -> str:
    """An email address in lower case, or a phone number as its digits (a leading + kept)."""
    text = text.strip()
    if "@" in text:
        return text.lower()
    digits = "".join(c for c in text if c.isdigit())
    return ("+" if text.startswith("+") else "") + digits


class Invitation(Aggregate):
    """A one-time link, sent by mail, with which a person sets their password."""

    def __init__(self, *, person_id: str, purpose: str, expires_at: datetime, meta: EventMeta) -> None:
        self.person_id = person_id
        self.purpose = purpose
        self.expires_at = expires_at
        self.used = False

    @classmethod
    def issue(cls, secret_hash: str, *, person_id: str, purpose: str, now: datetime, meta: EventMeta) -> Invitation:
        if purpose not in INVITATION_LIFETIME:
            raise RuleViolated("invitation-purpose", f"an invitation is to join or to reset, not {purpose!r}")
        return cls._create(InvitationIssued, id=invitation_id(secret_hash), person_id=person_id, purpose=purpose,
                           expires_at=now + INVITATION_LIFETIME[purpose], meta=meta)

    def check_usable(self, now: datetime) -> None:
        if self.used:
            raise NotSignedIn("this link was already used or replaced by a newer one: ask for a new one")
        if now >= self.expires_at:
            raise NotSignedIn(f"this link expired at {self.expires_at:%Y-%m-%d %H:%M} UTC: ask for a new one")

    def accept(self, now: datetime, meta: EventMeta) -> None:
        self.check_usable(now)
        self.trigger_event(InvitationAccepted, meta=meta)

    def withdraw(self, meta: EventMeta) -> None:
        if not self.used:
            self.trigger_event(InvitationWithdrawn, meta=meta)

    def when(self, event: InvitationAccepted | InvitationWithdrawn) -> None:
        """Accepted or withdrawn, the link works no more."""
        self.used = True


class Login(Aggregate):
    """An email address or a phone number, claimed by one person: created once, so a second claim fails to save."""

    def __init__(self, *, login: str, person_id: str, meta: EventMeta) -> None:
        self.login = login
        self.person_id = person_id

    @classmethod
    def claim(cls, login: str, person_id: str, meta: EventMeta) -> Login:
        return cls._create(LoginClaimed, id=login_id(login), login=login, person_id=person_id, meta=meta)

"""Events of the identity context: people, their role grants, invitations, passwords, sign-ins and sessions.

These stay in the identity store: they are never published to Kafka (they hold contacts and password hashes).
"""

from __future__ import annotations

from datetime import datetime

from events.base import DomainCreated, DomainEvent


class PersonAdded(DomainCreated):
    """A person was added to dualtrack (by whoever first invited them)."""

    name: str
    email: str | None
    phone: str | None


class PersonErased(DomainEvent):
    """The person's personal data was erased (their key destroyed, every role withdrawn before): their name and
    logins read as erased from now on, and they cannot sign in."""

    for_student: str | None
    """The student whose erasure erased this account (their own, or their guardian's)."""


class LoginClaimed(DomainCreated):
    """An email address or phone number became a person's login; nobody else can claim it."""

    login: str
    person_id: str


class GrantGiven(DomainEvent):
    """A person was given a role, scoped to a school, an enterprise or a student where the role has a scope."""

    grant_id: str
    role: str
    school_id: str | None
    enterprise_id: str | None
    student_id: str | None


class GrantWithdrawn(DomainEvent):
    """A role grant was withdrawn: the sessions acting under it end with the next request."""

    grant_id: str


class InvitationIssued(DomainCreated):
    """A one-time link to set a password was sent to a person (to join, or to reset a forgotten password)."""

    person_id: str
    purpose: str
    expires_at: datetime


class InvitationAccepted(DomainEvent):
    """The invitee used the link and set a password; the link works no more."""


class InvitationWithdrawn(DomainEvent):
    """A newer invitation replaced this one, or it was withdrawn; the link works no more."""


class PasswordSet(DomainEvent):
    """The person's password was set or changed (only its argon2id hash is kept); every session ends."""

    password_hash: str
    via: str


class SignedIn(DomainEvent):
    """The person signed in: a session began (for the web, or for an API client with a refresh token)."""

    session_id: str
    client: str
    address: str
    refresh_hash: str
    expires_at: datetime


class SignInFailed(DomainEvent):
    """A sign-in to the account was refused: a wrong password, or any password while the account is locked."""

    reason: str
    address: str
    failures: int


class AccountLocked(DomainEvent):
    """Too many wrong passwords in a row: no sign-in is accepted until `until`."""

    until: datetime
    failures: int


class SessionRefreshed(DomainEvent):
    """A refresh token was used: a new one replaces it (the old one, used again, ends the session)."""

    session_id: str
    refresh_hash: str


class SignedOut(DomainEvent):
    """A session ended: signed out, or its refresh token was used twice (a sign of theft)."""

    session_id: str


class SignedOutEverywhere(DomainEvent):
    """Every session of the person ended at once."""


class CalendarLinkCreated(DomainEvent):
    """The person made a subscription link to one calendar feed (its secret is kept as a hash only)."""

    link_id: str
    feed: str
    grant_id: str
    """The role the feed is read as: the link stops working when that grant is withdrawn."""
    secret_hash: str


class CalendarLinkRevoked(DomainEvent):
    """A calendar subscription link stopped working."""

    link_id: str


class GuardianCodeSent(DomainCreated):
    """A one-time code to confirm a minor's placement was mailed to the guardian contact enrolled for them."""

    student_id: str
    placement_id: str
    code_hash: str
    expires_at: datetime


class GuardianCodeResent(DomainEvent):
    """A new code replaced the earlier one (which works no more)."""

    code_hash: str
    expires_at: datetime


class GuardianCodeRefused(DomainEvent):
    """A wrong code was tried; after five, the code works no more."""

    tries: int


class GuardianCodeUsed(DomainEvent):
    """The guardian confirmed the placement with the code; it works no more."""


class RetentionLogOpened(DomainCreated):
    """The log of the identity store's retention was opened (one per deployment)."""


class SignInDataExpired(DomainEvent):
    """The addresses and clients of a month's sign-ins were erased by the retention policy (that month's key was
    destroyed): `month` (YYYY-MM), kept for `kept_months` whole months after it."""

    month: str
    kept_months: int

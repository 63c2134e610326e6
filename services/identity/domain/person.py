"""A person and their account: role grants, password, sign-ins, sessions and calendar links.

Everything that decides whether a request may act for this person is one aggregate, so a withdrawn grant, a
session signed out or "sign out everywhere" is seen by the next request that loads it. Passwords are kept as
argon2id hashes made by the application; secrets of sessions and links only as SHA-256 hashes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.identity import (
    AccountLocked,
    CalendarLinkCreated,
    CalendarLinkRevoked,
    GrantGiven,
    GrantWithdrawn,
    PasswordSet,
    PersonAdded,
    PersonErased,
    SessionRefreshed,
    SignedIn,
    SignedOut,
    SignedOutEverywhere,
    SignInFailed,
)
from services.common.errors import InvalidInput, NotFound, NotSignedIn, RuleViolated, TooManyAttempts
from services.common.identity import Role
from services.common.sealing import ERASED
from services.common.snapshots import StateSnapshot
from services.identity.domain.grants import Grant

FAILURES_BEFORE_LOCK = 20
"""Wrong passwords in a row after which the account is locked."""
LOCKED_FOR = timedelta(minutes=15)
"""How long a locked account refuses every sign-in, the right password too."""
SESSION_LIFETIME = timedelta(days=30)
"""A session (and its refresh tokens) ends this long after sign-in, however often it was refreshed."""
MAX_CALENDAR_LINKS = 20

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


def check_password(password: str, *logins: str | None) -> None:
    """A password a person may choose: 10 to 200 characters, and not their login."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_LENGTH} characters", field="password")
    if any(login and password.strip().lower() == login.strip().lower() for login in logins):
        raise InvalidInput("a password is not the login itself", field="password")


@dataclass(frozen=True)
class Session:
    """A signed-in session: of the web (a cookie) or of an API client (a refresh token)."""

    session_id: str
    client: str
    refresh_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class CalendarLink:
    """A secret address of one calendar feed, read as one of the person's grants."""

    link_id: str
    feed: str
    grant_id: str
    secret_hash: str


class Person(Aggregate):
    """Someone who signs in to dualtrack, with every role they hold."""

    Snapshot = StateSnapshot
    erased = False  # snapshots taken before erasure existed have no such attribute
    erased_for: str | None = None

    def __init__(self, *, name: str, email: str | None, phone: str | None, meta: EventMeta) -> None:
        self.name = name
        self.email = email
        self.phone = phone
        self.grants: dict[str, Grant] = {}
        self.password_hash: str | None = None
        self.failures = 0
        self.locked_until: datetime | None = None
        self.sessions: dict[str, Session] = {}
        self.calendar_links: dict[str, CalendarLink] = {}

    @classmethod
    def add(cls, *, name: str, email: str | None, phone: str | None, meta: EventMeta,
            person_id: UUID | None = None) -> Person:
        if not (email or phone):
            raise RuleViolated("contact-required", "a person is added with an email address or a phone number")
        return cls._create(PersonAdded, id=person_id or uuid4(), name=name, email=email, phone=phone, meta=meta)

    # -- grants ---------------------------------------------------------------------------------
    def give(self, grant: Grant, meta: EventMeta) -> Grant:
        """Give a role grant; giving one the person already holds changes nothing and returns it."""
        for held in self.grants.values():
            if held.same_role_and_scope(grant):
                return held
        self.trigger_event(GrantGiven, grant_id=grant.grant_id, role=grant.role.value, school_id=grant.school_id,
                           enterprise_id=grant.enterprise_id, student_id=grant.student_id, meta=meta)
        return grant

    def grant(self, grant_id: str) -> Grant:
        found = self.grants.get(grant_id)
        if found is None:
            raise NotFound(f"{self.name} holds no grant {grant_id}", grant_id=grant_id)
        return found

    def withdraw(self, grant_id: str, meta: EventMeta) -> None:
        self.grant(grant_id)
        self.trigger_event(GrantWithdrawn, grant_id=grant_id, meta=meta)

    # -- password and sign-in --------------------------------------------------------------------
    def set_password(self, password_hash: str, via: str, meta: EventMeta) -> None:
        """Set or change the password: every session ends, and a lock is lifted."""
        self.trigger_event(PasswordSet, password_hash=password_hash, via=via, meta=meta)

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def refuse_while_locked(self, address: str, now: datetime, meta: EventMeta) -> TooManyAttempts:
        """A sign-in during the lock, right password or not: recorded, and the error to raise after saving."""
        assert self.locked_until is not None
        self.trigger_event(SignInFailed, reason="locked", address=address, failures=self.failures, meta=meta)
        return _locked(self.locked_until, now)

    def fail_sign_in(self, address: str, now: datetime, meta: EventMeta) -> NotSignedIn | TooManyAttempts:
        """A wrong password: recorded; the twentieth in a row locks the account. The error to raise after saving."""
        self.trigger_event(SignInFailed, reason="wrong-password", address=address, failures=self.failures + 1,
                           meta=meta)
        if self.failures >= FAILURES_BEFORE_LOCK:
            self.trigger_event(AccountLocked, until=now + LOCKED_FOR, failures=self.failures, meta=meta)
            assert self.locked_until is not None
            return _locked(self.locked_until, now)
        return NotSignedIn("wrong login or password")

    def sign_in(self, *, client: str, address: str, refresh_hash: str, now: datetime, meta: EventMeta) -> Session:
        if not self.grants:
            raise NotSignedIn("this account holds no role: ask whoever invited you")
        session_id = uuid4().hex
        self.trigger_event(SignedIn, session_id=session_id, client=client, address=address,
                           refresh_hash=refresh_hash, expires_at=now + SESSION_LIFETIME, meta=meta)
        return self.sessions[session_id]

    # -- sessions --------------------------------------------------------------------------------
    def live_session(self, session_id: str, now: datetime) -> Session:
        session = self.sessions.get(session_id)
        if session is None or session.expires_at <= now:
            raise NotSignedIn("this session has ended: sign in again")
        return session

    def refresh(self, session_id: str, presented_hash: str, new_hash: str, now: datetime,
                meta: EventMeta) -> NotSignedIn | None:
        """Rotate the refresh token. A token that is not the session's latest (one already used) ends the session:
        someone else may hold a copy. Returns the error to raise after saving, if any."""
        session = self.live_session(session_id, now)
        if session.client != "api":
            raise NotSignedIn("a web session is not refreshed with tokens: sign in to the API")
        if not hmac.compare_digest(presented_hash, session.refresh_hash):
            self.trigger_event(SignedOut, session_id=session_id, meta=_because(meta, "refresh-token-reused"))
            return NotSignedIn("this refresh token was already used: the session has ended, sign in again")
        self.trigger_event(SessionRefreshed, session_id=session_id, refresh_hash=new_hash, meta=meta)
        return None

    def web_session(self, session_id: str, presented_hash: str, now: datetime) -> Session:
        """A live web session whose cookie holds its secret; NotSignedIn otherwise."""
        session = self.live_session(session_id, now)
        if session.client != "web" or not hmac.compare_digest(presented_hash, session.refresh_hash):
            raise NotSignedIn("this session has ended: sign in again")
        return session

    def sign_out(self, session_id: str, meta: EventMeta) -> None:
        if session_id in self.sessions:
            self.trigger_event(SignedOut, session_id=session_id, meta=meta)

    def sign_out_everywhere(self, meta: EventMeta) -> None:
        self.trigger_event(SignedOutEverywhere, meta=meta)

    def erase(self, meta: EventMeta, for_student: str | None = None) -> bool:
        """Withdraw every role, end every session and record the erasure (the key is destroyed by whoever erases);
        False when they were erased before."""
        if self.erased:
            return False
        for grant_id in list(self.grants):
            self.withdraw(grant_id, meta)
        self.sign_out_everywhere(meta)
        self.trigger_event(PersonErased, for_student=for_student, meta=meta)
        return True

    # -- calendar links --------------------------------------------------------------------------
    def create_calendar_link(self, feed: str, grant_id: str, secret_hash: str, meta: EventMeta) -> str:
        self.grant(grant_id)
        if len(self.calendar_links) >= MAX_CALENDAR_LINKS:
            raise RuleViolated("too-many-calendar-links", f"a person keeps at most {MAX_CALENDAR_LINKS} calendar "
                               "links: revoke one first", limit=MAX_CALENDAR_LINKS)
        link_id = uuid4().hex
        self.trigger_event(CalendarLinkCreated, link_id=link_id, feed=feed, grant_id=grant_id,
                           secret_hash=secret_hash, meta=meta)
        return link_id

    def revoke_calendar_link(self, link_id: str, meta: EventMeta) -> None:
        if link_id not in self.calendar_links:
            raise NotFound(f"no calendar link {link_id}", link_id=link_id)
        self.trigger_event(CalendarLinkRevoked, link_id=link_id, meta=meta)

    # -- state -----------------------------------------------------------------------------------
    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the person."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: PersonErased) -> None:
        self.erased, self.erased_for = True, e.for_student
        self.name, self.email, self.phone = ERASED, None, None  # an aggregate kept in memory forgets them too
        self.password_hash = None  # and nobody signs in as them

    @when.register
    def _(self, e: GrantGiven) -> None:
        self.grants[e.grant_id] = Grant(e.grant_id, Role(e.role), e.school_id, e.enterprise_id, e.student_id)

    @when.register
    def _(self, e: GrantWithdrawn) -> None:
        self.grants.pop(e.grant_id, None)

    @when.register
    def _(self, e: PasswordSet) -> None:
        self.password_hash = e.password_hash
        self.failures = 0
        self.locked_until = None
        self.sessions.clear()

    @when.register
    def _(self, e: SignInFailed) -> None:
        self.failures = e.failures

    @when.register
    def _(self, e: AccountLocked) -> None:
        self.locked_until = e.until

    @when.register
    def _(self, e: SignedIn) -> None:
        self.failures = 0
        self.locked_until = None
        signed_in_at = e.expires_at - SESSION_LIFETIME
        for ended in [s for s in self.sessions.values() if s.expires_at <= signed_in_at]:
            del self.sessions[ended.session_id]  # sessions past their end are forgotten as new ones begin
        self.sessions[e.session_id] = Session(e.session_id, e.client, e.refresh_hash, e.expires_at)

    @when.register
    def _(self, e: SessionRefreshed) -> None:
        old = self.sessions[e.session_id]
        self.sessions[e.session_id] = Session(old.session_id, old.client, e.refresh_hash, old.expires_at)

    @when.register
    def _(self, e: SignedOut) -> None:
        self.sessions.pop(e.session_id, None)

    @when.register
    def _(self, e: SignedOutEverywhere) -> None:
        self.sessions.clear()

    @when.register
    def _(self, e: CalendarLinkCreated) -> None:
        self.calendar_links[e.link_id] = CalendarLink(e.link_id, e.feed, e.grant_id, e.secret_hash)

    @when.register
    def _(self, e: CalendarLinkRevoked) -> None:
        self.calendar_links.pop(e.link_id, None)


def _locked(until: datetime, now: datetime) -> TooManyAttempts:
    seconds = max(1, int((until - now).total_seconds()) + 1)
    return TooManyAttempts(f"too many wrong passwords: this account is locked until {until:%H:%M:%S} UTC; try again "
                           "then, or reset the password", retry_after=seconds, rule="account-locked")


def _because(meta: EventMeta, reason: str) -> EventMeta:
    return EventMeta(meta.subject, meta.role, meta.correlation_id, reason, meta.business_date)

"""The identity context's command handlers: invite, accept, sign in and out, refresh, grant and withdraw.

Secrets never enter the store: passwords as argon2id hashes, link and refresh secrets as SHA-256 hashes. A link
(invitation, reset) is mailed through a durable outbox: held while its events are saved, released after.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError

from events.base import EventMeta
from services.common.application import CommandResult, DualtrackApplication, retried_when_blind
from services.common.errors import InvalidInput, NotFound, NotSignedIn, TooManyAttempts, VersionConflict
from services.common.identity import Actor, CommandContext, Role
from services.identity.codes import LinksAndCodes, digest
from services.identity.domain.grants import Grant, require_may_grant, scoped_grant
from services.identity.domain.guardian_code import GuardianCode
from services.identity.domain.invitation import Invitation, Login, invitation_id, login_id, normalised_login
from services.identity.domain.person import Person, Session, check_password
from services.identity.erasure import IdentityErasure
from services.identity.people import PeopleQueries
from services.identity.ports import Directory, Letter, Mailbox


@dataclass(frozen=True)
class Invited:
    """Who was invited (a new person, or one who already had an account) and the grant they were given."""

    person_id: UUID
    grant: Grant
    mailed: bool
    result: CommandResult
    link: str | None = None
    """The link mailed (for the console only: the API never shows it, it is the invitee's credential)."""


@dataclass(frozen=True)
class SignedInSession:
    """A session begun (or refreshed): its person, the grant it acts under and the refresh token to keep."""

    person: Person
    session: Session
    refresh_token: str
    grant: Grant


class IdentityApplication(IdentityErasure, PeopleQueries, LinksAndCodes, DualtrackApplication):
    """People, their grants, invitations, passwords and sessions."""

    context: ClassVar[str] = "identity"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "20000"}
    """Every request checks its caller's person: they are kept in memory and brought up to date from the store
    (eventsourcing's fast-forwarding cache) instead of being loaded whole each time."""
    snapshotting_intervals = {Person: 50}
    now: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))
    """The clock for expiries and locks; tests set their own."""
    hasher: ClassVar[PasswordHasher] = PasswordHasher()
    """argon2id with argon2-cffi's recommended parameters."""

    def connect(self, *, directory: Directory, mailbox: Mailbox, link_base: Callable[[], str]) -> None:
        self.directory = directory
        self.mailbox = mailbox
        self.link_base = link_base

    # -- invitations -----------------------------------------------------------------------------
    def invite(self, ctx: CommandContext, *, name: str, email: str, role: Role, phone: str | None = None,
               school_id: str | None = None, enterprise_id: str | None = None,
               student_id: str | None = None) -> Invited:
        """Give someone a role; someone new (or not signed in yet) gets a mailed link to set their password."""
        grant = scoped_grant(uuid4().hex, role, school_id=school_id, enterprise_id=enterprise_id,
                             student_id=student_id)
        self._check_scope_exists(grant)
        school = self.directory.school_of_student(student_id) if student_id else None
        login = normalised_login(email)
        if "@" not in login:
            raise InvalidInput("an invitation goes to an email address", field="email")
        existing = self._person_of_login(login)
        if existing is None:
            require_may_grant(ctx.actor, "", grant, school_of_student=school)
            person = Person.add(name=name.strip(), email=login, phone=normalised_login(phone) if phone else None,
                                meta=ctx.meta())
            claims = [Login.claim(login, str(person.id), ctx.meta())]
            if phone:
                self._check_login_free(normalised_login(phone), field="phone")
                claims.append(Login.claim(normalised_login(phone), str(person.id), ctx.meta()))
        else:
            person, claims = existing, []
            require_may_grant(ctx.actor, str(person.id), grant, school_of_student=school)
        given = person.give(grant, ctx.meta())
        pending: list[Any] = [person, *claims]
        letter = None
        if person.password_hash is None:
            invitation, letter = self._invitation(person, "join", ctx, given)
            pending.append(invitation)
        result = self._record_with_letter(letter, *pending)
        return Invited(person.id, given, letter is not None, result, letter.link if letter else None)

    def add_account(self, ctx: CommandContext, *, name: str, email: str, password: str, phone: str | None = None,
                    person_id: UUID | None = None) -> UUID:
        """Add a person with a password already set, without a link (the demo's people, an operator's first
        admin at a console); no HTTP route leads here. Their roles are given afterwards (`invite`)."""
        login = normalised_login(email)
        self._check_login_free(login, field="email")
        check_password(password, login, phone)
        person = Person.add(name=name, email=login, phone=normalised_login(phone) if phone else None,
                            meta=ctx.meta(), person_id=person_id)
        claims = [Login.claim(login, str(person.id), ctx.meta())]
        if phone:
            self._check_login_free(normalised_login(phone), field="phone")
            claims.append(Login.claim(normalised_login(phone), str(person.id), ctx.meta()))
        person.set_password(self.hasher.hash(password), "console", ctx.meta())
        self.record(person, *claims)
        return person.id

    def has_login(self, login: str) -> bool:
        """Whether someone already signs in with this email address or phone number."""
        return self._person_of_login(normalised_login(login)) is not None

    def request_password_reset(self, ctx: CommandContext, login: str) -> None:
        """Mail a link to set a new password to the person with this login; nothing is said about whether there is
        one (so the answer tells a stranger nothing)."""
        person = self._person_of_login(normalised_login(login))
        if person is None or not person.email:
            return
        invitation, letter = self._invitation(person, "reset", ctx, None)
        self._record_with_letter(letter, invitation)

    def invitation(self, secret: str) -> tuple[Invitation, Person]:
        """The invitation behind a link, still usable, and its person; NotSignedIn otherwise."""
        try:
            invitation: Invitation = self.load(Invitation, invitation_id(digest(secret)))
        except NotFound:
            raise NotSignedIn("this link is not valid: check it was copied whole, or ask for a new one") from None
        invitation.check_usable(self.now())
        return invitation, self.load(Person, UUID(invitation.person_id))

    @retried_when_blind
    def accept_invitation(self, secret: str, *, password: str, correlation_id: str,
                          expected_version: int | None = None) -> CommandResult:
        """Set the password with a link; the link is used up, and any session of the person ends."""
        invitation, person = self.invitation(secret)
        check_password(password, person.email, person.phone)
        meta = _own_meta(person, correlation_id)
        invitation.accept(self.now(), meta)
        person.set_password(self.hasher.hash(password), invitation.purpose, meta)
        return self.record(person, invitation)

    # -- sign-in and sessions --------------------------------------------------------------------
    def sign_in(self, login: str, password: str, *, address: str, client: str, correlation_id: str,
                grant_id: str | None = None) -> SignedInSession:
        """Check the password and begin a session; wrong passwords are counted, and the twentieth in a row locks the
        account for a while (the right password is refused then too)."""
        login = normalised_login(login)
        verified: dict[str, bool] = {}  # a password is checked once (it is slow), however often the count is retried

        def decide() -> SignedInSession:
            person = self._person_of_login(login)
            if person is None or person.password_hash is None:
                self._waste_a_verification(password)
                raise NotSignedIn("wrong login or password")
            meta = _own_meta(person, correlation_id)
            now = self.now()
            if person.locked_at(now):
                refusal: NotSignedIn | TooManyAttempts = person.refuse_while_locked(address, now, meta)
                self.record(person)
                raise refusal
            if person.password_hash not in verified:
                verified[person.password_hash] = self._verifies(person.password_hash, password)
            if not verified[person.password_hash]:
                refusal = person.fail_sign_in(address, now, meta)
                self.record(person)  # a sign-in that raced this one: decided again, so no failure goes uncounted
                raise refusal
            grant = self._chosen_grant(person, grant_id)
            refresh = secrets.token_urlsafe(32)
            session = person.sign_in(client=client, address=address, refresh_hash=digest(refresh), now=now,
                                     meta=meta)
            self.record(person)
            return SignedInSession(person, session, _refresh_token(person, session, refresh), grant)

        return self.retrying(None, decide)

    def refresh(self, refresh_token: str, *, correlation_id: str, grant_id: str | None) -> SignedInSession:
        """Trade a refresh token for a new one (and a new access token); a token used twice ends its session."""
        person_id, session_id, secret = _parse_refresh_token(refresh_token)
        person = self._person(person_id, missing=NotSignedIn("this is not a refresh token we issued"))
        meta = _own_meta(person, correlation_id)
        fresh = secrets.token_urlsafe(32)
        refused = person.refresh(session_id, digest(secret), digest(fresh), self.now(), meta)
        if refused is not None:
            self._record_refusal(person)
            raise refused
        grant = self._chosen_grant(person, grant_id)
        try:
            self.record(person)
        except VersionConflict:
            raise NotSignedIn("this refresh token was being used at the same moment: sign in again") from None
        session = person.sessions[session_id]
        return SignedInSession(person, session, _refresh_token(person, session, fresh), grant)

    @retried_when_blind
    def sign_out(self, ctx: CommandContext, session_id: str, expected_version: int | None = None) -> CommandResult:
        person = self._person(ctx.actor.subject)
        person.sign_out(session_id, ctx.meta())
        return self.record(person)

    @retried_when_blind
    def sign_out_everywhere(self, ctx: CommandContext, expected_version: int | None = None) -> CommandResult:
        person = self._person(ctx.actor.subject)
        person.sign_out_everywhere(ctx.meta())
        return self.record(person)

    def actor_of_session(self, person_id: str, session_id: str, grant_id: str) -> Actor:
        """Who a request with this session and grant acts as: NotSignedIn when the session ended or the grant was
        withdrawn since its token was issued."""
        try:
            person: Person = self.repository.get(UUID(person_id), deepcopy_from_cache=False)  # read, never changed
        except (ValueError, AggregateNotFoundError):
            raise NotSignedIn("no such person: sign in again") from None
        person.live_session(session_id, self.now())
        grant = person.grants.get(grant_id)
        if grant is None:
            raise NotSignedIn("the role this token acts under was withdrawn: sign in again")
        return grant.actor(str(person.id))

    def actor_of_web_session(self, cookie: str) -> tuple[Actor, str]:
        """Who a page request with this session cookie acts as, and the session's id; NotSignedIn when the session
        ended or its grant was withdrawn."""
        parts = cookie.strip().split(".")
        if len(parts) != 4 or not all(parts):
            raise NotSignedIn("this is not a session of ours: sign in again")
        person_hex, session_id, grant_id, secret = parts
        try:
            person = self._person(str(UUID(hex=person_hex)))
        except (ValueError, NotFound):
            raise NotSignedIn("this is not a session of ours: sign in again") from None
        person.web_session(session_id, digest(secret), self.now())
        grant = person.grants.get(grant_id)
        if grant is None:
            raise NotSignedIn("the role this session acts under was withdrawn: sign in again")
        return grant.actor(str(person.id)), session_id

    # -- grants ----------------------------------------------------------------------------------
    @retried_when_blind
    def withdraw_grant(self, ctx: CommandContext, person_id: UUID, grant_id: str,
                       expected_version: int | None = None, reason: str | None = None) -> CommandResult:
        """Withdraw a role grant (whoever may give it), with the reason if given; the person's requests under it are
        refused from the next."""
        person = self.load(Person, person_id, expected_version)
        grant = person.grant(grant_id)
        school = self.directory.school_of_student(grant.student_id) if grant.student_id else None
        require_may_grant(ctx.actor, "", grant, school_of_student=school)
        person.withdraw(grant_id, ctx.meta(reason))
        return self.record(person)

    def get_person(self, person_id: str) -> Person:
        return self._person(person_id)

    # -- helpers ---------------------------------------------------------------------------------
    def _person(self, person_id: str, missing: Exception | None = None) -> Person:
        try:
            return self.load(Person, UUID(person_id))
        except (ValueError, NotFound):
            raise (missing or NotFound(f"no person with id {person_id}", id=person_id)) from None

    def _person_of_login(self, login: str) -> Person | None:
        try:
            entry: Login = self.load(Login, login_id(login))
        except NotFound:
            return None
        return self.load(Person, UUID(entry.person_id))

    def _check_login_free(self, login: str, *, field: str) -> None:
        if self._person_of_login(login) is not None:
            raise InvalidInput(f"{login} is already the login of someone else", field=field)

    def _check_scope_exists(self, grant: Grant) -> None:
        lookups = {"school_id": (grant.school_id, self.directory.school),
                   "enterprise_id": (grant.enterprise_id, self.directory.enterprise),
                   "student_id": (grant.student_id, self.directory.student)}
        for field, (value, lookup) in lookups.items():
            if value and lookup(value) is None:
                raise NotFound(f"no {field.removesuffix('_id')} with id {value}", field=field, id=value)

    def _chosen_grant(self, person: Person, grant_id: str | None) -> Grant:
        if grant_id:
            grant = person.grants.get(grant_id)
            if grant is None:
                raise InvalidInput(f"you hold no grant {grant_id}", field="grant_id")
            return grant
        if not person.grants:
            raise NotSignedIn("this account holds no role any more: ask whoever invited you")
        return next(iter(person.grants.values()))

    def _invitation(self, person: Person, purpose: str, ctx: CommandContext,
                    grant: Grant | None) -> tuple[Invitation, Letter]:
        secret = secrets.token_urlsafe(32)
        invitation = Invitation.issue(digest(secret), person_id=str(person.id), purpose=purpose, now=self.now(),
                                      meta=ctx.meta())
        link = f"{self.link_base().rstrip('/')}/invitations/{secret}"
        what = f"as {grant.role.value}" if grant else ""
        if purpose == "join":
            subject = "You are invited to dualtrack"
            text = (f"Hello {person.name},\n\nyou were invited to dualtrack {what}. Set your password with this link "
                    f"(it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
                    f"Then sign in with {person.email} and that password.\n")
        else:
            subject = "Set a new dualtrack password"
            text = (f"Hello {person.name},\n\nsomeone asked to reset your dualtrack password. If it was you, set a new "
                    f"one with this link (it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
                    f"{link}\n\nIf it was not you, do nothing: your password stays as it is.\n")
        return invitation, Letter(f"invitation:{invitation.id}", person.email or "", subject, text, link)

    def _record_with_letter(self, letter: Letter | None, *pending: Any) -> CommandResult:
        """Save the events; the letter is held in the outbox before and released after, so a crash in between
        leaves a held letter that the sender releases only if the invitation was saved."""
        if letter is None:
            return self.record(*pending)
        self.mailbox.hold(letter)
        try:
            result = self.record(*pending)
        except BaseException:
            self.mailbox.drop(letter.key)
            raise
        self.mailbox.release(letter.key)
        return result

    def _record_refusal(self, person: Person) -> None:
        """A refused sign-in is recorded even when it raced another: the count must not be lost."""
        try:
            self.record(person)
        except VersionConflict:
            pass  # another attempt was recorded at the same moment; this one is refused all the same

    def _verifies(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    _dummy_hash: ClassVar[str | None] = None

    def _waste_a_verification(self, password: str) -> None:
        """As slow as a real check, so the time of a refusal does not tell whether the login exists."""
        if IdentityApplication._dummy_hash is None:
            IdentityApplication._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._verifies(IdentityApplication._dummy_hash, password)

    def confirms_letter(self, key: str) -> bool:
        """Whether the events a held letter belongs to were saved (the outbox asks after a crash): its invitation,
        or its guardian code at that version."""
        kind, _, rest = key.partition(":")
        ident, _, version = rest.partition(":")
        try:
            if kind == "invitation":
                self.load(Invitation, UUID(ident))
                return True
            if kind == "guardian-code":
                return int(self.load(GuardianCode, UUID(ident)).version) >= int(version)
        except (ValueError, NotFound):
            return False
        return False


def _own_meta(person: Person, correlation_id: str) -> EventMeta:
    """The metadata of what a person does to their own account (signing in, setting their password)."""
    return EventMeta(subject=str(person.id), role="self", correlation_id=correlation_id)


def _refresh_token(person: Person, session: Session, secret: str) -> str:
    return f"{person.id.hex}.{session.session_id}.{secret}"


def session_cookie(signed: SignedInSession) -> str:
    """The value of a web session's cookie: whose, which session, which grant, and the session's secret."""
    _, session_id, secret = signed.refresh_token.split(".")
    return f"{signed.person.id.hex}.{session_id}.{signed.grant.grant_id}.{secret}"


def _parse_refresh_token(token: str) -> tuple[str, str, str]:
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise NotSignedIn("this is not a refresh token we issued")
    try:
        person_id = str(UUID(hex=parts[0]))
    except ValueError:
        raise NotSignedIn("this is not a refresh token we issued") from None
    return person_id, parts[1], parts[2]

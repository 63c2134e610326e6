"""Calendar subscription links and guardian codes: secrets that stand for a person (or a guardian) on one thing.

A calendar link reads one feed as its owner's grant; a guardian code confirms one placement as the guardian of the
student. Both are kept as hashes only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from events.base import EventMeta
from services.common.application import CommandResult, retried_when_blind
from services.common.errors import NotFound, NotSignedIn
from services.common.identity import Actor, CommandContext, Role
from services.identity.domain.guardian_code import GuardianCode, guardian_code_id
from services.identity.ports import Letter

if TYPE_CHECKING:
    from services.identity.domain.person import Person


def digest(secret: str) -> str:
    """What is stored of a random secret (a link's, a refresh token's): its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def masked(email: str) -> str:
    """An address shown to someone who may not know it whole: the first letter and the domain."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


class LinksAndCodes:
    """The identity application's calendar links and guardian codes (mixed into IdentityApplication)."""

    now: Callable[[], datetime]
    hasher: ClassVar[Any]
    mailbox: Any
    link_base: Any
    record: Any
    load: Any
    _person: Any
    _record_with_letter: Any
    _verifies: Any

    # -- calendar links --------------------------------------------------------------------------
    @retried_when_blind
    def create_calendar_link(self, ctx: CommandContext, feed: str, *, grant_id: str,
                             expected_version: int | None = None) -> tuple[str, str]:
        """A secret link to one calendar feed, read as the grant the caller acts under, for a calendar app that
        cannot send a bearer token; returns its id and the token to put in its address."""
        person: Person = self._person(ctx.actor.subject)
        secret = secrets.token_urlsafe(24)
        link_id = person.create_calendar_link(feed, grant_id, digest(secret), ctx.meta())
        self.record(person)
        return link_id, f"{person.id.hex}.{secret}"

    @retried_when_blind
    def revoke_calendar_link(self, ctx: CommandContext, link_id: str,
                             expected_version: int | None = None) -> CommandResult:
        person: Person = self._person(ctx.actor.subject)
        person.revoke_calendar_link(link_id, ctx.meta())
        return self.record(person)

    def actor_of_calendar_link(self, token: str) -> tuple[Actor, str]:
        """Who reads the feed behind a calendar link's token, and which feed; NotSignedIn when it is not (or no
        longer) a link, or its grant was withdrawn."""
        refused = NotSignedIn("this calendar link is not valid (revoked?): make a new one")
        person_hex, _, secret = token.partition(".")
        try:
            person = self._person(str(UUID(hex=person_hex)))
        except (ValueError, NotFound):
            raise refused from None
        presented = digest(secret)
        for link in person.calendar_links.values():
            if hmac.compare_digest(link.secret_hash, presented):
                grant = person.grants.get(link.grant_id)
                if grant is None:
                    raise refused
                return grant.actor(str(person.id)), link.feed
        raise refused

    # -- guardian codes --------------------------------------------------------------------------------
    def send_guardian_code(self, ctx: CommandContext, *, student_id: str, placement_id: str, guardian_email: str,
                           guardian_name: str, student_name: str) -> tuple[str, datetime]:
        """Mail a new one-time code to the guardian (the one sent before works no more); returns where it went
        (masked) and until when it works."""
        code = f"{secrets.randbelow(10**8):08d}"
        code_hash = self.hasher.hash(code)
        try:
            record: GuardianCode = self.load(GuardianCode, guardian_code_id(student_id, placement_id))
            record.resend(code_hash, self.now(), ctx.meta())
        except NotFound:
            record = GuardianCode.send(student_id=student_id, placement_id=placement_id, code_hash=code_hash,
                                       now=self.now(), meta=ctx.meta())
        page = f"{self.link_base().rstrip('/')}/students/{student_id}/placements/{placement_id}/guardian-confirmation"
        text = (f"Hello {guardian_name},\n\n{student_name} has a placement that waits for your confirmation as "
                f"their guardian. Your code is:\n\n    {code}\n\nIt works once, until "
                f"{record.expires_at:%Y-%m-%d %H:%M} UTC. Type it on this page to confirm:\n\n{page}\n\n"
                "If you do not know about this placement, do nothing and tell the school.\n")
        letter = Letter(f"guardian-code:{record.id}:{record.version}", guardian_email,
                        "A placement waits for your confirmation", text)
        self._record_with_letter(letter, record)
        return masked(guardian_email), record.expires_at

    def actor_of_guardian_code(self, student_id: str, placement_id: str, code: str,
                               correlation_id: str) -> Actor:
        """The guardian of the student, proven by the code mailed to them; a wrong code is counted (five void it)."""
        try:
            record: GuardianCode = self.load(GuardianCode, guardian_code_id(student_id, placement_id))
        except NotFound:
            raise NotSignedIn("no code was sent for this placement") from None
        record.check_usable(self.now())
        if not self._verifies(record.code_hash, code.strip()):
            refusal = record.refuse(EventMeta(f"guardian-code:{record.id}", "guardian", correlation_id))
            self.record(record)
            raise refusal
        return Actor(subject=f"guardian-code:{record.id}", role=Role.GUARDIAN, student_id=student_id)

    def use_guardian_code(self, student_id: str, placement_id: str, correlation_id: str) -> None:
        record: GuardianCode = self.load(GuardianCode, guardian_code_id(student_id, placement_id))
        record.use(EventMeta(f"guardian-code:{record.id}", "guardian", correlation_id))
        self.record(record)

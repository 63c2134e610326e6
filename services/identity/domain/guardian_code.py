"""Guardian codes: a one-time code, mailed to a minor's enrolled guardian contact, with which the guardian confirms
a placement without an account. Wrong tries are counted (five void the code) and a code lives 48 hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.identity import GuardianCodeRefused, GuardianCodeResent, GuardianCodeSent, GuardianCodeUsed
from services.common.errors import NotSignedIn, RuleViolated, TooManyAttempts

CODE_LIFETIME = timedelta(hours=48)
TRIES_PER_CODE = 5
SENDS_PER_PLACEMENT = 5
_CODES = uuid5(NAMESPACE_URL, "https://dualtrack.example/identity/guardian-codes")


def guardian_code_id(student_id: str, placement_id: str) -> UUID:
    """One code at a time per placement: its record's id is derived from the student and the placement."""
    return uuid5(_CODES, f"{student_id}:{placement_id}")


class GuardianCode(Aggregate):
    """The code of one placement's guardian confirmation (only its argon2id hash is kept)."""

    def __init__(self, *, student_id: str, placement_id: str, code_hash: str, expires_at: datetime,
                 meta: EventMeta) -> None:
        self.student_id = student_id
        self.placement_id = placement_id
        self.code_hash = code_hash
        self.expires_at = expires_at
        self.tries = 0
        self.sends = 1
        self.used = False

    @classmethod
    def send(cls, *, student_id: str, placement_id: str, code_hash: str, now: datetime,
             meta: EventMeta) -> GuardianCode:
        return cls._create(GuardianCodeSent, id=guardian_code_id(student_id, placement_id), student_id=student_id,
                           placement_id=placement_id, code_hash=code_hash, expires_at=now + CODE_LIFETIME, meta=meta)

    def resend(self, code_hash: str, now: datetime, meta: EventMeta) -> None:
        if self.used:
            raise RuleViolated("guardian-code-used", "the guardian already confirmed with a code")
        if self.sends >= SENDS_PER_PLACEMENT:
            raise RuleViolated("too-many-guardian-codes", f"{SENDS_PER_PLACEMENT} codes were sent for this placement "
                               "already: the guardian can be invited to an account instead")
        self.trigger_event(GuardianCodeResent, code_hash=code_hash, expires_at=now + CODE_LIFETIME, meta=meta)

    def check_usable(self, now: datetime) -> None:
        if self.used:
            raise NotSignedIn("this code was already used")
        if self.tries >= TRIES_PER_CODE:
            raise TooManyAttempts("too many wrong codes: ask the school or the student for a new one",
                                  retry_after=3600, rule="guardian-code-void")
        if now >= self.expires_at:
            raise NotSignedIn("this code has expired: ask the school or the student for a new one")

    def refuse(self, meta: EventMeta) -> NotSignedIn:
        self.trigger_event(GuardianCodeRefused, tries=self.tries + 1, meta=meta)
        left = TRIES_PER_CODE - self.tries
        return NotSignedIn(f"wrong code ({left} tries left)" if left else "wrong code: this code works no more")

    def use(self, meta: EventMeta) -> None:
        self.trigger_event(GuardianCodeUsed, meta=meta)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: GuardianCodeResent) -> None:
        self.code_hash = e.code_hash
        self.expires_at = e.expires_at
        self.tries = 0
        self.sends += 1

    @when.register
    def _(self, e: GuardianCodeRefused) -> None:
        self.tries = e.tries

    @when.register
    def _(self, e: GuardianCodeUsed) -> None:
        self.used = True

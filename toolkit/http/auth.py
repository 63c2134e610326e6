"""Bearer tokens: signed JWTs naming a person (or a service account), the role they act as and its scope.

Two kinds, both signed by the deployment's key ring (toolkit/http/keys.py) with the key's id in the header:

- an *access token* of a signed-in session (`sid` and `grant` claims) lives 15 minutes; each request checks that
  its session is still live and its grant still held (signed out, "everywhere", withdrawn: the next request is a
  401);
- a *service token* (`dualtrack token issue`) has no session: it is honoured until it expires, 30 days after it was
  issued at most, whatever its own expiry says.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import uuid4

import jwt

from services.common.identity import SCOPE_OF_ROLE, Actor, Role
from toolkit.http.keys import KeyRing, SigningKey, key_of_secret

ALGORITHM = "HS256"
ISSUER = "dualtrack"
AUDIENCE = "dualtrack-api"
MAX_LIFETIME = timedelta(days=30)
"""No service token is honoured for longer than this after it was issued, whatever its own expiry says."""
ACCESS_LIFETIME = timedelta(minutes=15)
"""An access token of a session lives this long; its refresh token gets the next one."""
LEEWAY_SECONDS = 60


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not ours."""


class SessionAuthority(Protocol):
    """Who answers for credentials (the identity context): whether a session is still live and its grant still
    held, whose a calendar link is, and a guardian's one-time codes."""

    def actor_of_session(self, person_id: str, session_id: str, grant_id: str) -> Actor: ...

    def actor_of_web_session(self, cookie: str) -> tuple[Actor, str]:
        """Who a page request with this session cookie acts as, and the session's id."""
        ...

    def actor_of_calendar_link(self, token: str) -> tuple[Actor, str]:
        """Who reads the feed behind a calendar link, and the feed's path."""
        ...

    def send_guardian_code(self, ctx: Any, *, student_id: str, placement_id: str, guardian_email: str,
                           guardian_name: str, student_name: str) -> tuple[str, datetime]:
        """Mail a one-time code to a student's guardian; where it went (masked) and until when it works."""
        ...

    def actor_of_guardian_code(self, student_id: str, placement_id: str, code: str, correlation_id: str) -> Actor:
        """The student's guardian, proven by the code."""
        ...

    def use_guardian_code(self, student_id: str, placement_id: str, correlation_id: str) -> None: ...


@dataclass(frozen=True)
class Verified:
    """A token whose signature, audience and lifetime were checked: the actor it names, and its session if any."""

    actor: Actor
    session_id: str | None
    grant_id: str | None
    claims: dict[str, Any]


def _signing_key(keys: KeyRing | SigningKey | str) -> SigningKey:
    if isinstance(keys, KeyRing):
        return keys.current()
    return keys if isinstance(keys, SigningKey) else key_of_secret(keys)


def issue_token(
    keys: KeyRing | SigningKey | str,
    *,
    role: Role,
    subject: str,
    school_id: str | None = None,
    enterprise_id: str | None = None,
    student_id: str | None = None,
    ttl: timedelta = timedelta(days=30),
) -> str:
    """A service token for one account; the role's scope must be given (a coordinator's school, ...)."""
    scope = {"school": school_id, "enterprise": enterprise_id, "student": student_id}
    needed = SCOPE_OF_ROLE.get(role)
    if needed and not scope[needed]:
        raise ValueError(f"a {role.value} token needs --{needed}")
    if not subject.strip():
        raise ValueError("a token names its subject: give --subject")
    if not timedelta(0) < ttl <= MAX_LIFETIME:
        raise ValueError(f"a token lives from a moment to {MAX_LIFETIME.days} days, not {ttl}")
    claims: dict[str, Any] = {"role": role.value}
    claims.update({k: v for k, v in scope.items() if v})
    return _sign(_signing_key(keys), subject, ttl, claims)


def issue_access_token(keys: KeyRing, actor: Actor, *, session_id: str, grant_id: str) -> str:
    """The 15-minute access token of a session, acting under one of the person's grants."""
    claims: dict[str, Any] = {"role": actor.role.value, "sid": session_id, "grant": grant_id}
    scope = {"school": actor.school_id, "enterprise": actor.enterprise_id, "student": actor.student_id}
    claims.update({k: v for k, v in scope.items() if v})
    return _sign(keys.current(), actor.subject, ACCESS_LIFETIME, claims)


def _sign(key: SigningKey, subject: str, ttl: timedelta, claims: dict[str, Any]) -> str:
    now = datetime.now(UTC)
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "jti": uuid4().hex, "iat": now, "exp": now + ttl,
            **claims}
    return jwt.encode(body, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})


class _VerifiedTokens:
    """Tokens this process verified, until they expire: a client sends the same access token with every request
    for its 15 minutes, and its signature and claims cannot change in that time. A hit still needs the key that
    signed it to be honoured now (a key retired from the ring ends its tokens at once)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[Verified, str, str, float]] = OrderedDict()

    def get(self, keys: KeyRing | str, token: str) -> Verified | None:
        found = self._tokens.get(token)
        if found is None:
            return None
        verified, kid, secret, expires = found
        key = _key_named(keys, kid)
        if key is None or key.secret != secret or time.time() >= expires:
            with self._lock:
                self._tokens.pop(token, None)
            return None
        return verified

    def keep(self, token: str, verified: Verified, key: SigningKey) -> None:
        with self._lock:
            self._tokens[token] = (verified, key.kid, key.secret, float(verified.claims["exp"]))
            while len(self._tokens) > self._size:
                self._tokens.popitem(last=False)


_verified_tokens = _VerifiedTokens()


def _key_named(keys: KeyRing | str, kid: str) -> SigningKey | None:
    return keys.find(kid) if isinstance(keys, KeyRing) else _only(keys, kid)


def verify_token(keys: KeyRing | str, token: str) -> Verified:
    """Check a token's signature (by its key id), issuer, audience and lifetime; InvalidToken otherwise."""
    verified = _verified_tokens.get(keys, token)
    if verified is not None:
        return verified
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("the token names no key id (kid)")
        key = _key_named(keys, kid)
        if key is None:
            raise InvalidToken("the token is signed with a key this server does not honour")
        claims = jwt.decode(token, key.secret, algorithms=[ALGORITHM], issuer=ISSUER, audience=AUDIENCE,
                            leeway=0, options={"require": ["sub", "exp", "iat", "aud", "jti"]})
        role = Role(claims["role"])
        if not isinstance(claims["sub"], str) or not claims["sub"].strip():
            raise InvalidToken("the token names no subject")
        session_id, grant_id = claims.get("sid"), claims.get("grant")
        cap = ACCESS_LIFETIME if session_id else MAX_LIFETIME
        if claims["exp"] - claims["iat"] > cap.total_seconds() + LEEWAY_SECONDS:
            raise InvalidToken(f"the token lives longer than the {_said(cap)} this server honours")
        if session_id is not None and not (isinstance(session_id, str) and isinstance(grant_id, str)):
            raise InvalidToken("the token's session is malformed")
        actor = Actor(subject=claims["sub"], role=role, school_id=_text(claims.get("school")),
                      enterprise_id=_text(claims.get("enterprise")), student_id=_text(claims.get("student")))
    except InvalidToken:
        raise
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from error
    verified = Verified(actor, session_id, grant_id, claims)
    _verified_tokens.keep(token, verified, key)
    return verified


def actor_from_token(keys: KeyRing | str, token: str) -> Actor:
    """The actor a service token names (no session check: see `verify_token` for session tokens)."""
    return verify_token(keys, token).actor


def _only(secret: KeyRing | str, kid: str) -> SigningKey | None:
    key = key_of_secret(str(secret))
    return key if key.kid == kid else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidToken("the token's scope is malformed")
    return value


def _said(lifetime: timedelta) -> str:
    return f"{lifetime.days} days" if lifetime.days else f"{int(lifetime.total_seconds() // 60)} minutes"

"""Bearer tokens: signed JWTs carrying subject, role and scope (school, enterprise or student)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import jwt

from services.common.identity import Actor, Role

ALGORITHM = "HS256"
ISSUER = "dualtrack"
AUDIENCE = "dualtrack-api"
MAX_LIFETIME = timedelta(days=30)
"""No token is honoured for longer than this after it was issued, whatever its own expiry says."""
SCOPE_OF_ROLE = {Role.COORDINATOR: "school", Role.TEACHER: "school", Role.MENTOR: "enterprise", Role.STUDENT: "student"}


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not ours."""


def issue_token(
    secret: str,
    *,
    role: Role,
    subject: str,
    school_id: str | None = None,
    enterprise_id: str | None = None,
    student_id: str | None = None,
    ttl: timedelta = timedelta(days=30),
) -> str:
    """Mint a token for one person; the role's scope must be given (a coordinator's school, ...)."""
    scope = {"school": school_id, "enterprise": enterprise_id, "student": student_id}
    needed = SCOPE_OF_ROLE.get(role)
    if needed and not scope[needed]:
        raise ValueError(f"a {role.value} token needs --{needed}")
    if not subject.strip():
        raise ValueError("a token names its subject: give --subject")
    if not timedelta(0) < ttl <= MAX_LIFETIME:
        raise ValueError(f"a token lives from a moment to {MAX_LIFETIME.days} days, not {ttl}")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "jti": uuid4().hex, "role": role.value,
                              "iat": now, "exp": now + ttl}
    claims.update({k: v for k, v in scope.items() if v})
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def actor_from_token(secret: str, token: str) -> Actor:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, audience=AUDIENCE,
                            options={"require": ["sub", "exp", "iat", "aud", "jti"]})
        role = Role(claims["role"])
        if not str(claims["sub"]).strip():
            raise InvalidToken("the token names no subject")
        if claims["exp"] - claims["iat"] > MAX_LIFETIME.total_seconds() + 60:
            raise InvalidToken(f"the token lives longer than the {MAX_LIFETIME.days} days this server honours")
    except InvalidToken:
        raise
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from error
    return Actor(
        subject=claims["sub"],
        role=role,
        school_id=claims.get("school"),
        enterprise_id=claims.get("enterprise"),
        student_id=claims.get("student"),
    )

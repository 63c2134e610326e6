"""Per-request access to the deployment, the caller and the command context.

Route handlers reach the composition root only through `Deployment`, a small protocol: the applications by
context name, the read models' views by name, the business day and the deployment's keys. The shell installs
the object that answers it (`dualtrack.bootstrap.Container`) on the Flask app.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, g, request
from werkzeug.exceptions import BadRequest, Unauthorized

from services.common.identity import Actor, CommandContext
from toolkit.http.auth import InvalidToken, actor_from_token

EXTENSION = "dualtrack"
"""The key under which the app factory installs the deployment in `app.extensions`."""


class DeploymentSettings(Protocol):
    @property
    def secret_key(self) -> str: ...

    @property
    def signing_key_file(self) -> Path: ...


class Deployment(Protocol):
    """What a route handler may ask of the composition root."""

    @property
    def settings(self) -> DeploymentSettings: ...

    def app(self, context: str) -> Any:
        """The eventsourcing application of a bounded context ("placements", "training"...)."""
        ...

    def apps(self) -> Mapping[str, Any]:
        """Every context's application, by name."""
        ...

    def view(self, name: str) -> Any:
        """The query side of a read model ("progress", "centres"...), its tables ready."""
        ...

    def chain(self, context: str) -> Any:
        """The hash chain over a context's log."""
        ...

    def today(self) -> date:
        """The business day the deployment's rules take as today."""
        ...

    def idempotency_keys(self) -> Any:
        """The claimed Idempotency-Keys and their kept answers (toolkit.http.idempotency.IdempotencyKeys)."""
        ...


def deployment() -> Deployment:
    return current_app.extensions[EXTENSION]


def correlation_id() -> str:
    if "correlation_id" not in g:
        given = request.headers.get("X-Correlation-ID", "").strip()
        g.correlation_id = given[:100] if given else str(uuid.uuid4())
    return g.correlation_id


def current_actor() -> Actor:
    """The authenticated caller, or 401."""
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send a bearer token: Authorization: Bearer <token>")
        try:
            g.actor = actor_from_token(deployment().settings.secret_key, token.strip())
        except InvalidToken as error:
            raise Unauthorized(f"invalid bearer token: {error}") from None
    return g.actor


def command_context() -> CommandContext:
    return CommandContext(actor=current_actor(), correlation_id=correlation_id())


def expected_version() -> int | None:
    """The version the caller last saw, from If-Match (an ETag we sent, e.g. "3")."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    digits = value.strip().removeprefix("W/").strip('"')
    if not (digits.isascii() and digits.isdigit()):
        raise BadRequest("If-Match must be an aggregate version we sent as ETag, e.g. \"3\"")
    return int(digits)

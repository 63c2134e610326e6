"""Per-request access to the container, the caller and the command context."""

from __future__ import annotations

import uuid

from flask import current_app, g, request
from werkzeug.exceptions import BadRequest, Unauthorized

from dualtrack.bootstrap import Container
from dualtrack.web.auth import InvalidToken, actor_from_token
from services.common.identity import Actor, CommandContext


def container() -> Container:
    return current_app.extensions["dualtrack"]


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
            g.actor = actor_from_token(container().settings.secret_key, token.strip())
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

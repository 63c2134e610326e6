"""Per-request access to the deployment, the caller and the command context.

Route handlers reach the composition root only through `Deployment`, a small protocol: the applications by
context name, the read models' views by name, the business day and the deployment's keys. The shell installs
the object that answers it (`dualtrack.bootstrap.Container`) on the Flask app.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, g, request
from flask.ctx import _AppCtxGlobals
from werkzeug.exceptions import BadRequest, Unauthorized

from services.common.errors import NotSignedIn
from services.common.identity import Actor, CommandContext
from toolkit.http.auth import InvalidToken, SessionAuthority, verify_token
from toolkit.http.keys import KeyRing

log = logging.getLogger("dualtrack.auth")

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

    def keys(self) -> KeyRing:
        """The keys that sign and verify bearer tokens."""
        ...

    def sessions(self) -> SessionAuthority:
        """Who says whether a signed-in session is still live and its grant still held."""
        ...

    def address_throttle(self) -> Any:
        """Failed attempts per network address (toolkit.http.throttle.AddressThrottle)."""
        ...


def this_request() -> Request:
    """The request being answered, itself. Flask's `request` is a proxy that finds the request again on every
    attribute read (about a microsecond each, and the hooks every request passes read dozens): a hook that reads
    several attributes takes the request once."""
    return cast(Request, request._get_current_object())  # type: ignore[attr-defined]


def this_g() -> _AppCtxGlobals:
    """The request's `g`, itself (see this_request)."""
    return cast(_AppCtxGlobals, g._get_current_object())


def this_app() -> Flask:
    """The app answering, itself (see this_request)."""
    return cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]


def deployment() -> Deployment:
    return this_app().extensions[EXTENSION]


def correlation_id() -> str:
    """The request's correlation id: always one the server made (a client cannot make two requests look like one,
    nor pick the id of someone else's); see `client_correlation_id` for the client's own."""
    here = this_g()
    given: str | None = here.get("correlation_id")
    if given is None:
        given = here.correlation_id = str(uuid.uuid4())
    return given


def client_correlation_id() -> str | None:
    """The client's X-Correlation-ID, if it sent one: kept beside the server's (in events and logs), never instead."""
    given = this_request().headers.get("X-Correlation-ID", "").strip()[:100]
    return given if given and given.isprintable() else None


SESSION_COOKIE = "dualtrack_session"
"""The web's session cookie (HttpOnly, SameSite=Lax, Secure outside localhost): pages only, never the API."""

NOT_AUTHENTICATED = "authentication required: send a valid bearer token (Authorization: Bearer <token>)"
"""The one answer (401) to every request whose credentials prove nobody: no token, a malformed, expired, forged or
foreign one, an ended session, a withdrawn grant. Why it was refused is told only to the server's log: a caller
probing tokens learns nothing from the answer."""


def refuse_authentication(reason: str) -> Unauthorized:
    """The 401 of every authentication failure; `reason` goes to the log (with the request's correlation id), once
    a request however often its caller is asked for."""
    if not g.get("authentication_refused"):
        g.authentication_refused = True
        log.info("authentication refused: %s", reason, extra={"correlation_id": correlation_id(),
                                                              "path": request.path})
    return Unauthorized(NOT_AUTHENTICATED)


def current_actor() -> Actor:
    """The authenticated caller, or 401: a bearer token on the API; on a page, the session cookie (or a bearer
    token)."""
    here = this_g()
    known: Actor | None = here.get("actor")
    if known is not None:
        return known
    req = this_request()
    header = req.headers.get("Authorization")
    if header is None and not req.path.startswith("/api/"):
        cookie = req.cookies.get(SESSION_COOKIE)
        if cookie:
            return _actor_of_cookie(cookie)
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise refuse_authentication("no bearer token")
    container = deployment()
    try:
        verified = verify_token(container.keys(), token.strip())
    except InvalidToken as error:
        raise refuse_authentication(f"invalid bearer token: {error}") from None
    actor = verified.actor
    if verified.session_id is not None and verified.grant_id is not None:
        try:  # the session may have ended, or the grant been withdrawn, since the token was issued
            actor = container.sessions().actor_of_session(actor.subject, verified.session_id, verified.grant_id)
        except NotSignedIn as error:
            raise refuse_authentication(f"bearer token of an ended session: {error.message}") from None
    here.actor = actor
    here.session_id = verified.session_id
    here.grant_id = verified.grant_id
    return actor


def sent_from_this_site() -> bool:
    """Whether the request's Origin (or Referer) is this site, or it names none (a browser sends one with every
    form it posts)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    sent_from = urlsplit(origin)
    return not origin or (sent_from.scheme, sent_from.netloc) == (request.scheme, request.host)


def _actor_of_cookie(cookie: str) -> Actor:
    if request.method not in ("GET", "HEAD", "OPTIONS") and not sent_from_this_site():
        raise refuse_authentication("a form sent from another site rides no session")
    try:
        actor, session_id = deployment().sessions().actor_of_web_session(cookie)
    except NotSignedIn as error:
        raise refuse_authentication(f"web session: {error.message}") from None
    g.actor, g.session_id, g.grant_id = actor, session_id, cookie.split(".")[2]
    return actor


def act_as(actor: Actor) -> None:
    """This request acts as `actor`, proven otherwise than by a bearer token (a calendar link's secret)."""
    g.actor = actor
    g.session_id = None
    g.grant_id = None


def current_session_id() -> str | None:
    """The signed-in session of the caller's token (None for a service token)."""
    current_actor()
    return g.get("session_id")


def current_grant_id() -> str | None:
    """The grant the caller's session token acts under (None for a service token)."""
    current_actor()
    return g.get("grant_id")


def command_context() -> CommandContext:
    return CommandContext(actor=current_actor(), correlation_id=correlation_id(),
                          client_correlation_id=client_correlation_id())


def expected_version() -> int | None:
    """The version the caller last saw, from If-Match (an ETag we sent, e.g. "3")."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    digits = value.strip().removeprefix("W/").strip('"')
    if not (digits.isascii() and digits.isdigit()):
        raise BadRequest("If-Match must be an aggregate version we sent as ETag, e.g. \"3\"")
    return int(digits)

"""Roles that read and never write: every command route refuses them before it looks at the request.

Auditors replay history and write nothing. The applications refuse them command by command; this
hook refuses them at the door for every route that is not a read, so an auditor gets 403 whatever the body
(no 422 that would tell them how to shape a write) and a command added later cannot forget the rule.
"""

from __future__ import annotations

from flask import Flask, request

from services.common.errors import NotAllowed
from toolkit.http.context import current_actor

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_writes_by_read_only_roles() -> None:
    """403 forbidden for an auditor on any route that is not a read; everything else goes on as before."""
    if request.method in READ_METHODS or request.url_rule is None:
        return  # reads, and unknown routes or methods (404, 405), answer as they always do
    if not request.headers.get("Authorization"):
        return  # the route answers 401 itself
    actor = current_actor()  # an invalid token: 401 here, as the route would answer
    if not actor.may_write:
        raise NotAllowed(f"{actor.role.value} {actor.subject} reads and writes nothing: "
                         f"{request.method} {request.path} is a command", role=actor.role.value)


def register_read_only_roles(app: Flask) -> None:
    """Install the hook on the app (the app factory does this once)."""
    app.before_request(refuse_writes_by_read_only_roles)

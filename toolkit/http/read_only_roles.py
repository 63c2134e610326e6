"""Roles that read and never write: every command route refuses them before it looks at the request.

Auditors replay history and write nothing. The applications refuse them command by command; this
hook refuses them at the door for every route that is not a read, so an auditor gets 403 whatever the body
(no 422 that would tell them how to shape a write) and a command added later cannot forget the rule.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from flask import Flask, Request

from services.common.errors import NotAllowed
from toolkit.http.context import SESSION_COOKIE, current_actor, this_app, this_request

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
V = TypeVar("V")


def on_own_account(view: V) -> V:
    """Mark a route (a MethodView class or a view function) as one a person uses on their own account, which
    changes no record: signing out, calendar links. Auditors use them too."""
    view.own_account = True  # type: ignore[attr-defined]
    return view


def read_sent_as_form(view: V) -> V:
    """Mark a page's route as a read that is sent as a form (POST, with the session's CSRF token) because it leaves
    a trace — an export taken and recorded as a read, a chain verified and its verdict kept — so that another site
    cannot make a reader's browser do it with a link. It writes no record of the domain: auditors send it too."""
    view.read_sent_as_form = True  # type: ignore[attr-defined]
    return view


def _own_account_route(req: Request) -> bool:
    return _own_account_view(this_app().view_functions.get(req.endpoint or ""))


@cache
def _own_account_view(view: Any) -> bool:
    """Whether a view is one's own account's or a read sent as a form (decided once a view)."""
    view = getattr(view, "view_class", view)
    return bool(getattr(view, "own_account", False) or getattr(view, "read_sent_as_form", False))


def refuse_writes_by_read_only_roles() -> None:
    """403 forbidden for an auditor on any route that is not a read (but their own account's); everything else
    goes on as before."""
    req = this_request()
    if req.method in READ_METHODS or req.url_rule is None or _own_account_route(req):
        return  # reads, and unknown routes or methods (404, 405), answer as they always do
    if not (req.headers.get("Authorization") or req.cookies.get(SESSION_COOKIE)):
        return  # the route answers 401 itself
    actor = current_actor()  # an invalid token: 401 here, as the route would answer
    if not actor.may_write:
        raise NotAllowed(f"{actor.role.value} {actor.subject} reads and writes nothing: "
                         f"{req.method} {req.path} is a command", role=actor.role.value)


def register_read_only_roles(app: Flask) -> None:
    """Install the hook on the app (the app factory does this once)."""
    app.before_request(refuse_writes_by_read_only_roles)

"""Authentication first: every API route the OpenAPI document says needs a token refuses a request without a valid
one (401, the one text of toolkit/http/context.py) before it reads anything of the request, so an anonymous caller
is never told how to shape a body (a 422), nor whether an id exists (a 404).

A route needs a token unless its operation is documented `security: []` (`@blp.doc(security=[])`: signing in, a
mailed link's page, a calendar link's feed, a guardian's code, the published keys); routes outside the API document
(the document itself, its Swagger UI) are public. A route added later needs a token unless it says otherwise.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask

from toolkit.http.context import current_actor, this_app, this_request


def needs_a_token() -> bool:
    """Whether the request's route is an API operation that is not documented public."""
    req = this_request()
    if req.url_rule is None or req.method == "OPTIONS" or not req.path.startswith("/api/"):
        return False
    return _operation_needs_a_token(this_app().view_functions.get(req.endpoint or ""), req.method)


@cache
def _operation_needs_a_token(view: Any, method: str) -> bool:
    """Decided once a view and method (as the query parameters a route takes are: toolkit/http/query_parameters.py)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, "get" if method == "HEAD" else method.lower(), None)
    documented = getattr(view, "_apidoc", None)
    if not isinstance(documented, dict):
        return False  # not an operation of the API document (the document, its Swagger UI and their files)
    return documented.get("manual_doc", {}).get("security") != []


def authenticate_first() -> None:
    if needs_a_token():
        current_actor()  # 401 unless the credentials prove someone


def register_authentication_door(app: Flask) -> None:
    """Install the door (the app factory does this once, before any other hook reads the request)."""
    app.before_request(authenticate_first)

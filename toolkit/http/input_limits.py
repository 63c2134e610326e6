"""Bounded input before any route runs: what no request schema sees is checked here, for every route there is and
every route added later (the request schemas bound their own fields: contracts/http/common.py).

- **Path parameters** (`{major}`, `{code}`, `{mentor_id}`...), the API's **query values** and the text headers we
  read (`X-Correlation-ID`; `Idempotency-Key` is checked by toolkit/http/idempotency.py) are identifiers: no control
  character (NUL, CR, LF...), no bidirectional override, isolate or mark, no unpaired surrogate, bounded length.
  A page's query values are only bounded (a page shows everything for a filter it cannot read).
  A path parameter that is not one names nothing: 404 `not-found` naming it (`fields.path.<name>`), as a path
  with a malformed uuid is; a query value or header is refused like a body field, 422 `invalid-input` naming it
  (`fields.query.<name>`, `fields.headers.<name>`). On a page, the error page says which.
- **JSON bodies** nest at most JSON_MAX_DEPTH levels, checked on the raw bytes before anything parses them: a
  400 `json-too-deep`, never a RecursionError.
- **Forms** of the web's pages: no field longer than FORM_FIELD_MAX characters (an error page naming the field).
  Under it, each page checks its fields against the API's request schemas (or their bounds) and shows a refusal
  next to the field with what was typed; and whatever reaches a command, the application refuses a text over its
  limit with InvalidInput naming the field before storing anything (services/common/input_limits.py
  `text_over_limit`, called by DualtrackApplication.save).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext

from services.common.errors import InvalidInput, NotFound
from services.common.input_limits import IDENTIFIER_MAX, JSON_MAX_DEPTH, json_too_deep, unsafe_identifier
from toolkit.http.context import this_request
from toolkit.http.errors import error_response

QUERY_VALUE_MAX = 4000
"""Characters a query value may have (a wait_for token is the longest)."""
CORRELATION_ID_MAX = 100
FORM_FIELD_MAX = 10_000
"""Characters a field of a page's form may have: well over the longest text any command takes (4,000, a
description); a page checks its own fields' bounds below it and shows a refusal next to the field."""
TEXT_HEADERS = {"X-Correlation-ID": CORRELATION_ID_MAX}


def refuse_unbounded_input() -> Any:
    """The before-request check (first of all): an answer refusing the request, or None to go on."""
    req = this_request()
    for name, value in (req.view_args or {}).items():
        why = unsafe_identifier(value, IDENTIFIER_MAX) if isinstance(value, str) else None
        if why is not None:
            return _refused("path", name, f"the path parameter {name} {_as_sentence(why)}", why, gettext(
                "This address names nothing: its part %(name)s holds characters no name has, or is too long.",
                name=name), 404)
    for name, value in req.args.items(multi=True):
        why = unsafe_identifier(name, 100) or unsafe_identifier(value, QUERY_VALUE_MAX)
        if why is not None and (_api() or len(value) > QUERY_VALUE_MAX):  # a page ignores a filter it cannot read
            shown = name if unsafe_identifier(name, 100) is None else "?"
            return _refused("query", shown, f"the query parameter {shown} {_as_sentence(why)}", why, gettext(
                "The address is too long: %(name)s takes at most %(most)s characters.", name=shown,
                most=format(QUERY_VALUE_MAX, ",")))
    for name, longest in TEXT_HEADERS.items():
        given = req.headers.get(name)
        why = unsafe_identifier(given, longest) if given is not None else None
        if why is not None:
            return _refused("headers", name, f"the {name} header {_as_sentence(why)}", why, gettext(
                "The %(name)s header this browser sent holds characters no name has, or is too long.", name=name))
    if req.is_json and req.content_length != 0 and json_too_deep(req.get_data(cache=True)):
        if not _api():
            raise InvalidInput(gettext("What was sent nests deeper than %(most)s levels.", most=JSON_MAX_DEPTH))
        return error_response(400, "json-too-deep", f"the JSON body nests arrays and objects deeper than "
                              f"{JSON_MAX_DEPTH} levels", fields={"json": {"_body": [
                                  f"at most {JSON_MAX_DEPTH} levels of nesting"]}})
    if not _api() and req.method == "POST" and req.mimetype in _FORMS:
        for name, value in req.form.items(multi=True):
            if len(value) > FORM_FIELD_MAX:
                words = gettext("The field %(name)s is %(length)s characters long; no field takes more than "
                                "%(most)s. Nothing was stored.", name=name, length=format(len(value), ","),
                                most=format(FORM_FIELD_MAX, ","))
                raise InvalidInput(words, field=name)
    return None


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _api() -> bool:
    return this_request().path.startswith("/api/")


def _as_sentence(why: str) -> str:
    return f"takes {why}" if why.startswith("at most") else why


def _refused(location: str, name: str, message: str, why: str, in_words: str, status: int = 422) -> Any:
    """The API's answer (the one error shape naming the parameter), or on a page its refusal in the page's language
    (the shell's error page)."""
    if not _api():
        raise (NotFound if status == 404 else InvalidInput)(in_words, field=name)
    code = "not-found" if status == 404 else "invalid-input"
    return error_response(status, code, message, fields={location: {name: [why]}})


def register_input_limits(app: Flask) -> None:
    """Install the check before every other before-request hook (no key claimed, no door opened for bad input)."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unbounded_input)

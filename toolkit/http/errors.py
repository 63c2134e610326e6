"""One error format for the whole API, and the one mapping of domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from services.common.errors import (
    BatchInvalid,
    DomainError,
    EventTooLarge,
    InvalidInput,
    NotAllowed,
    NotFound,
    NotSignedIn,
    ReadModelBehind,
    RuleViolated,
    TooManyAttempts,
    VersionConflict,
)
from toolkit.http.context import correlation_id, current_actor
from toolkit.http.faults import LAST_FAULT, RETRY_AFTER_SECONDS, storage_fault_of
from toolkit.http.sight import NAMED_OBJECTS, unseen_object

log = logging.getLogger(__name__)

STATUS_OF = {BatchInvalid: 422, EventTooLarge: 422, InvalidInput: 422, ReadModelBehind: 503, NotFound: 404,
             RuleViolated: 409, VersionConflict: 409, NotAllowed: 403, NotSignedIn: 401, TooManyAttempts: 429}
CODE_OF = {EventTooLarge: "event-too-large", InvalidInput: "invalid-input", ReadModelBehind: "read-model-behind",
           NotFound: "not-found", VersionConflict: "version-conflict", NotAllowed: "forbidden",
           NotSignedIn: "not-signed-in", TooManyAttempts: "too-many-attempts"}


def error_response(status: int, code: str, message: str, **extra: Any) -> Any:
    body = {"status": status, "code": code, "message": message, "correlation_id": correlation_id()}
    body.update({k: v for k, v in extra.items() if v})
    return jsonify({"error": body}), status


PageErrors = tuple[Callable[[], bool], Callable[[int, str], Any]]
"""For the web's pages: whether this request is a page's, and how a page shows an error (status, message)."""


RefusalScope = Callable[[RuleViolated], dict[str, Any]]
"""What the caller may see of a refusal's details: given the error (in the request, so it may ask who the caller
is), the details its answer carries instead."""
REFUSAL_SCOPES = "dualtrack.refusal_scopes"


def scope_refusal(app: Flask, rule: str, scope: RefusalScope) -> None:
    """A rule's refusals carry only the details `scope` leaves the caller (another school's placements, say)."""
    app.extensions.setdefault(REFUSAL_SCOPES, {})[rule] = scope


def refusal_shown(error: DomainError) -> DomainError:
    """The refusal as this caller may see it: the one refusal for an object named in the path they may not see
    (toolkit/http/sight.py `unseen_object`) instead of a 404 or 403 that would tell whether it exists; a rule's
    details scoped (`scope_refusal`)."""
    if isinstance(error, NotFound | NotAllowed):
        return _unseen_object() or error
    scope = current_app.extensions.get(REFUSAL_SCOPES, {}).get(getattr(error, "rule", None))
    if isinstance(error, RuleViolated) and scope is not None:
        scoped = RuleViolated(error.rule, error.message, **scope(error))
        scoped.__cause__ = error
        return scoped
    return error


def _unseen_object() -> NotAllowed | None:
    if not NAMED_OBJECTS & set(request.view_args or ()):
        return None
    try:
        actor = current_actor()
    except Exception:  # no caller (a public route): nothing to compare their sight with
        return None
    return unseen_object(actor, request.view_args or {})


def register_error_handlers(app: Flask, pages: PageErrors | None = None) -> None:
    """The one mapping of errors to answers: JSON for the API; for a page (when `pages` is given), a page."""

    def on_a_page(status: int, message: str) -> Any | None:
        if pages is not None and pages[0]():
            try:
                return pages[1](status, message)
            except Exception:  # the error page itself failed: the plain answer below still goes out
                log.exception("the error page could not be shown")
        return None

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        error = refusal_shown(error)
        kind = next((k for k in type(error).__mro__
                     if issubclass(k, DomainError) and (k in STATUS_OF or k in CODE_OF)), DomainError)
        status = STATUS_OF.get(kind, 400)
        page = on_a_page(status, error.message)
        if page is not None:
            return page
        code = error.rule if isinstance(error, RuleViolated) else CODE_OF.get(kind, "bad-request")
        field = error.details.get("field") if isinstance(error, InvalidInput) else None
        fields = {"json": {str(field): [error.message]}} if field else None  # the shape of schema errors too
        response, status = error_response(status, code, error.message, details=error.details, fields=fields)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        elif isinstance(error, NotSignedIn):
            response.headers["WWW-Authenticate"] = 'Bearer realm="dualtrack"'
        return response, status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code in (403, 404):
            unseen = _unseen_object()
            if unseen is not None:
                return domain_error(unseen)
        status = error.code or 500
        page = on_a_page(status, error.description or error.name)
        if page is not None:
            return page
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")  # webargs/marshmallow validation errors, by location
        if messages and "json" in messages and request.mimetype != "application/json" and request.get_data():
            sent = request.content_type or "no Content-Type"
            return error_response(415, "unsupported-media-type", f"the body was sent as {sent}; send it as JSON "
                                  "with Content-Type: application/json",
                                  fields={"headers": {"Content-Type": ["must be application/json"]}})
        if messages:
            return error_response(status, "invalid-input", "the request has invalid fields", fields=messages)
        code = (error.name or "error").lower().replace(" ", "-")
        response, status = error_response(status, code, error.description or error.name)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="dualtrack"'
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        cause = storage_fault_of(error)
        if cause is not None:  # nothing was stored: the request may be sent again once the storage is back
            LAST_FAULT.record(cause)
            log.error("storage fault: %s", cause)
            text = f"{cause}; nothing was stored, try again later"
            page = on_a_page(503, text)
            if page is not None:
                return page
            response, status = error_response(503, "storage-unavailable", text)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response, status
        log.exception("unhandled error")
        message = "something went wrong on our side; it was logged"
        return on_a_page(500, message) or error_response(500, "internal-error", message)

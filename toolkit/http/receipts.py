"""What every command route answers, and the errors every command route documents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import ApiError
from services.common.application import CommandResult
from toolkit.http.context import command_context, deployment, expected_version
from toolkit.http.freshness import signed_token

COMMAND_ERRORS = {401: "no or invalid token", 403: "role or scope does not allow it", 404: "unknown id",
                  409: "a rule refuses it, or the version changed"}


def errors_documented(blp: Blueprint, fn: Any, errors: Mapping[int, str]) -> Any:
    """The route `fn` with these error answers (status: description, in our one error shape) in its OpenAPI
    documentation. flask-smorest's `alt_response` documents an answer and wraps the route in a function that only
    calls it, one a status; the route keeps the documentation and leaves the wrappers out of every request."""
    documented = fn
    for status, description in errors.items():
        documented = blp.alt_response(status, schema=ApiError, description=description)(documented)
    fn._apidoc = documented._apidoc
    return fn


def command_errors(blp: Blueprint) -> Callable[[Any], Any]:
    """Document the error answers a command route can give."""
    return lambda fn: errors_documented(blp, fn, COMMAND_ERRORS)


def accepted(result: CommandResult, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The receipt: aggregate, new version (also as ETag), log position, and the token to read it back."""
    body: dict[str, Any] = {"id": result.id, "version": result.version, "position": result.position,
                            "wait_token": signed_token(result.token)}
    for extra in ("placement_id", "entry_id"):
        if getattr(result, extra, None):
            body[extra] = getattr(result, extra)
    return body, status, {"ETag": f'"{result.version}"'}


def student_item_command(blp: Blueprint, *, context: str, collection: str, item: str, path: str, handler_name: str,
                         request_schema: Any, response_schema: Any, summary: str) -> None:
    """One POST route for one command on an item of a student's record (a placement, a practice entry):
    `/students/{student_id}/{collection}/{item_id}/{path}`; the request body becomes the handler's keyword
    arguments, If-Match its expected version."""

    def post(self: Any, body: dict[str, Any], student_id: UUID, **ids: UUID) -> Any:
        handler = getattr(deployment().app(context), handler_name)
        return accepted(handler(command_context(), student_id, str(ids[item]), expected_version=expected_version(),
                                **body))

    post.__doc__ = summary
    name = "".join(part.title() for part in (context, *handler_name.split("_")))
    view = type(name, (MethodView,), {
        "post": command_errors(blp)(blp.response(200, response_schema)(blp.arguments(request_schema)(post))),
    })
    blp.route(f"/students/<uuid:student_id>/{collection}/<uuid:{item}>/{path}")(view)

"""What every command route answers, and the errors every command route documents."""

from __future__ import annotations

from typing import Any, Callable

from flask_smorest import Blueprint

from contracts.http.common import ApiError
from dualtrack.web.freshness import signed_token
from services.common.application import CommandResult

COMMAND_ERRORS = {401: "no or invalid token", 403: "role or scope does not allow it", 404: "unknown id",
                  409: "a rule refuses it, or the version changed"}


def command_errors(blp: Blueprint) -> Callable[[Any], Any]:
    """Document the error answers a command route can give."""

    def decorate(fn: Any) -> Any:
        for status, description in COMMAND_ERRORS.items():
            fn = blp.alt_response(status, schema=ApiError, description=description)(fn)
        return fn

    return decorate


def accepted(result: CommandResult, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The receipt: aggregate, new version (also as ETag), log position, and the token to read it back."""
    body: dict[str, Any] = {"id": result.id, "version": result.version, "position": result.position,
                            "wait_token": signed_token(result.token)}
    for extra in ("placement_id", "entry_id"):
        if getattr(result, extra, None):
            body[extra] = getattr(result, extra)
    return body, status, {"ETag": f'"{result.version}"'}

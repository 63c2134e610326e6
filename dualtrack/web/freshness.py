"""Queries that can wait until their read model shows the caller's own write."""

from __future__ import annotations

from typing import Any, Protocol

from flask_smorest import abort

from dualtrack.web.context import current_actor
from services.common.errors import ReadModelBehind
from services.common.freshness import Written, parse_token


class WaitableView(Protocol):
    projection: str
    contexts: tuple[str, ...]

    def wait_for(self, written: list[Written], timeout: float) -> bool: ...


def await_read_model(view: WaitableView, query: dict[str, Any]) -> None:
    """Wait until the view has applied the write named by `wait_for`, if the query names one (callers with a
    valid token only: nobody else gets to hold a worker)."""
    current_actor()
    token = query.get("wait_for")
    if not token:
        return
    try:
        written = parse_token(token)
    except ValueError as error:
        abort(422, messages={"query": {"wait_for": [str(error)]}})
    foreign = sorted({w.context for w in written} - set(view.contexts))
    if foreign:
        abort(422, messages={"query": {"wait_for": [
            f"the {view.projection} read model does not follow {foreign}; it follows {list(view.contexts)}"]}})
    timeout = query.get("wait_timeout", 5.0)
    if not view.wait_for(written, timeout):
        raise ReadModelBehind(f"the {view.projection} read model has not applied {token} after {timeout:g} s; "
                              "retry, or ask without wait_for to see what it shows now", waited_seconds=timeout)

"""Queries that can wait until their read model shows the caller's own write.

The tokens commands answer are signed with the deployment's secret: a query waits only for writes this
deployment reported to someone, and nobody can probe other records' versions by making up tokens.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any, Protocol

from flask_smorest import abort

from services.common.errors import ReadModelBehind
from services.common.freshness import Written, parse_token
from toolkit.http.context import current_actor, deployment


class WaitableView(Protocol):
    # Read-only: a view names its projection and contexts (fixed per class, e.g. a tuple of four contexts).
    @property
    def projection(self) -> str: ...

    @property
    def contexts(self) -> tuple[str, ...]: ...

    def wait_for(self, written: list[Written], timeout: float) -> bool: ...


def signed_token(token: str) -> str:
    """A command's token as the API hands it out: every item followed by its signature."""
    return ",".join(f"{item}~{_mac(item)}" for item in token.split(",") if item)


def _verified(token: str) -> str:
    items = []
    for part in token.split(","):
        item, _, mac = part.strip().rpartition("~")
        # bytes, not text: compare_digest refuses text with non-ASCII characters, and anyone can send some
        if not item or not hmac.compare_digest(mac.encode(), _mac(item).encode()):
            raise ValueError("not a wait_token this deployment gave out (copy it whole from a command's answer)")
        items.append(item)
    return ",".join(items)


def _mac(item: str) -> str:
    mac = _keyed(deployment().settings.secret_key).copy()
    mac.update(item.encode())
    return mac.hexdigest()[:20]


@functools.lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    """An HMAC already keyed with the deployment's secret, copied for each item (keying it hashes the key twice)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def await_read_model(view: WaitableView, query: dict[str, Any]) -> None:
    """Wait until the view has applied the write named by `wait_for`, if the query names one (callers with a
    valid token only: nobody else gets to hold a worker)."""
    current_actor()
    token = query.get("wait_for")
    if not token:
        return
    try:
        written = parse_token(_verified(token))
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

"""What the service tests share: a second process on the same event store, and a write slipped in meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from tests.service.placement_world import TODAY


@pytest.fixture
def elsewhere(container: Container) -> Iterator[Container]:
    """A second process's applications on the same event store, on the same clock."""
    other = Container(container.settings)
    for app in (other.placements, other.schedules, other.training):
        app.today = lambda: TODAY  # type: ignore[method-assign]
    yield other
    other.close()


def meanwhile(app: Any, monkeypatch: pytest.MonkeyPatch, write: Callable[[], Any]) -> list[int]:
    """Have `write` happen (elsewhere) after `app`'s next command decided, just before it saves; count the saves."""
    real = app.record
    saves: list[int] = []

    def record(aggregate: Any, *others: Any) -> Any:
        if not saves:
            write()
        saves.append(aggregate.version)
        return real(aggregate, *others)

    monkeypatch.setattr(app, "record", record)
    return saves

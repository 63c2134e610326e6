"""A catch-up (a rebuild, a verification, an audit replay) tells its source which partitions it needs nothing more
from: one with nothing to read from the start, the others as they reach their ends. A Kafka consumer then stops
asking the broker for them, so an empty partition no longer holds back the next records of the others."""

from __future__ import annotations

from typing import Any

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import CommandContext
from tests.projections.test_centres_projection import seed

pytestmark = pytest.mark.projection


class Recorded:
    """The projector's source, with the calls it was given written down in order."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.calls: list[tuple[str, Any]] = []

    def finished(self, partitions: Any) -> None:
        self.calls.append(("finished", sorted(partitions)))
        self.source.finished(partitions)

    def poll(self, max_records: int, timeout: float) -> Any:
        events = self.source.poll(max_records, timeout)
        self.calls.append(("poll", len(events)))
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


def test_given_a_context_with_no_events_when_caught_up_then_its_partition_is_finished_before_the_first_poll(
        container: Container, admin: CommandContext) -> None:
    seed(container, admin)  # placements only: training and schedules have recorded nothing
    projector = container.projector("centres", embedded=True)
    recorded = Recorded(projector.source)
    projector.source = recorded
    projector.catch_up()
    topics = {name: container.settings.topic(name) + ":store" for name in ("placements", "training", "schedules")}
    assert recorded.calls[0] == ("finished", sorted([(topics["training"], 0), (topics["schedules"], 0)]))
    assert recorded.calls[-1] == ("finished", [(topics["placements"], 0)])
    assert [kind for kind, _ in recorded.calls[1:-1]] == ["poll"] * (len(recorded.calls) - 2)
    assert sum(n for kind, n in recorded.calls if kind == "poll") == 7  # the seven events seed() recorded


def test_given_everything_already_applied_when_caught_up_again_then_nothing_is_polled(
        container: Container, admin: CommandContext) -> None:
    seed(container, admin)
    container.projector("centres", embedded=True).catch_up()
    again = container.projector("centres", embedded=True)
    recorded = Recorded(again.source)
    again.source = recorded
    again.catch_up()
    assert [kind for kind, _ in recorded.calls] == ["finished"]
    assert len(recorded.calls[0][1]) == 3

"""A consumer group member whose rebalance never settles joins again as a new member, and an idle member does not
spin while the coordinator cannot be reached. A fake consumer stands in for kafka-python here; the real broker's
side is tests/integration/test_projectors_share_partitions.py."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import TopicPartition
from kafka.structs import ConsumerGroupMetadata, MemberState

from dualtrack.messaging import sources
from dualtrack.messaging.sources import GroupKafkaSource

TOPICS = ["t.placements"]


class StuckConsumer:
    """A member that answers nothing and whose rebalance stays where `state` says."""

    made: list[StuckConsumer] = []

    def __init__(self, state: str) -> None:
        self.state = state
        self.closed = False
        self.held: set[TopicPartition] = set()
        self.listener: Any = None
        StuckConsumer.made.append(self)

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        return {}

    def group_metadata(self) -> ConsumerGroupMetadata:
        return ConsumerGroupMetadata(group_id="g", state=self.state)

    def assignment(self) -> set[TopicPartition]:
        return set(self.held)

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sources.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(sources.time, "sleep", clock.sleep)
    StuckConsumer.made.clear()
    return clock


def member(monkeypatch: pytest.MonkeyPatch, states: list[str]) -> GroupKafkaSource:
    """A source whose consumers (the first, then each one made after a stall) are in these states."""
    pending = list(states)
    monkeypatch.setattr(GroupKafkaSource, "_new_consumer", lambda self: StuckConsumer(pending.pop(0)))
    return GroupKafkaSource("127.0.0.1:1", TOPICS, group_id="g", stalled_after=30)


def test_given_a_rebalance_that_never_settles_when_thirty_seconds_pass_then_the_member_leaves_and_joins_again(
        monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    source = member(monkeypatch, [MemberState.REBALANCING, MemberState.STABLE])
    first = StuckConsumer.made[0]
    first.held = {TopicPartition("t.placements", 1)}
    while clock.now < 1029:
        source.poll(100, 0.5)
    assert len(StuckConsumer.made) == 1, "not before thirty seconds"
    while clock.now < 1032:
        source.poll(100, 0.5)
    assert len(StuckConsumer.made) == 2 and first.closed, "the stalled member left and a new one joined"
    assert StuckConsumer.made[1].listener is not None, "the new member subscribed with the same listener"
    assert source.changes() == ([], [("t.placements", 1)]), "what the old member held is given up"
    while clock.now < 1100:
        source.poll(100, 0.5)
    assert len(StuckConsumer.made) == 2, "a settled member stays"


def test_given_a_settled_member_holding_nothing_then_it_is_left_alone(
        monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    source = member(monkeypatch, [MemberState.STABLE])
    while clock.now < 1200:
        source.poll(100, 0.5)
    assert len(StuckConsumer.made) == 1 and not StuckConsumer.made[0].closed


def test_given_a_coordinator_that_answers_nothing_when_polled_then_the_member_waits_out_the_timeout(
        monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    source = member(monkeypatch, [MemberState.UNJOINED])
    assert source.poll(100, 0.2) == []
    assert clock.slept == [pytest.approx(0.2)], "kafka-python returned at once; the member did not spin"

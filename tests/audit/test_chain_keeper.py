"""Keeping the chains up to date: a checkpoint every N new events or every T seconds (a clock the test turns), never
one for nothing new; two writers of one chain never chain a position twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from services.audit.chain import Keeper
from services.common.identity import CommandContext
from services.common.signing import load_or_create_signing_key
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chains(seeded: Seeded) -> Iterator[dict[str, Any]]:
    opened = {c: seeded.container.chain(c) for c in seeded.container.apps()}
    yield opened
    for chain in opened.values():
        chain.close()


def positions_signed(chain: Any) -> list[int]:
    return [cp.position for cp in chain.checkpoints()]


def test_given_a_backlog_when_the_keeper_ticks_then_it_checkpoints_every_n_events_and_leaves_the_rest_for_later(
        seeded: Seeded, chains: dict[str, Any]) -> None:
    key = load_or_create_signing_key(seeded.container.settings.signing_key_file)
    clock = Clock()
    keeper = Keeper(chains, key, checkpoint_events=50, checkpoint_seconds=60, clock=clock)

    made = keeper.tick()

    expected = []
    for context, chain in chains.items():
        assert chain.head()[0] == seeded.container.app(context).max_position(), "everything is chained"
        rows = [r[0] for r in chain.rows()]
        every_50th = rows[49::50]  # the events after the last 50th wait for the interval (or the next 50)
        assert positions_signed(chain) == every_50th, context
        expected += [(context, position) for position in every_50th]
    assert len(positions_signed(chains["placements"])) >= 2
    assert [(cp.context, cp.position) for cp in made] == expected


def test_given_unsigned_events_when_the_interval_passes_then_each_context_is_checkpointed_once(
        seeded: Seeded, chains: dict[str, Any]) -> None:
    key = load_or_create_signing_key(seeded.container.settings.signing_key_file)
    clock = Clock()
    keeper = Keeper(chains, key, checkpoint_events=1000, checkpoint_seconds=60, clock=clock)
    keeper.tick()
    clock.now += 59
    assert keeper.tick() == []

    clock.now += 1
    made = keeper.tick()

    assert {cp.context: cp.position for cp in made} == {
        c: seeded.container.app(c).max_position() for c in chains if seeded.container.app(c).max_position()}
    clock.now += 600
    assert keeper.tick() == [], "nothing new, no checkpoint"
    again = keeper.checkpoint_now()
    assert all(again[c] is None or positions_signed(chains[c]) == [again[c].position] for c in chains)


def test_given_two_writers_extending_one_chain_at_once_when_verified_then_every_position_is_chained_once(
        seeded: Seeded) -> None:
    container = seeded.container
    container.placements.register_enterprise(CommandContext.for_system("x"), name="One More", registration_number="1")
    writers = [container.chain("placements") for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def extend(chain: Any) -> None:
        try:
            start.wait()
            for _ in range(20):
                chain.extend(limit=7)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=extend, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        key = load_or_create_signing_key(container.settings.signing_key_file)
        writers[0].checkpoint(key)
        report = writers[1].verify(key.public_key())
        assert report.ok, report.as_dict()
        assert report.chained_to == container.placements.max_position()
    finally:
        for w in writers:
            w.close()

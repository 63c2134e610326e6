"""Tamper evidence on SQLite and PostgreSQL: after the chain is extended and checkpointed, rows of the event table
(and of the chain's own tables) are changed directly with SQL, and `verify` names the first bad position and what
happened there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.audit.chain import (
    CHAIN_ROW_EDITED,
    CHAIN_ROW_MISSING,
    CHECKPOINT_EDITED,
    EDITED,
    INSERTED,
    REMOVED,
    REWRITTEN,
    SWAPPED,
    TRUNCATED,
)
from services.common.identity import CommandContext
from services.common.signing import load_or_create_signing_key
from tests.audit.tampering import RawStore
from tests.support.demo import Seeded

pytestmark = pytest.mark.stored

CONTEXT = "placements"
K, J = 40, 60
"""Positions in the middle of the demo's placements log (over a hundred events)."""


class World:
    """The demo world with the placements chain extended and checkpointed at its end."""

    def __init__(self, seeded: Seeded) -> None:
        self.container = container = seeded.container
        self.ids = seeded.ids
        self.key = load_or_create_signing_key(container.settings.signing_key_file)
        self.chain = container.chain(CONTEXT)
        self.raw = RawStore(container, CONTEXT)

    def chain_and_checkpoint(self) -> int:
        self.chain.extend()
        return self.chain.checkpoint(self.key).position

    def verify(self) -> Any:
        return self.chain.verify(self.key.public_key())

    def first_bad(self) -> tuple[int, str, int | None]:
        report = self.verify()
        assert not report.ok, report.as_dict()
        first = report.first
        return first.position, first.kind, first.other

    def close(self) -> None:
        self.raw.close()
        self.chain.close()


@pytest.fixture
def world(seeded: Seeded) -> Iterator[World]:
    w = World(seeded)
    yield w
    w.close()


def test_given_an_untouched_store_when_verified_then_every_context_is_ok_up_to_its_checkpoint(world: World) -> None:
    last = world.chain_and_checkpoint()
    for context in world.container.apps():
        chain = world.container.chain(context)
        try:
            chain.extend()
            chain.checkpoint(world.key)
            report = chain.verify(world.key.public_key())
        finally:
            chain.close()
        assert report.ok, report.as_dict()
        assert report.first is None
        assert report.chained_to == report.events == world.container.app(context).max_position()
    assert world.verify().as_dict()["last_checkpoint"]["position"] == last


def test_given_events_recorded_after_the_last_extend_when_verified_then_they_are_reported_not_yet_chained(
        world: World) -> None:
    last = world.chain_and_checkpoint()
    admin = CommandContext.for_system("auditor-test")
    world.container.placements.register_enterprise(admin, name="Late Enterprise", registration_number="LATE-1")

    report = world.verify()

    assert report.ok, report.as_dict()
    assert report.chained_to == last
    assert report.not_yet_chained == 1


def test_given_a_payload_edited_at_k_when_verified_then_it_is_named_edited_at_k(world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.edit_state(K)

    assert world.first_bad() == (K, EDITED, None)


def test_given_the_event_at_k_deleted_when_verified_then_it_is_named_removed_at_k(world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.delete(K)

    assert world.first_bad() == (K, REMOVED, None)


def test_given_the_event_at_k_deleted_and_the_rest_renumbered_when_verified_then_it_is_named_removed_at_k(
        world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.delete(K)
    world.raw.shift(K + 1, -1)

    assert world.first_bad() == (K, REMOVED, None)


def test_given_the_states_and_topics_of_two_rows_swapped_when_verified_then_both_positions_are_named(
        world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.swap_contents(K, J)

    assert world.first_bad() == (K, SWAPPED, J)


def test_given_two_neighbouring_rows_swapped_whole_when_verified_then_they_are_named_swapped(world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.swap_rows(K, K + 1)

    assert world.first_bad() == (K, SWAPPED, K + 1)


def test_given_the_tail_behind_the_last_checkpoint_truncated_when_verified_then_the_first_missing_position_is_named(
        world: World) -> None:
    last = world.chain_and_checkpoint()
    world.raw.truncate_after(last - 10)

    assert world.first_bad() == (last - 9, TRUNCATED, None)


def test_given_the_tail_and_its_chain_rows_truncated_when_verified_then_the_checkpoint_still_names_the_truncation(
        world: World) -> None:
    last = world.chain_and_checkpoint()
    world.raw.truncate_after(last - 10)
    world.raw.delete_chain_after(last - 10)

    assert world.first_bad() == (last - 9, TRUNCATED, None)


def test_given_the_chain_rows_behind_the_last_checkpoint_deleted_when_verified_then_the_cut_is_named(
        world: World) -> None:
    last = world.chain_and_checkpoint()
    world.raw.delete_chain_after(last - 10)

    assert world.first_bad() == (last - 9, CHAIN_ROW_MISSING, None)


def test_given_an_event_inserted_into_a_gap_the_chain_skipped_when_verified_then_it_is_named_inserted_there(
        world: World) -> None:
    world.raw.burn_positions(2)
    admin = CommandContext.for_system("auditor-test")
    world.container.placements.register_enterprise(admin, name="After The Gap", registration_number="GAP-1")
    last = world.chain_and_checkpoint()
    gap = sorted(set(range(1, last + 1)) - set(world.raw.positions()))
    assert len(gap) == 2, "the log has a gap before its last event, as PostgreSQL leaves after a rollback"
    assert world.verify().ok, "a gap the chain skipped is no finding"

    world.raw.insert(gap[0], like=K)

    assert world.first_bad() == (gap[0], INSERTED, None)


def test_given_an_event_inserted_at_k_and_the_rest_renumbered_when_verified_then_it_is_named_inserted_at_k(
        world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.shift(K, +1)
    world.raw.insert(K, like=J)

    assert world.first_bad() == (K, INSERTED, None)


def test_given_a_chain_row_edited_when_verified_then_the_chain_row_is_named_not_the_event(world: World) -> None:
    world.chain_and_checkpoint()
    world.raw.edit_chain_leaf(K)

    assert world.first_bad() == (K, CHAIN_ROW_EDITED, None)


def test_given_a_checkpoint_signature_edited_when_verified_then_the_checkpoint_is_named(world: World) -> None:
    last = world.chain_and_checkpoint()
    world.raw.edit_checkpoint_signature(last)

    report = world.verify()

    assert (report.first.position, report.first.kind) == (last, CHECKPOINT_EDITED)
    assert not report.ok


def test_given_an_event_edited_and_its_chain_rows_recomputed_when_verified_then_the_signed_checkpoint_catches_it(
        world: World) -> None:
    world.chain.extend(limit=K - 5)
    earlier = world.chain.checkpoint(world.key).position
    world.chain_and_checkpoint()
    world.raw.edit_state(K)
    world.raw.rewrite_chain_from(K)

    position, kind, _ = world.first_bad()

    assert (position, kind) == (earlier + 1, REWRITTEN)

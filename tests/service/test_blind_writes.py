"""Writers that collide: a command sent without an expected version is decided again until it goes through;
one sent with the version it saw gets a 409 when someone else wrote first. On SQLite and PostgreSQL, with twenty
threads writing one centre at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from services.common.errors import VersionConflict
from tests.service.placement_world import World, build_world

pytestmark = pytest.mark.stored

WRITERS = 20


def all_at_once(command: Callable[[int], Any]) -> tuple[int, int]:
    """Run the command from WRITERS threads released together; how many succeeded and how many got a conflict."""
    start = threading.Barrier(WRITERS)
    outcomes: list[str] = []

    def write(n: int) -> None:
        start.wait()
        try:
            command(n)
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes.count("ok"), outcomes.count("conflict")


def test_given_twenty_blind_capacity_changes_at_once_when_they_collide_then_at_least_nineteen_go_through(
        container) -> None:
    world: World = build_world(container)
    manager = world.enterprise_admin(world.haier)
    version_before = world.app.get_centre(world.workshop).version

    succeeded, conflicts = all_at_once(lambda n: world.app.change_centre_capacity(
        manager, world.workshop, capacity=10 + n, reason=f"rota {n}"))

    assert succeeded >= 19 and succeeded + conflicts == WRITERS
    assert world.app.get_centre(world.workshop).version - version_before == succeeded


def test_given_twenty_capacity_changes_sent_with_the_same_version_when_they_collide_then_exactly_one_goes_through(
        container) -> None:
    world: World = build_world(container)
    manager = world.enterprise_admin(world.haier)
    seen = world.app.get_centre(world.workshop).version

    succeeded, conflicts = all_at_once(lambda n: world.app.change_centre_capacity(
        manager, world.workshop, capacity=10 + n, reason=f"rota {n}", expected_version=seen))

    assert (succeeded, conflicts) == (1, WRITERS - 1)
    assert world.app.get_centre(world.workshop).version == seen + 1

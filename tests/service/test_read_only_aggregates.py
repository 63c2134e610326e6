"""An aggregate read for reading only (a school, read by every enrolment) is kept between commands and brought up
to date with what was recorded since, by this process or another one on the same store: a reader never sees an old
state, and what it was given before is never changed under it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import NotFound
from services.common.identity import CommandContext
from services.placements.domain.enterprise import Enterprise, TrainingCentre
from services.placements.domain.school import School
from tests.conftest import make_settings

pytestmark = pytest.mark.stored


@pytest.fixture
def two_processes(tmp_path: Path, database_url: str | None) -> Iterator[tuple[Container, Container]]:
    first = Container(make_settings(tmp_path / "var", database_url))
    second = Container(make_settings(tmp_path / "var", database_url))
    yield first, second
    first.close()
    second.close()


def test_given_a_kept_centre_when_another_process_changes_it_then_the_next_read_shows_the_change(
        two_processes: tuple[Container, Container], admin: CommandContext) -> None:
    reader, writer = two_processes
    enterprise = writer.placements.register_enterprise(admin, name="Haier")
    centre = writer.placements.open_centre(admin, enterprise_id=enterprise.id, name="A", address="a", capacity=5,
                                           specialities=["mech"])
    before = reader.placements.read_only(TrainingCentre, centre.id)
    assert reader.placements.read_only(TrainingCentre, centre.id) is before  # kept: nothing new was recorded
    writer.placements.change_centre_capacity(admin, centre.id, capacity=9, reason="a new hall")
    after = reader.placements.read_only(TrainingCentre, centre.id)
    assert (before.capacity, before.version) == (5, 1)  # what was given before is left as it was
    assert (after.capacity, after.version) == (9, 2)


def test_given_an_id_of_another_kind_when_read_as_a_school_then_it_is_not_found(
        container: Container, admin: CommandContext) -> None:
    enterprise = container.placements.register_enterprise(admin, name="Haier")
    assert container.placements.read_only(Enterprise, enterprise.id).name == "Haier"  # kept, as an enterprise
    with pytest.raises(NotFound):
        container.placements.read_only(School, enterprise.id)

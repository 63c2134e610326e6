"""The read models answer a question about one student, school or centre through an index, not by reading a table
that grows with the whole province; and a rebuild, swapped in, leaves each table with one index per question (the
rebuilt table keeps its indexes' names, so the next start must not add the same index again). On SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES
from dualtrack.messaging.rebuild import rebuild
from services.common.projection import secondary_indexes
from services.progress.projection import BLOCKS
from tests.support.demo import Seeded

pytestmark = pytest.mark.projection


@pytest.fixture
def projected(seeded: Seeded) -> Seeded:
    """The demo with every read model caught up."""
    for name in PROJECTION_CLASSES:
        seeded.container.projector(name, embedded=True).catch_up()
    return seeded


def indexes_of(seeded: Seeded) -> dict[str, list[tuple[str, ...]]]:
    """Each indexed table of every projection: the column lists of its indexes, the primary key's left out."""
    found: dict[str, list[tuple[str, ...]]] = {}
    with seeded.container.view_db.transaction() as tx:
        for cls in PROJECTION_CLASSES.values():
            for table, _ in cls.indexes:
                if table not in found:
                    found[table] = sorted(secondary_indexes(tx, table))
    return found


def test_given_every_projection_rebuilt_twice_then_each_table_has_each_declared_index_once(projected: Seeded) -> None:
    seeded = projected
    declared: dict[str, list[tuple[str, ...]]] = {}
    for cls in PROJECTION_CLASSES.values():
        for table, columns in cls.indexes:
            declared.setdefault(table, []).append(columns)
    assert indexes_of(seeded) == {t: sorted(c) for t, c in declared.items()}, "as started"
    for _ in range(2):
        for name in PROJECTION_CLASSES:
            rebuild(seeded.container, name, embedded=True)
            seeded.container.projector(name, embedded=True)  # a projector starting on the swapped-in tables
    assert indexes_of(seeded) == {t: sorted(c) for t, c in declared.items()}, "after two rebuilds"


def test_given_the_places_of_published_plans_when_a_students_blocks_are_asked_then_an_index_answers(
        projected: Seeded) -> None:
    with projected.container.view_db.transaction() as tx:
        assert ("student_id", "start_date") in secondary_indexes(tx, BLOCKS.places)
        if not tx.locks_rows:
            plan = tx.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {BLOCKS.places} WHERE student_id = ? "
                              "AND start_date > ? ORDER BY start_date LIMIT 1", ("s", "2026-01-01")).fetchall()
            assert any("USING INDEX" in str(row[-1]) for row in plan), plan

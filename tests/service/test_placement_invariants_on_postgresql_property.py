"""Property: on PostgreSQL too, whatever commands are tried, the stored events keep the placement invariants.

The rules' property tests (test_placement_invariants_property.py) run on in-memory event stores; this one drives a
few random scripts through a fresh PostgreSQL database each and checks every invariant from the events read back.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fresh_postgres_database
from tests.service.test_placement_invariants_property import (
    NO_SHRINKING,
    all_violations,
    capacities,
    drive,
    explain,
    fresh_container,
    steps,
)

pytestmark = pytest.mark.stored


@pytest.mark.postgres
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=NO_SHRINKING)
@given(capacity=capacities, script=st.lists(steps, min_size=20, max_size=30))
def test_property_on_postgresql_too_the_invariants_hold(request, tmp_path_factory, capacity, script) -> None:
    database_url = fresh_postgres_database(request.getfixturevalue("postgres_server"))
    container = fresh_container(tmp_path_factory, database_url)
    try:
        world = drive(container, capacity, script)
        violations = [v for found in all_violations(world.app).values() for v in found]
        assert violations == [], explain(world.app, violations)
    finally:
        container.close()

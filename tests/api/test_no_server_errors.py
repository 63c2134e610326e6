"""Generated requests against every route of the OpenAPI document (schemathesis): bad input of any shape
gets a client error, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from dualtrack.bootstrap import PROJECTION_CLASSES
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.support.demo import Template, copy_of_template

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, sqlite_demo_template: Template):
    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("fuzz"))  # the demo seeded once
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", create_app(container))
    container.close()


def test_given_generated_requests_to_every_route_then_none_is_answered_with_a_server_error(api_schema) -> None:
    """Each route is called as its clients call it: with an admin's token, the public ones (security: [], signing in,
    following a link...) with none."""
    admin = bearer(Role.ADMIN, "fuzzer")
    operations = [op.ok() for op in api_schema.get_all_operations()]
    assert len(operations) >= 30
    public = [op for op in operations if api_schema.raw_schema["paths"][op.path][op.method].get("security") == []]
    assert public, "the public routes say they take no token"
    for operation in operations:
        no_server_error(operation, {} if operation in public else admin)


def no_server_error(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answered_without_a_server_error(case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"

    answered_without_a_server_error()

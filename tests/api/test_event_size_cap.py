"""The last line of defence on size: a command whose event would be too big to publish as one Kafka record is
refused with a 422 naming the cause, and nothing of it is stored (the relay would otherwise have to park it).

Every text field of a request is bounded by its schema (2,000 characters unless declared), and every text an
application stores by `DualtrackApplication.record`, so an event only grows that big from many bounded values: here,
a caller of the application (no schema between) giving a centre a thousand specialities of 1,000 characters each."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.common.errors import EventTooLarge
from services.common.identity import Actor, CommandContext, Role
from services.common.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")
BY_ADMIN = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="size-cap")


def specialities(count: int) -> list[str]:
    """`count` different specialities of 1,000 characters each: every one within its bound, all of them not."""
    return [f"{i:04}" + "m" * 996 for i in range(count)]


def open_centre(client) -> str:
    enterprise = client.post("/api/v1/enterprises", json={"name": "Haier"}, headers=ADMIN).json["id"]
    body = {"name": "Workshop", "address": "1 Road", "capacity": 5, "specialities": ["mechatronics"]}
    response = client.post(f"/api/v1/enterprises/{enterprise}/centres", json=body, headers=ADMIN)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_given_a_reason_of_a_megabyte_then_the_schema_refuses_it_with_422_naming_it_and_nothing_is_stored(
        client) -> None:
    centre = open_centre(client)
    stored = client.container.placements.max_position()
    reason = "the mentor pasted a whole manual here " * 32_000  # about 1.2 MB
    response = client.put(f"/api/v1/centres/{centre}/capacity", json={"capacity": 6, "reason": reason}, headers=ADMIN)
    assert response.status_code == 422, response.json
    assert "reason" in response.json["error"]["fields"]["json"]
    assert client.container.placements.max_position() == stored, "nothing was stored"


def test_given_an_event_too_big_to_publish_then_the_command_is_refused_naming_its_largest_field(client) -> None:
    enterprise = client.post("/api/v1/enterprises", json={"name": "Haier"}, headers=ADMIN).json["id"]
    stored = client.container.placements.max_position()
    with pytest.raises(EventTooLarge) as refused:
        client.container.placements.open_centre(BY_ADMIN, enterprise_id=UUID(enterprise), name="Workshop",
                                                address="1 Road", capacity=5, specialities=specialities(1000))
    error = refused.value
    assert error.details["field"] == "specialities"
    assert error.details["size"] > error.details["limit"] == MAX_EVENT_BYTES
    assert f"{MAX_RECORD_BYTES:,}" in error.message
    assert client.container.placements.max_position() == stored, "nothing was stored"


def test_given_an_event_just_under_the_cap_then_it_is_stored(client) -> None:
    enterprise = client.post("/api/v1/enterprises", json={"name": "Haier"}, headers=ADMIN).json["id"]
    stored = client.container.placements.max_position()
    client.container.placements.open_centre(BY_ADMIN, enterprise_id=UUID(enterprise), name="Workshop", address="1 Road",
                                            capacity=5, specialities=specialities(950))  # about 955 KB
    assert client.container.placements.max_position() == stored + 1

"""The last line of defence on size: a command whose event would be too big to publish as one Kafka record is
refused with a 422 naming the cause, and nothing of it is stored (the relay would otherwise have to park it)."""

from __future__ import annotations

import pytest

from services.common.identity import Role
from services.common.limits import MAX_EVENT_BYTES, MAX_RECORD_BYTES
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")


def open_centre(client) -> str:
    enterprise = client.post("/api/v1/enterprises", json={"name": "Haier"}, headers=ADMIN).json["id"]
    body = {"name": "Workshop", "address": "1 Road", "capacity": 5, "specialities": ["mechatronics"]}
    response = client.post(f"/api/v1/enterprises/{enterprise}/centres", json=body, headers=ADMIN)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_given_a_reason_too_big_to_publish_then_the_command_is_refused_with_422_and_nothing_is_stored(client) -> None:
    centre = open_centre(client)
    stored = client.container.placements.max_position()
    reason = "the mentor pasted a whole manual here " * 32_000  # about 1.2 MB
    response = client.put(f"/api/v1/centres/{centre}/capacity", json={"capacity": 6, "reason": reason}, headers=ADMIN)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "event-too-large"
    assert error["details"]["field"] == "reason"
    assert error["details"]["size"] > error["details"]["limit"] == MAX_EVENT_BYTES
    assert "reason" in error["message"] and f"{MAX_RECORD_BYTES:,}" in error["message"]
    assert client.container.placements.max_position() == stored, "nothing was stored"
    ok = client.put(f"/api/v1/centres/{centre}/capacity", json={"capacity": 6, "reason": "a second hall"},
                    headers=ADMIN)
    assert ok.status_code == 200, ok.json
    assert client.container.placements.max_position() == stored + 1


def test_given_an_event_just_under_the_cap_then_it_is_stored(client) -> None:
    centre = open_centre(client)
    reason = "x" * (MAX_EVENT_BYTES - 2_000)  # the rest of the event takes a few hundred bytes
    response = client.put(f"/api/v1/centres/{centre}/capacity", json={"capacity": 6, "reason": reason}, headers=ADMIN)
    assert response.status_code == 200, response.json

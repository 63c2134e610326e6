"""Idempotent retries: a POST sent again with the same Idempotency-Key gets the first answer and writes nothing.

Every POST route of the OpenAPI document is tried (with the well-formed bodies and demo ids of
test_auditors_write_nothing.py), so a route added later is covered without touching this file.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.common.identity import Role
from tests.api.conftest import CopiedWorld
from tests.api.test_auditors_write_nothing import (  # noqa: F401 - template and world are fixtures
    ADMIN,
    command_operations,
    openapi,
    positions,
    send,
    template,
    well_formed_body,
    world,
)
from tests.conftest import bearer

pytestmark = pytest.mark.api


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def body_of(answer: Any) -> Any:
    return answer.json if answer.is_json and answer.data else answer.get_data(as_text=True)  # 204: no body


def test_given_every_post_route_when_a_writer_sends_it_twice_with_one_key_then_the_second_answer_is_the_first_and_nothing_more_is_recorded(
        world: CopiedWorld) -> None:
    document = openapi(world)
    posts = [op for op in command_operations(document) if op.method == "post"]
    differing, wrote_again, not_replayed, created = [], [], [], 0
    for n, operation in enumerate(posts):
        request = well_formed_body(operation, document, world.ids)
        first = send(world, operation, keyed(ADMIN, f"key-{n}"), *request)
        after_first = positions(world)
        again = send(world, operation, keyed(ADMIN, f"key-{n}"), *request)
        created += first.status_code == 201
        if (again.status_code, body_of(again)) != (first.status_code, body_of(first)):
            differing.append(f"{operation}: {first.status_code} then {again.status_code}")
        if positions(world) != after_first:
            wrote_again.append(str(operation))
        if again.headers.get("Idempotent-Replayed") != "true" or again.headers.get("ETag") != first.headers.get("ETag"):
            not_replayed.append(str(operation))
    assert len(posts) >= 30
    assert differing == [] and wrote_again == [] and not_replayed == []
    assert created >= 5, "some of the first requests created something, so a retry had something to repeat"


def test_given_an_enterprise_registered_with_a_key_when_the_client_retries_then_there_is_one_enterprise(
        world: CopiedWorld) -> None:
    body = {"name": "Weichai Power", "registration_number": "91370700165"}
    first = world.client.post("/api/v1/enterprises", json=body, headers=keyed(ADMIN, "weichai-1"))
    again = world.client.post("/api/v1/enterprises", json=body, headers=keyed(ADMIN, "weichai-1"))
    fresh = world.client.post("/api/v1/enterprises", json=body, headers=ADMIN)

    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert fresh.status_code == 201 and fresh.json["id"] != first.json["id"], "no key: a new command"


def test_given_a_key_used_once_when_it_comes_with_another_body_then_422_names_the_header_and_nothing_is_written(
        world: CopiedWorld) -> None:
    world.client.post("/api/v1/enterprises", json={"name": "Weichai Power"}, headers=keyed(ADMIN, "k-1"))
    before = positions(world)

    answer = world.client.post("/api/v1/enterprises", json={"name": "Sinotruk"}, headers=keyed(ADMIN, "k-1"))

    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json["error"]["fields"]["headers"]
    assert positions(world) == before


def test_given_a_key_of_one_caller_when_another_caller_sends_it_then_their_own_command_runs(
        world: CopiedWorld) -> None:
    body = {"name": "Weichai Power"}
    mine = world.client.post("/api/v1/enterprises", json=body, headers=keyed(ADMIN, "shared"))
    theirs = world.client.post("/api/v1/enterprises", json=body,
                               headers=keyed(bearer(Role.ADMIN, "admin-2"), "shared"))

    assert mine.status_code == theirs.status_code == 201 and mine.json["id"] != theirs.json["id"]
    assert "Idempotent-Replayed" not in theirs.headers


@pytest.mark.parametrize("key", ["", "x" * 201, "naïve", "bad\x7fkey"], ids=["empty", "too long", "not ascii",
                                                                              "control character"])
def test_given_a_malformed_key_then_422_names_the_header_and_nothing_is_written(world: CopiedWorld, key: str) -> None:
    before = positions(world)
    answer = world.client.post("/api/v1/enterprises", json={"name": "Weichai Power"},
                               headers=keyed(ADMIN, key))
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json["error"]["fields"]["headers"]
    assert positions(world) == before


def test_given_the_openapi_document_then_every_post_documents_the_idempotency_key_header(world: CopiedWorld) -> None:
    document = openapi(world)
    undocumented = [f"POST {path}" for path, item in document["paths"].items() if "post" in item
                    and "Idempotency-Key" not in {p.get("name") for p in item["post"].get("parameters", [])}]
    assert undocumented == []

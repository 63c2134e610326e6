"""Each request schema is built once and serves every request (toolkit/http/arguments.py): one request's refusal or
values never leak into the next one's, from any thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask_smorest import Blueprint

from contracts.http.placements import RegisterSchoolRequest
from services.common.identity import Role
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")


def test_given_the_app_when_two_requests_use_one_schema_class_then_they_share_one_instance(client: Any) -> None:
    assert client.post("/api/v1/schools", json={"name": "North", "code": "N1"}, headers=ADMIN).status_code == 201
    parser: Any = Blueprint.ARGUMENTS_PARSER
    assert parser._get_schema(RegisterSchoolRequest, None) is parser._get_schema(RegisterSchoolRequest, None)


def test_given_good_and_bad_bodies_sent_at_once_then_each_answer_names_only_its_own_problem(client: Any) -> None:
    bodies = [{"name": f"School {i}", "code": f"S{i}"} if i % 3 == 0 else
              {"name": f"School {i}", "code": f"S{i}", "rule_set": "no-such-rules"} if i % 3 == 1 else
              {"code": f"S{i}"} for i in range(30)]
    app = client.http.application

    def send(body: dict[str, Any]) -> tuple[int, set[str]]:
        answer = app.test_client().post("/api/v1/schools", json=body, headers=ADMIN)
        return answer.status_code, set(answer.json.get("error", {}).get("fields", {}).get("json", {}))

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, bodies))
    expected = [(201, set()) if i % 3 == 0 else (422, {"rule_set"}) if i % 3 == 1 else (422, {"name"})
                for i in range(30)]
    assert answers == expected

"""What a caller sees when something is wrong: one error format, the right status, nothing lost."""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

import pytest

from services.common.identity import Role
from tests.conftest import bearer

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-1")


def register(client, name: str = "Haier") -> str:
    response = client.post("/api/v1/enterprises", json={"name": name}, headers=ADMIN)
    assert response.status_code == 201, response.json
    return response.json["id"]


def open_centre(client, enterprise_id: str, **overrides) -> dict:
    body = {"name": "Workshop", "address": "1 Road", "capacity": 5, "specialities": ["mechatronics"], **overrides}
    response = client.post(f"/api/v1/enterprises/{enterprise_id}/centres", json=body, headers=ADMIN)
    assert response.status_code == 201, response.json
    return response.json


def test_given_no_token_then_401_and_nothing_is_recorded(client) -> None:
    response = client.post("/api/v1/enterprises", json={"name": "X"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/centres").status_code == 401
    assert client.container.placements.max_position() == 0


def test_given_a_token_signed_with_another_key_then_401(client) -> None:
    import jwt

    forged = jwt.encode({"sub": "x", "role": "admin", "iss": "dualtrack", "exp": 4102444800}, "another-key-32-bytes-long-xxxxxxxx")
    response = client.get("/api/v1/centres", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


@pytest.mark.parametrize("claims", [
    pytest.param({"aud": "dualtrack-api", "jti": "j", "exp": 100 * 365 * 86400}, id="a lifetime of a century"),
    pytest.param({"jti": "j", "exp": 900}, id="no audience"),
    pytest.param({"aud": "dualtrack-api", "exp": 900}, id="no token id"),
    pytest.param({"aud": "another-api", "jti": "j", "exp": 900}, id="another audience"),
    pytest.param({"aud": "dualtrack-api", "jti": "j", "exp": 900, "sub": " "}, id="a blank subject"),
])
def test_given_a_token_signed_with_the_secret_but_unbounded_or_incomplete_then_401(client, claims) -> None:
    import time

    import jwt

    from tests.conftest import TEST_SECRET

    now = int(time.time())
    claims = {**claims, "iat": now, "exp": now + claims["exp"]}  # exp given as a lifetime, in seconds
    token = jwt.encode({"iss": "dualtrack", "sub": "admin-1", "role": "admin", **claims}, TEST_SECRET)
    response = client.post("/api/v1/enterprises", json={"name": "X"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert client.container.placements.max_position() == 0


def test_given_the_wrong_role_then_403_naming_it(client) -> None:
    response = client.post("/api/v1/enterprises", json={"name": "X"}, headers=bearer(Role.AUDITOR, "aud"))
    assert response.status_code == 403
    assert response.json["error"]["details"]["role"] == "auditor"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "W", "address": "A", "capacity": "five", "specialities": ["x"]}, "capacity"),
        ({"name": "W", "address": "A", "capacity": 5, "specialities": ["x"], "colour": "red"}, "colour"),
        ({"name": "W", "address": "A", "specialities": ["x"]}, "capacity"),
        ({"name": "W", "address": "A", "capacity": 5, "specialities": []}, "specialities"),
        ({"name": "", "address": "A", "capacity": 5, "specialities": ["x"]}, "name"),
        ({"name": "   ", "address": "A", "capacity": 5, "specialities": ["x"]}, "name"),
        ({"name": "W", "address": "A", "capacity": 5.5, "specialities": ["x"]}, "capacity"),
        ({"name": "W", "address": "A", "capacity": 5, "specialities": "welding"}, "specialities"),
        ({"name": "W", "address": "A", "capacity": 0, "specialities": ["x"]}, "capacity"),
    ],
)
def test_given_bad_input_then_422_naming_the_field_and_nothing_is_recorded(client, body, field) -> None:
    enterprise_id = register(client)
    response = client.post(f"/api/v1/enterprises/{enterprise_id}/centres", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]["json"]
    assert client.container.placements.max_position() == 1


def test_given_a_body_that_is_not_json_then_a_clear_client_error(client) -> None:
    response = client.post("/api/v1/enterprises", data="{name", headers={**ADMIN, "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json["error"]["status"] == response.status_code


def test_given_an_unknown_id_then_404(client) -> None:
    assert client.put(f"/api/v1/centres/{uuid4()}/capacity", json={"capacity": 3}, headers=ADMIN).status_code == 404
    assert client.get(f"/api/v1/centres/{uuid4()}", headers=ADMIN).status_code == 404
    assert client.get("/api/v1/centres/not-a-uuid", headers=ADMIN).status_code == 404
    assert client.get(f"/api/v1/enterprises/{uuid4()}", headers=ADMIN).status_code == 404


def test_given_a_rule_refusal_then_409_naming_the_rule(client) -> None:
    centre = open_centre(client, register(client))
    closed = client.post(f"/api/v1/centres/{centre['id']}/closure", json={"reason": "sold"}, headers=ADMIN)
    assert closed.status_code == 200
    again = client.post(f"/api/v1/centres/{centre['id']}/closure", json={"reason": "again"}, headers=ADMIN)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "centre-closed"


def test_given_a_closure_without_a_reason_then_422(client) -> None:
    centre = open_centre(client, register(client))
    response = client.post(f"/api/v1/centres/{centre['id']}/closure", json={"reason": "  "}, headers=ADMIN)
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]["json"]


def test_given_concurrent_changes_with_the_same_if_match_then_one_200_and_409s(client) -> None:
    centre = open_centre(client, register(client))
    statuses: list[int] = []
    barrier = threading.Barrier(5)
    app = client.http.application

    def change(capacity: int) -> None:
        with app.test_client() as own:
            barrier.wait()
            response = own.put(f"/api/v1/centres/{centre['id']}/capacity", json={"capacity": capacity},
                               headers={**ADMIN, "If-Match": '"1"'})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=change, args=(10 + i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409, 409]


def test_given_a_command_with_a_client_correlation_id_then_the_response_has_an_etag_the_servers_own_id_and_the_clients_beside_it(
        client) -> None:
    response = client.post("/api/v1/enterprises", json={"name": "X"}, headers={**ADMIN, "X-Correlation-ID": "abc-1"})
    assert response.headers["ETag"] == '"1"'
    server_made = response.headers["X-Correlation-ID"]
    assert str(UUID(server_made, version=4)) == server_made
    assert response.headers["X-Client-Correlation-ID"] == "abc-1"
    event = client.container.placements.mapper.to_domain_event(client.container.placements.notifications(1, 1)[0])
    assert (event.meta.correlation_id, event.meta.client_correlation_id) == (server_made, "abc-1")


def test_given_a_command_without_a_client_correlation_id_then_the_server_makes_one_and_keeps_no_clients(
        client) -> None:
    first = client.post("/api/v1/enterprises", json={"name": "X"}, headers=ADMIN)
    second = client.post("/api/v1/enterprises", json={"name": "Y"}, headers=ADMIN)
    assert "X-Client-Correlation-ID" not in first.headers
    assert first.headers["X-Correlation-ID"] != second.headers["X-Correlation-ID"]
    event = client.container.placements.mapper.to_domain_event(client.container.placements.notifications(1, 1)[0])
    assert (event.meta.correlation_id, event.meta.client_correlation_id) == (first.headers["X-Correlation-ID"], None)


def test_given_the_openapi_document_then_every_command_route_is_listed_with_bearer_auth(client) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/centres/{centre_id}/capacity" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/centres", "/api/v1/placements"])
def test_given_an_absurd_page_number_then_an_empty_page_rather_than_a_server_error(client, path) -> None:
    response = client.get(f"{path}?page=1121829884515913905995776&page_size=40", headers=ADMIN)
    assert response.status_code == 200 and response.json == []


@pytest.mark.parametrize("text", ["Hai\u0000er", "Hai\ud800er", "tab\x07bell"])
def test_given_unprintable_text_then_422_naming_the_field_and_nothing_is_recorded(client, text) -> None:
    response = client.post("/api/v1/enterprises", json={"name": text}, headers=ADMIN)
    assert response.status_code == 422 and "name" in response.json["error"]["fields"]["json"]
    assert client.container.placements.max_position() == 0
    if "\ud800" not in text:  # a URL cannot even carry a lone surrogate
        listing = client.get("/api/v1/centres", query_string={"speciality": text}, headers=ADMIN)
        assert listing.status_code == 422


def test_given_a_date_beyond_the_calendar_we_keep_then_422_not_an_overflow(client) -> None:
    centre = open_centre(client, register(client))
    response = client.get(f"/api/v1/centres/{centre['id']}/occupancy?from=9999-12-20&to=9999-12-31", headers=ADMIN)
    assert response.status_code == 422 and "from" in response.json["error"]["fields"]["query"]


@pytest.mark.parametrize("if_match", ['"１"', '"1.0"', '"-1"', "abc"])
def test_given_an_if_match_that_is_not_a_version_we_sent_then_400(client, if_match) -> None:
    centre = open_centre(client, register(client))
    response = client.put(f"/api/v1/centres/{centre['id']}/capacity", json={"capacity": 9},
                          headers={**ADMIN, "If-Match": if_match})
    assert response.status_code == 400 and "If-Match" in response.json["error"]["message"]


@pytest.mark.parametrize("token", ["placements:x:1~é", "é~é", "~", "a~b,~é"])
def test_given_a_wait_for_token_with_any_characters_then_422_naming_it(client, token) -> None:
    response = client.get("/api/v1/centres/e3e70682-c209-4cac-a29f-6fbed82c07cd", query_string={"wait_for": token},
                          headers=bearer(Role.ADMIN, "a"))
    assert response.status_code == 422
    assert "wait_for" in response.json["error"]["fields"]["query"]


def test_given_answers_about_people_then_no_cache_may_keep_them_while_public_documents_may_be_cached(client) -> None:
    enterprise = register(client)
    for answer in (client.get(f"/api/v1/enterprises/{enterprise}", headers=ADMIN),
                   client.get("/api/v1/centres", headers=ADMIN),
                   client.get("/api/v1/centres"),  # a refusal too
                   client.get("/sign-in")):
        assert answer.headers.get("Cache-Control") == "no-store", answer.request.path
    for public in ("/api/openapi.json", "/static/css/dualtrack.css"):
        answer = client.get(public)
        assert answer.status_code == 200 and "no-store" not in answer.headers.get("Cache-Control", ""), public

"""The AsyncAPI document is served next to the OpenAPI one, to anyone, for the deployment's own topics."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.api


def test_given_no_token_when_the_asyncapi_document_is_fetched_then_it_answers_200_json_for_this_deployment(
    client,
) -> None:
    response = client.get("/api/asyncapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.json
    assert document["asyncapi"] == "3.0.0"
    settings = client.container.settings
    assert {c["address"] for c in document["channels"].values()} == {
        settings.topic(c) for c in ("placements", "schedules", "training", "credentials", "audit")}
    assert "X-Correlation-ID" in response.headers


def test_given_the_openapi_and_asyncapi_documents_then_both_are_public(client) -> None:
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/asyncapi.json").status_code == 200

"""The OpenAPI document describes every route: its request and response schemas and its error codes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.api


def test_given_the_openapi_document_then_every_route_has_schemas_and_error_codes(client) -> None:
    spec = client.get("/api/openapi.json").json
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method in ("get", "post", "put", "delete", "patch")]
    assert len(operations) >= 30
    error_schema = spec["components"]["schemas"]["ApiError"]
    assert set(error_schema["properties"]) == {"error"}
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") or op.get("description"), f"{where} says what it does"
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, f"{where} documents its success response"
        media = ("text/calendar" if path.endswith(".ics") else "application/x-ndjson" if path.endswith("/export")
                 else "application/json")
        assert "schema" in op["responses"][success[0]]["content"][media], f"{where} success schema"
        assert "401" in op["responses"], f"{where} documents 401"
        if method != "get":
            assert "requestBody" in op, f"{where} documents its request body"
            for code in ("403", "404", "409", "422"):
                assert code in op["responses"], f"{where} documents {code}"
        for code, response in op["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            if not code.startswith("2"):
                assert "schema" in response.get("content", {}).get("application/json", {}), f"{where} {code} schema"

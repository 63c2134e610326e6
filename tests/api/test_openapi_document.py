"""The OpenAPI document describes every route: its request and response schemas and its error codes."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.api

ANY_ID = "00000000-0000-4000-8000-000000000000"


def on_own_account(app: Any, method: str, path: str) -> bool:
    """Whether the app serves the operation as one a person uses on their own account (signing out, calendar links:
    toolkit/http/read_only_roles.py on_own_account), which refuses no role."""
    endpoint, _ = app.url_map.bind("localhost").match(re.sub(r"{[^}]+}", ANY_ID, path), method=method.upper())
    view = app.view_functions[endpoint]
    return bool(getattr(getattr(view, "view_class", view), "own_account", False))


def test_given_the_openapi_document_then_every_route_has_schemas_and_error_codes(client) -> None:
    """Every operation says what it does, documents its success (its schema, but for 204 No Content) and its errors
    with the one error schema. Every operation that takes a token documents 401 (the public ones, security: [], take
    none: signing in, refreshing, following an invitation, asking for a reset, a guardian's code, a calendar link);
    every command documents 422. A command on a record (not public, not on one's own account) documents its request
    body and 403, 404 and 409 too."""
    spec = client.get("/api/openapi.json").json
    app = client.http.application
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method in ("get", "post", "put", "delete", "patch")]
    assert len(operations) >= 30
    error_schema = spec["components"]["schemas"]["ApiError"]
    assert set(error_schema["properties"]) == {"error"}
    assert any(op.get("security") == [] for _, _, op in operations), "the public routes say they take no token"
    missing = []
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        public = op.get("security") == []
        if not (op.get("summary") or op.get("description")):
            missing.append(f"{where} says what it does")
        success = [code for code in op["responses"] if code.startswith("2")]
        if not success:
            missing.append(f"{where} documents its success response")
        elif success[0] != "204":
            media = ("text/calendar" if path.endswith(".ics") else "application/x-ndjson"
                     if path.endswith("/export") else "application/json")
            if "schema" not in op["responses"][success[0]].get("content", {}).get(media, {}):
                missing.append(f"{where} success schema")
        expected = [] if public else ["401"]
        if method != "get":
            expected.append("422")
            if not public and not on_own_account(app, method, path):
                if "requestBody" not in op:
                    missing.append(f"{where} documents its request body")
                expected += ["403", "404", "409"]
        missing += [f"{where} documents {code}" for code in expected if code not in op["responses"]]
        for code, response in op["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            if not code.startswith("2") and "schema" not in response.get("content", {}).get("application/json", {}):
                missing.append(f"{where} {code} schema")
    assert missing == []

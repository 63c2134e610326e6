"""`Cache-Control: no-store` on every answer but the public ones: what the API and the pages answer is about people
(a student's progress, a placement, one's own account, a calendar feed, an export), and no browser, proxy or disk
cache should keep it. Public and the same for everyone, and so left to the usual caching: the static files, the
API's documents (OpenAPI, AsyncAPI) and the Swagger UI that shows them."""

from __future__ import annotations

from typing import Any

from flask import Flask

from toolkit.http.context import this_request

PUBLIC_DOCUMENTS = frozenset({"/api/docs", "/api/openapi.json", "/api/asyncapi.json"})
PUBLIC_FOLDERS = ("/static/", "/api/docs/")
"""Answers that hold nothing personal: these paths, and those under these folders."""


def no_store(response: Any) -> Any:
    path = this_request().path
    if path not in PUBLIC_DOCUMENTS and not path.startswith(PUBLIC_FOLDERS):
        response.headers["Cache-Control"] = "no-store"
    return response


def register_no_store(app: Flask) -> None:
    app.after_request(no_store)

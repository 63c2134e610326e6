"""Unknown query parameters are refused (400 naming them), not silently ignored: `?student_name=x` on a list
that filters by `student` would otherwise answer everything, and the caller would never know.

A route's known parameters are those its flask-smorest arguments and pagination declare in the query (the same
ones the OpenAPI document lists); routes without such declarations (health, the documents) are left alone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask
from flask_smorest import abort

from toolkit.http.context import this_app, this_request


def refuse_unknown_query_parameters() -> None:
    req = this_request()
    if not req.args or req.url_rule is None or req.endpoint is None:
        return
    known = _known(this_app().view_functions[req.endpoint], "GET" if req.method == "HEAD" else req.method)
    if known is None:
        return
    unknown = sorted(set(req.args) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "no query parameters"
        abort(400, messages={"query": {name: [f"unknown query parameter; this route takes: {takes}"]
                                       for name in unknown}})


@cache
def _known(view: Any, method: str) -> frozenset[str] | None:
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class is not None else view
    doc = getattr(handler, "_apidoc", None)
    if doc is None:
        return None
    names: set[str] = set()
    declared = [p for p in doc.get("arguments", {}).get("parameters", []) if p.get("in") == "query"]
    if "pagination" in doc:
        declared.append(doc["pagination"]["parameters"])
    for parameter in declared:
        schema = parameter["schema"]
        schema = schema() if isinstance(schema, type) else schema
        names |= {field.data_key or name for name, field in schema.fields.items()}
    return frozenset(names)


def register_query_parameter_check(app: Flask) -> None:
    app.before_request(refuse_unknown_query_parameters)

"""One instance of each request schema, reused by every request.

flask-smorest hands webargs the schema class of each route (`@blp.arguments(EnrolStudentRequest)`), and webargs
builds a new instance of it for every request: marshmallow then copies and binds every declared field again
(`RequestSchema.on_bind_field` bounds each text and list), which costs more than validating the body. Our request
schemas keep no state between loads (no `context`, no per-request options: webargs passes `unknown` to `load`), so
one instance per class serves every request and thread.
"""

from __future__ import annotations

import threading
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema

_instances: dict[type[Schema], Schema] = {}
_lock = threading.Lock()


def _shared(schema_class: type[Schema]) -> Schema:
    instance = _instances.get(schema_class)
    if instance is None:
        with _lock:
            instance = _instances.setdefault(schema_class, schema_class())
    return instance


def reuse_request_schemas() -> None:
    """Have the arguments parser every blueprint shares build each request schema class once (idempotent)."""
    parser: Any = Blueprint.ARGUMENTS_PARSER
    if getattr(parser, "_dualtrack_shared_schemas", False):
        return
    per_request = parser._get_schema

    def get_schema(argmap: Any, req: Any) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _shared(argmap)
        schema: Schema = per_request(argmap, req)
        return schema

    parser._get_schema = get_schema
    parser._dualtrack_shared_schemas = True

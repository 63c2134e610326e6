"""Every route of the API, read from its OpenAPI document, for the probes under tests/probes/.

A probe walks `routes(document(client))` so that a route added tomorrow is probed tomorrow without anyone writing a
line: each probe asserts it covered a sensible number of routes, so that it cannot pass by probing none.

    doc = document(client)                 the app's OpenAPI document (GET /api/openapi.json; any Flask test client)
    for route in routes(doc):              every operation, sorted by path then method
        route.method                       "GET", "POST", "PUT", "PATCH", "DELETE"
        route.path                         the template: "/api/v1/students/{student_id}/placements"
        route.params                       its path parameters: (Param(name, schema), ...) in the order of the path
        route.names                        their names: ("student_id",)
        route.body                         the request body's JSON schema with every $ref resolved (nested too),
                                           or None when it takes no JSON body
        route.media                        the request body's media type ("application/json", "text/csv") or None
        route.query                        its query parameters: (Param(name, schema), ...)
        route.command                      a POST, PUT, PATCH or DELETE
        route.public                       it needs no token (its operation says `security: []`)
        route.url(values)                  the path filled from `values` (see below); placeholders for the rest
    resolve(doc, schema)                   a schema with every $ref inlined (a cycle is left as its $ref)
    placeholder(param)                     a well-formed value that names nothing in any world (a fixed uuid for a
                                           uuid, 1 for an integer, the first of an enum, else "probe")
    demo_values(ids)                       real ids of the demo world (tests/support/demo.py, DemoIds) by parameter
                                           name, all of one tenant: Liu Yang of Qingdao Technician College (school
                                           A), placed at CRRC's rail base (enterprise B, mentor Zhao Min)
    sample(schema)                         a smallest instance of a (resolved) schema: its required fields only,
                                           each the simplest value its type, format, enum and bounds allow

`values` maps a parameter's name to its value; a key "segment/name" (the path segment before the parameter, e.g.
"certificates/code" beside "competencies/code") wins over the bare name, for names that mean different things on
different routes. The values are percent-quoted into the path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

COMMANDS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHODS = ("get", "post", "put", "patch", "delete")
UNKNOWN_UUID = "6c1f3a52-0d4e-4b8a-9f27-51e0c4d9a7b3"
"""The placeholder of every uuid parameter: an id no world holds."""


@dataclass(frozen=True)
class Param:
    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    params: tuple[Param, ...]
    query: tuple[Param, ...]
    body: Mapping[str, Any] | None
    public: bool
    summary: str
    media: str | None = None

    @property
    def command(self) -> bool:
        return self.method in COMMANDS

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.params)

    def url(self, values: Mapping[str, Any] | None = None) -> str:
        """The path with each parameter filled: from `values` ("segment/name" first, then "name"), else its
        placeholder."""
        path = self.path
        for param in self.params:
            value = _value_for(self.path, param, values or {})
            path = path.replace("{" + param.name + "}", quote(str(value), safe=""))
        return path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def document(client: Any) -> dict[str, Any]:
    """The app's OpenAPI document, as any client reads it."""
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200, answer.status_code
    doc: dict[str, Any] = answer.get_json()
    return doc


def routes(doc: Mapping[str, Any]) -> list[Route]:
    """Every operation of the document."""
    found = []
    default_security = doc.get("security")
    for path, item in doc.get("paths", {}).items():
        shared = _parameters(doc, item.get("parameters", []))
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = {**shared, **_parameters(doc, operation.get("parameters", []))}
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(Route(
                method=method.upper(), path=path,
                params=tuple(sorted((Param(name, schema) for (where, name), schema in parameters.items()
                                     if where == "path"), key=lambda p: path.index("{" + p.name + "}"))),
                query=tuple(Param(name, schema) for (where, name), schema in parameters.items() if where == "query"),
                body=resolve(doc, body) if body is not None else None,
                public=operation.get("security", default_security) == [],
                summary=operation.get("summary", ""), media=next(iter(content), None)))
    return sorted(found, key=lambda r: (r.path, r.method))


def resolve(doc: Mapping[str, Any], schema: Any, _seen: tuple[str, ...] = ()) -> Any:
    """`schema` with every `$ref` ("#/components/...") replaced by what it names, nested ones too."""
    if isinstance(schema, list):
        return [resolve(doc, item, _seen) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in _seen:
            return dict(schema)
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return resolve(doc, target, (*_seen, ref))
    return {key: resolve(doc, value, _seen) for key, value in schema.items()}


def placeholder(param: Param) -> Any:
    """A well-formed value for the parameter that names nothing."""
    schema = param.schema
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("format") == "uuid":
        return UNKNOWN_UUID
    if schema.get("type") == "integer":
        return max(1, int(schema.get("minimum", 1)))
    return "probe"


def demo_values(ids: Any) -> dict[str, Any]:
    """Real ids of the demo world by parameter name, all of school A's student Liu Yang at CRRC's rail base."""
    from dualtrack.demo import MENTORS
    from dualtrack.demo.world import person_id

    return {
        "student_id": ids.students[0], "placement_id": ids.placements[1], "centre_id": ids.centres[2],
        "enterprise_id": ids.enterprises[1], "school_id": ids.schools[0], "plan_id": ids.plans[0],
        "mentor_id": MENTORS[2][0], "person_id": person_id("student-liu"), "major": "mechatronics",
        "code": "MEC-01", "certificates/code": "X-RTM", "context": "placements", "aggregate_id": ids.students[0],
        "number": 1,
    }


def sample(schema: Mapping[str, Any] | None) -> Any:
    """A smallest instance of a resolved schema: required properties only, each its simplest allowed value."""
    if not schema:
        return {}
    if schema.get("enum"):
        return schema["enum"][0]
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return sample(schema[combined][0])
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: sample(properties.get(name, {})) for name in schema.get("required", [])}
    if kind == "array":
        return [sample(schema.get("items", {})) for _ in range(int(schema.get("minItems", 0)))]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return _sample_text(schema)


def _sample_text(schema: Mapping[str, Any]) -> str:
    formats = {"uuid": UNKNOWN_UUID, "date": "2026-11-30", "date-time": "2026-11-30T09:00:00Z",
               "email": "probe@example.org"}
    text = formats.get(schema.get("format", ""), "probe")
    return text.ljust(int(schema.get("minLength", 0)), "x")


def _parameters(doc: Mapping[str, Any], parameters: Iterable[Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    found = {}
    for parameter in parameters:
        parameter = resolve(doc, parameter)
        found[(parameter["in"], parameter["name"])] = parameter.get("schema", {})
    return found


def _value_for(path: str, param: Param, values: Mapping[str, Any]) -> Any:
    before = path.split("{" + param.name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    for key in (f"{before}/{param.name}", param.name):
        if key in values:
            return values[key]
    return placeholder(param)


def fresh_uuid() -> str:
    """A random id, unknown to every world (for probes comparing two unknown ids)."""
    return str(uuid.uuid4())

"""Input probes: every text field of every command route (read from the OpenAPI document, so a route added tomorrow
is probed tomorrow) refuses a value one character over its bound with a 422 naming the field, and nothing is stored;
JSON nested 10,000 deep is a 400, never a RecursionError; path parameters with NUL, CR/LF or a right-to-left override
are refused by name (a 404: such a path names nothing) on every route that takes a text one, never a 500, never
stored."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote
from uuid import UUID

import pytest

from services.common.errors import InvalidInput
from services.common.identity import Actor, CommandContext, Role
from services.common.input_limits import JSON_MAX_DEPTH, TEXT_MAX
from tests.conftest import bearer
from tests.probes.routes import Route, demo_values, document, routes, sample
from tests.support.pages import PageSite, csrf, text
from toolkit.http.input_limits import FORM_FIELD_MAX

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "probe-admin")
PARSED = ("uuid", "date", "date-time")
"""Formats whose value is parsed: anything longer than an id or a day is refused by its own parser."""
Path = tuple[str | int, ...]
"""Where a field is in a body: property names, and 0 for a list's item."""


@pytest.fixture(scope="module")
def commands(site: PageSite) -> list[Route]:
    """Every command route taking a JSON body."""
    return [r for r in routes(document(site.app.test_client())) if r.command and r.body is not None]


def texts(schema: Mapping[str, Any], at: Path = ()) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Every string property of a (resolved) schema, nested objects and list items too, with where it is."""
    for combined in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combined, []):
            yield from texts(part, at)
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        for name, inner in schema.get("properties", {}).items():
            if not inner.get("readOnly"):
                yield from texts(inner, (*at, name))
    elif kind == "array":
        yield from texts(schema.get("items", {}), (*at, 0))
    elif kind == "string" and at:
        yield at, schema


def lists(schema: Mapping[str, Any], at: Path = ()) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Every array of a (resolved) schema, with where it is."""
    if schema.get("type") == "array":
        yield at, schema
        yield from lists(schema.get("items", {}), (*at, 0))
    for name, inner in schema.get("properties", {}).items():
        yield from lists(inner, (*at, name))


def with_value(schema: Mapping[str, Any], at: Path, value: Any) -> Any:
    """A smallest plausible body of `schema` (its required fields, each its simplest value) with `value` put `at`."""
    body = sample(schema)
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(head, int):
        return [with_value(schema.get("items", {}), rest, value)]
    body = copy.deepcopy(body) if isinstance(body, dict) else {}
    body[head] = with_value(schema.get("properties", {}).get(head, {}), rest, value)
    return body


def too_long(schema: Mapping[str, Any]) -> str:
    """One character more than the field takes (its maxLength; TEXT_MAX when it declares none)."""
    return "x" * (int(schema.get("maxLength", TEXT_MAX)) + 1)


def names(errors: Any, at: Path) -> bool:
    """Whether the schema errors (by location, then field) name the field `at`."""
    found: Any = (errors or {}).get("json", {})
    for part in at:
        if not isinstance(found, dict) or str(part) not in found:
            return False
        found = found[str(part)]  # a list's item by its index, as a JSON object's key
    return bool(found)


def stored(site: PageSite) -> dict[str, int]:
    """The last position of every context's event store (identity's too)."""
    apps = {**site.container.apps(), "identity": site.container.app("identity")}
    return {name: app.max_position() for name, app in apps.items()}


def ask(site: PageSite, route: Route, body: Any = None, raw: bytes | None = None, path: str | None = None) -> Any:
    client = site.app.test_client()
    url = path or route.url(demo_values(site.ids))
    if raw is not None:
        return client.open(url, method=route.method, data=raw, content_type="application/json", headers=ADMIN)
    return client.open(url, method=route.method, json=body, headers=ADMIN)


def test_given_the_openapi_document_then_every_text_field_and_list_of_every_command_is_bounded(commands) -> None:
    unbounded = [f"{route} {'.'.join(map(str, at))}" for route in commands for at, schema in texts(route.body)
                 if "maxLength" not in schema and "enum" not in schema and schema.get("format") not in PARSED]
    endless = [f"{route} {'.'.join(map(str, at)) or '(body)'}" for route in commands
               for at, schema in lists(route.body) if "maxItems" not in schema]
    assert not unbounded, "text fields without maxLength:\n" + "\n".join(unbounded)
    assert not endless, "lists without maxItems:\n" + "\n".join(endless)


def test_given_a_text_over_its_bound_in_any_field_of_any_command_then_it_is_a_422_naming_it_and_nothing_is_stored(
        site, commands) -> None:
    before = stored(site)
    probed: set[str] = set()
    wrong: list[str] = []
    fields = 0
    for route in commands:
        for at, schema in texts(route.body):
            if "enum" in schema or schema.get("format") == "uuid":
                continue  # a choice or an id: its own value refuses anything else
            answer = ask(site, route, with_value(route.body, at, too_long(schema)))
            fields += 1
            probed.add(str(route))
            error = (answer.get_json(silent=True) or {}).get("error", {})
            if answer.status_code != 422 or not names(error.get("fields"), at):
                wrong.append(f"{route} {'.'.join(map(str, at))}: {answer.status_code} {error or answer.data[:300]}")
    assert not wrong, f"{len(wrong)} over-long fields were not refused by name:\n" + "\n".join(wrong)
    assert stored(site) == before, "nothing was stored"
    assert len(probed) >= 40 and fields >= 120, f"only {len(probed)} routes and {fields} fields were probed"


def test_given_json_nested_ten_thousand_deep_then_the_answer_is_a_400_naming_the_depth_and_nothing_is_stored(
        site, commands) -> None:
    before = stored(site)
    bodies = {"arrays": b"[" * 10_000 + b"]" * 10_000, "objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
              "in a field": b'{"reason": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "never closed": b"[" * 10_000}
    for route in commands[::6]:
        for kind, raw in bodies.items():
            answer = ask(site, route, raw=raw)
            assert answer.status_code == 400, (route, kind, answer.status_code, answer.data[:300])
            error = answer.get_json()["error"]
            assert error["code"] == "json-too-deep" and f"{JSON_MAX_DEPTH} levels" in error["message"], error
    shallow = ask(site, commands[0], raw=b"[" * JSON_MAX_DEPTH + b"]" * JSON_MAX_DEPTH)
    assert shallow.status_code == 422, "nested within the limit, the body reaches its schema"
    quoted = ask(site, commands[0], raw=b'{"reason": "' + b'[{\\"' * 500 + b'"}')
    assert quoted.status_code == 422, "brackets (and escaped quotes) in a text are no nesting"
    assert stored(site) == before


BAD_SEGMENTS = {"NUL": "mec\x00hanics", "CR LF": "mec\r\nSet-Cookie: x=1", "a right-to-left override": "mec\u202eevil",
                "201 characters": "m" * 201}


def test_given_a_path_parameter_with_nul_crlf_or_a_bidi_override_on_any_route_then_it_is_a_404_naming_it(
        site) -> None:
    every = routes(document(site.app.test_client()))
    before = stored(site)
    probed = []
    for route in every:
        for param in route.params:
            if param.schema.get("type", "string") != "string" or param.schema.get("format") == "uuid" \
                    or param.schema.get("enum"):
                continue
            probed.append(f"{route} {param.name}")
            for what, bad in BAD_SEGMENTS.items():
                values = {k: v for k, v in demo_values(site.ids).items() if k.split("/")[-1] != param.name}
                url = route.url({**values, param.name: "PLACE"}).replace("PLACE", quote(bad, safe=""))
                answer = ask(site, route, sample(route.body) if route.body is not None else None, path=url)
                assert answer.status_code == 404, (str(route), what, answer.status_code, answer.data[:300])
                error = answer.get_json()["error"]
                assert list(error["fields"]["path"]) == [param.name] and param.name in error["message"], error
    assert stored(site) == before
    assert len(probed) >= 8, probed


def test_given_a_query_value_or_correlation_id_with_control_characters_then_it_is_a_422_naming_it(site) -> None:
    client = site.app.test_client()
    answer = client.get("/api/v1/competency-catalogues/mechatronics?wait_for=a%00b", headers=ADMIN)
    assert answer.status_code == 422 and "wait_for" in answer.get_json()["error"]["fields"]["query"]
    answer = client.get("/api/v1/competency-catalogues/mechatronics", headers={**ADMIN, "X-Correlation-ID": "c\x01-1"})
    assert answer.status_code == 422 and "X-Correlation-ID" in answer.get_json()["error"]["fields"]["headers"]
    answer = client.get("/api/v1/competency-catalogues/mechatronics", headers={**ADMIN, "X-Correlation-ID": "c" * 101})
    assert answer.status_code == 422, answer.data[:300]
    answer = client.get("/api/v1/competency-catalogues/mechatronics", headers={**ADMIN, "X-Correlation-ID": "batch-7"})
    assert answer.status_code == 200, "a printable id within bounds is taken"


def test_given_a_reason_over_its_bound_in_a_page_form_then_it_is_refused_next_to_the_field_kept_and_not_stored(
        site) -> None:
    admin, centre = site.browser("admin-wu"), site.ids.centres[2]
    before = stored(site)
    reason = "the whole manual " * 118  # 2,006 characters
    answer = admin.post(f"/admin/centres/{centre}/capacity", data={
        "csrf_token": csrf(admin), "capacity": "7", "reason": reason})
    assert answer.status_code == 422, text(answer)[:2000]
    assert "Give the reason (at most 2000 characters)." in text(answer)
    assert reason.strip() in text(answer), "what was typed is shown again"
    assert stored(site) == before


def test_given_a_form_field_over_any_field_s_bound_then_the_page_refuses_it_by_name_and_nothing_is_stored(
        site) -> None:
    admin, centre = site.browser("admin-wu"), site.ids.centres[2]
    before = stored(site)
    answer = admin.post(f"/admin/centres/{centre}/capacity", data={
        "csrf_token": csrf(admin), "capacity": "7", "reason": "x" * (FORM_FIELD_MAX + 1)})
    assert answer.status_code == 422
    assert f"The field reason is {FORM_FIELD_MAX + 1:,} characters long" in text(answer)
    assert stored(site) == before


def test_given_a_command_called_without_a_schema_with_a_text_over_its_bound_then_it_is_refused_and_not_stored(
        site) -> None:
    before = stored(site)
    admin = CommandContext(Actor("probe-admin", Role.ADMIN), correlation_id="probe")
    with pytest.raises(InvalidInput) as refused:
        site.container.placements.change_centre_capacity(admin, UUID(site.ids.centres[2]), capacity=7,
                                                         reason="x" * (TEXT_MAX + 1))
    assert refused.value.details["field"] == "reason" and refused.value.details["limit"] == TEXT_MAX
    assert stored(site) == before


def test_given_a_page_address_with_a_bidi_override_or_a_nul_then_the_page_says_it_names_nothing(site) -> None:
    admin = site.browser("admin-wu")
    for bad in ("mechatronics%E2%80%AE", "mec%00hanics"):
        answer = admin.get(f"/admin/catalogues/{bad}")
        assert answer.status_code == 404
        assert "This address names nothing: its part major holds characters no name has" in text(answer)


def test_given_a_csv_batch_with_a_description_over_its_bound_then_it_is_refused_naming_row_and_field(site) -> None:
    before = stored(site)
    csv = ("student_id,date,start,end,competencies,description\n"
           f"{site.ids.students[0]},2026-11-23,08:00,12:00,MEC-01,{'x' * 4001}\n")
    answer = site.app.test_client().post("/api/v1/practice-entries/batch", data=csv.encode(),
                                         content_type="text/csv", headers=ADMIN)
    assert answer.status_code == 422, answer.data[:500]
    rows = answer.get_json()["error"]["details"]["rows"]
    assert rows[0]["line"] == 2 and "description" in rows[0]["details"]["fields"], rows
    assert stored(site) == before

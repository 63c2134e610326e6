"""Auditors write nothing: every command route of the OpenAPI document answers 403 forbidden to the auditor role,
whatever the body, and records nothing.

The routes are not listed here by hand: they are every operation of /api/openapi.json that is not a read (GET or
HEAD), public ones (sign-in, refresh, an invitation's acceptance...) included, and the web pages' forms the app
serves outside /api; a test checks that the document names every command route the app serves under /api, so a
route added later is covered without touching this file. Each is called with ids from the demo world and a body
built from the operation's request schema; a writer (signed in: some routes are a person's own account's) sending
the same bodies gets no 422, which shows they are well-formed.

The demo world is loaded once per module and its SQLite files copied for each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dualtrack.demo import DEMO_TODAY, DemoIds, person_id
from services.common.identity import Actor, CommandContext, Role
from tests.api.conftest import CopiedWorld, copy_of
from tests.conftest import bearer
from tests.support.demo import Template, copy_of_template

pytestmark = pytest.mark.api

AUDITOR = bearer(Role.AUDITOR, "auditor-1")
ADMIN = bearer(Role.ADMIN, "admin-1")
READS = {"get", "head"}
HTTP_METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}
FEWEST_COMMAND_ROUTES = 40
"""The API had 45 command routes when this test was written: far fewer would mean the document lost some."""


@dataclass(frozen=True)
class Ids:
    """The demo's ids that command paths name."""

    demo: DemoIds
    entry: str
    """A practice entry of Liu's logbook."""
    award: str
    """Liu's junior X-RTM award."""
    order: str
    """CRRC's order class."""
    grant: str
    """Mentor Zhao Min's grant (mentor of CRRC)."""
    request: str
    """Chen Jing's pending change request of the mechatronics catalogue."""

    def path_values(self) -> dict[str, str]:
        d = self.demo
        return {"student_id": d.students[0], "placement_id": d.placements[1], "enterprise_id": d.enterprises[1],
                "centre_id": d.centres[2], "school_id": d.schools[0], "plan_id": d.plans[0], "entry_id": self.entry,
                "award_id": self.award, "order_id": self.order, "major": "mechatronics", "code": "MEC-01",
                "mentor_id": person_id("mentor-zhao"), "person_id": person_id("mentor-zhao"), "grant_id": self.grant,
                "request_id": self.request,
                "secret": "an-invitation-secret-nobody-was-sent", "link_id": "no-such-link", "context": "training",
                "what": "student", "ident": d.students[0]}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, sqlite_demo_template: Template) -> tuple[Path, Ids]:
    data_dir = tmp_path_factory.mktemp("auditors-write-nothing") / "var"
    container = copy_of_template(sqlite_demo_template, data_dir.parent)  # the demo seeded once (tests/conftest.py)
    try:
        demo = sqlite_demo_template.ids
        liu = demo.students[0]
        admin = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="template")
        record = container.training.get_training_record(admin, liu)
        account = container.credentials.get_account(admin, liu)
        assert record is not None and account is not None
        orders = [n for n in container.credentials.notifications(1, 10_000) if n.topic.endswith(":ClassOrdered")]
        zhao = container.identity.get_person(person_id("mentor-zhao"))
        [request] = [r.request_id for r in container.training.get_catalogue("mechatronics").requests.values()
                     if r.status == "pending"]
        ids = Ids(demo, entry=next(iter(record.entries)), award=next(iter(account.awards)),
                  order=str(orders[0].originator_id), grant=next(iter(zhao.grants)), request=request)
    finally:
        container.close()
    return data_dir, ids


@pytest.fixture
def world(template: tuple[Path, Ids], tmp_path: Path) -> Iterator[CopiedWorld]:
    source, ids = template
    with copy_of(source, tmp_path, ids, DEMO_TODAY) as copied:
        yield copied


# -- the routes, from the document -------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    """As the document writes it: /api/v1/students/{student_id}/placements."""
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def openapi(world: CopiedWorld) -> dict[str, Any]:
    answer = world.client.get("/api/openapi.json")
    assert answer.status_code == 200
    return answer.json  # type: ignore[no-any-return]


def command_operations(document: dict[str, Any]) -> list[Operation]:
    return [Operation(method, path, spec) for path, item in document["paths"].items()
            for method, spec in item.items() if method in HTTP_METHODS and method not in READS]


def served_command_routes(world: CopiedWorld) -> set[str]:
    """Every (method, path) the Flask app serves that is not a read, with paths spelled as the document does."""
    app = world.client.application
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
            routes.add(f"{method} {path}")
    return routes


def served_api_command_routes(world: CopiedWorld) -> set[str]:
    return {route for route in served_command_routes(world) if route.split(" ", 1)[1].startswith("/api/")}


def page_operations(world: CopiedWorld) -> list[Operation]:
    """The web pages' forms (outside /api: no OpenAPI document names them), as operations without a schema."""
    pages = sorted(served_command_routes(world) - served_api_command_routes(world))
    return [Operation(route.split(" ", 1)[0].lower(), route.split(" ", 1)[1], {}) for route in pages]


def every_command(world: CopiedWorld, document: dict[str, Any]) -> list[Operation]:
    return command_operations(document) + page_operations(world)


def url(operation: Operation, ids: Ids) -> str:
    values = ids.path_values()
    missing = [name for name in re.findall(r"{([^}]+)}", operation.path) if name not in values]
    assert not missing, f"{operation}: no demo id for {missing}; add one to Ids.path_values"
    return re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], operation.path)


# -- well-formed bodies, from the request schemas ----------------------------------------------------
CSV_BATCH = ("student_id,date,start,end,competencies,description\n"
             "{student},2026-11-27,17:00,18:00,MEC-01,bogie inspection\n")
PLAN_CONTENT = {"term": {"start": "2027-03-01", "end": "2027-07-02"}}
BODY_ADDITIONS = {
    "PUT /api/v1/rotation-plans/{plan_id}/draft": {"content": PLAN_CONTENT},
    "POST /api/v1/students/{student_id}/placements/{placement_id}/guardian-confirmation": {"code": "12345678"},
    "POST /api/v1/competency-catalogues/{major}/change-requests": {"change": "retire"},
}
"""What a schema-level rule asks beyond the required fields (a draft change sends content or a pattern)."""
TIME_OF_DAY = {"start": "08:00", "end": "12:00"}


def well_formed_body(operation: Operation, document: dict[str, Any], ids: Ids) -> tuple[str, Any]:
    """(content type, body) for the operation: its required fields with plausible values."""
    content = operation.spec.get("requestBody", {}).get("content", {})
    if "text/csv" in content:
        return "text/csv", CSV_BATCH.format(student=ids.demo.students[0])
    if "application/json" not in content:
        return "application/json", {}
    body = _sample(content["application/json"]["schema"], document["components"]["schemas"], ids, "")
    if str(operation) == "POST /api/v1/me/calendar-links":
        body["feed"] = f"/api/v1/students/{ids.demo.students[0]}/calendar.ics"
    return "application/json", {**body, **BODY_ADDITIONS.get(str(operation), {})}


def _sample(schema: dict[str, Any], schemas: dict[str, Any], ids: Ids, name: str) -> Any:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", ()))
        return {key: _sample(value, schemas, ids, key) for key, value in schema.get("properties", {}).items()
                if key in required}
    if kind == "array":
        return [_sample(schema.get("items", {}), schemas, ids, name)] * max(1, schema.get("minItems", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind is None and name in TIME_OF_DAY:
        return TIME_OF_DAY[name]  # a time of day, documented as "HH:MM"
    if schema.get("format") == "date":
        return DEMO_TODAY.isoformat()
    if schema.get("format") == "email":
        return "someone.new@dualtrack.example"
    if schema.get("format") == "uuid":
        return _id_named(name, ids)
    return "x" * max(1, schema.get("minLength", 1))


def _id_named(name: str, ids: Ids) -> str:
    d = ids.demo
    by_name = {"centre_id": d.centres[2], "to_centre_id": d.centres[0], "school_id": d.schools[0],
               "enterprise_id": d.enterprises[1], "placement_id": d.placements[1]}
    return by_name.get(name, d.students[0])


def send(world: CopiedWorld, operation: Operation, headers: dict[str, str], content_type: str, body: Any) -> Any:
    target = url(operation, world.ids)
    if content_type == "application/json" and not isinstance(body, (str, bytes)):
        return world.client.open(target, method=operation.method.upper(), json=body, headers=headers)
    return world.client.open(target, method=operation.method.upper(), data=body, content_type=content_type,
                             headers=headers)


def positions(world: CopiedWorld) -> dict[str, int]:
    """Every store's last position: every context's, and the identity context's (people, sessions, links)."""
    return {context: app.max_position() for context, app in
            {**world.container.apps(), "identity": world.container.app("identity")}.items()}


def signed_in(world: CopiedWorld, handle: str, email: str) -> dict[str, str]:
    """The bearer header of a session a demo person signs in to (with the password the demo drew for them)."""
    answer = world.client.post("/api/v1/auth/tokens",
                               json={"login": email, "password": world.ids.demo.sign_ins[handle]})
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def error_code(answer: Any) -> str | None:
    return answer.json["error"]["code"] if answer.is_json and answer.data and "error" in answer.json else None


def _view(world: CopiedWorld, operation: Operation) -> Any:
    app = world.client.application
    endpoint, _ = app.url_map.bind("localhost").match(url(operation, world.ids), method=operation.method.upper())
    view = app.view_functions[endpoint]
    return getattr(view, "view_class", view)


def own_account(world: CopiedWorld, operation: Operation) -> bool:
    """A route a person uses on their own account (signing out, calendar links, the page's language): auditors too
    use it; it changes their own account, no record of any context."""
    return bool(getattr(_view(world, operation), "own_account", False))


def read_sent_as_form(world: CopiedWorld, operation: Operation) -> bool:
    """A page's read sent as a form because it leaves a trace (an auditor's export taken, a chain verified): not a
    command, and an auditor's own work; tests/api/test_auditor_pages.py tries them."""
    return bool(getattr(_view(world, operation), "read_sent_as_form", False))


def records(world: CopiedWorld) -> dict[str, int]:
    """Every context's last position (what an auditor must never move); the identity store apart."""
    return {context: app.max_position() for context, app in world.container.apps().items()}


def refused(operation: Operation, answer: Any) -> bool:
    """403 forbidden: with the API's error (code "forbidden"), or a page's own 403 outside /api."""
    return answer.status_code == 403 and (error_code(answer) == "forbidden" or not operation.path.startswith("/api/"))


# -- the tests ------------------------------------------------------------------------------------------
def test_given_the_openapi_document_then_it_names_every_command_route_the_app_serves_and_they_are_many(
        world: CopiedWorld) -> None:
    documented = {str(op) for op in command_operations(openapi(world))}
    served = served_api_command_routes(world)
    assert sorted(served - documented) == [], "command routes the document does not name (so nothing tests them)"
    assert sorted(documented - served) == [], "documented command routes the app does not serve"
    assert len(documented) >= FEWEST_COMMAND_ROUTES, sorted(documented)


def test_given_an_auditor_when_they_send_a_well_formed_body_to_every_command_route_then_each_answers_403_forbidden_and_nothing_is_recorded(
        world: CopiedWorld) -> None:
    document = openapi(world)
    operations = every_command(world, document)
    before = positions(world)
    answered_otherwise = []
    operations = [op for op in operations if not read_sent_as_form(world, op)]
    mine = [op for op in operations if own_account(world, op)]
    for operation in operations:
        answer = send(world, operation, AUDITOR, *well_formed_body(operation, document, world.ids))
        if operation in mine:
            if answer.status_code >= 500:
                answered_otherwise.append(f"{operation}: {answer.status_code}")
        elif not refused(operation, answer):
            answered_otherwise.append(f"{operation}: {answer.status_code} {error_code(answer)}")
    assert answered_otherwise == []
    assert len(mine) >= 4, "signing out (here and everywhere), calendar links, the page's sign-out and language"
    assert len(operations) + 2 == len(served_command_routes(world)) >= FEWEST_COMMAND_ROUTES, \
        "every command route tried, the auditor's two reads sent as forms apart"
    assert records(world) == {c: p for c, p in before.items() if c != "identity"}, \
        "an auditor's request recorded an event"


@pytest.mark.parametrize("body", [
    pytest.param(("application/json", {}), id="an empty object"),
    pytest.param(("application/json", {"unexpected": "field", "reason": 7}), id="unknown and mistyped fields"),
    pytest.param(("application/json", "{not json"), id="text that is not JSON"),
    pytest.param(("text/plain", ""), id="no body at all"),
])
def test_given_an_auditor_when_they_send_any_body_to_every_command_route_then_each_still_answers_403_forbidden(
        world: CopiedWorld, body: tuple[str, Any]) -> None:
    before = records(world)
    answered_otherwise = []
    for operation in every_command(world, openapi(world)):
        if read_sent_as_form(world, operation):
            continue
        answer = send(world, operation, AUDITOR, *body)
        if own_account(world, operation):
            if answer.status_code >= 500:
                answered_otherwise.append(f"{operation}: {answer.status_code}")
        elif not refused(operation, answer):
            answered_otherwise.append(f"{operation}: {answer.status_code} {error_code(answer)}")
    assert answered_otherwise == [], "the role is checked after the body: an auditor learns how to shape a write"
    assert records(world) == before


def test_given_a_writer_when_they_send_the_same_bodies_then_none_is_refused_as_malformed(world: CopiedWorld) -> None:
    """The bodies the auditor sent are well-formed: an admin sending them gets no 422 (nor a 500); 403 for a route
    that is another role's, 404 or 409 from the rules, are answers to a well-formed request."""
    document = openapi(world)
    malformed = []
    admin = signed_in(world, "admin-wu", "wu.ming@dualtrack.example")
    for operation in command_operations(document):
        answer = send(world, operation, admin, *well_formed_body(operation, document, world.ids))
        if operation.path.startswith("/api/v1/auth/sign-out"):
            admin = signed_in(world, "admin-wu", "wu.ming@dualtrack.example")  # that ended the session
        if answer.status_code in (422, 500):
            malformed.append(f"{operation}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
    assert malformed == []


def test_given_an_auditor_when_they_read_then_they_are_answered(world: CopiedWorld) -> None:
    """The door is closed to writes only: an auditor reads everything."""
    liu = world.ids.demo.students[0]
    for path in (f"/api/v1/students/{liu}", f"/api/v1/students/{liu}/logbook", "/api/v1/placements",
                 f"/api/v1/rotation-plans/{world.ids.demo.plans[0]}"):
        assert world.client.get(path, headers=AUDITOR).status_code == 200, path

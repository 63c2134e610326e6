"""The rotation-plan routes through HTTP, as a school coordinator's planning screen meets them.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrised). The world is the service tests'
schedule world (tests/service/schedule_world.py): the spring term of 2027 runs from Monday 1 March, students of the
school have agreed placements at Haier's workshop (capacity 2) from 1 March to 30 June, and the hand-written plan
alternates four weeks at school, four at the workshop (29 March to 23 April: ISO weeks 13 to 16), four at school.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.common.identity import Role
from tests.conftest import bearer
from tests.service.schedule_world import ScheduleWorld, build_schedule_world

pytestmark = pytest.mark.api

PLANS = "/api/v1/rotation-plans"
JUSTIFICATION = "the workshop runs a second shift for the spring rotation"
PATTERN = {"start": "2027-03-01", "school_weeks": 2, "enterprise_weeks": 2, "cycles": 3, "groups": 2}


@pytest.fixture
def world(client: Any) -> ScheduleWorld:
    return build_schedule_world(client.container)


@pytest.fixture
def coordinator(world: ScheduleWorld) -> dict[str, str]:
    return bearer(Role.COORDINATOR, "coord-chen", school_id=str(world.school))


@pytest.fixture
def trio(world: ScheduleWorld) -> list[UUID]:
    """Three students placed at the workshop, which has room for two."""
    return [world.placed("Liu Yang"), world.placed("Zhou Min"), world.placed("Ma Lin")]


def recorded(client: Any) -> int:
    return client.container.schedules.max_position()


def error_of(response: Any) -> dict[str, Any]:
    return response.json["error"]


def over_capacity_keys(world: ScheduleWorld) -> list[str]:
    return [f"centre-over-capacity:{world.workshop}:2027-W{week}" for week in (13, 14, 15, 16)]


def draft_body(world: ScheduleWorld, content: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"school_id": str(world.school), "cohort": "mechatronics-2024", "title": "Mechatronics 2024, spring 2027",
            "content": content, **changes}


def drafted(client: Any, world: ScheduleWorld, headers: dict[str, str], content: dict[str, Any]) -> str:
    response = client.post(PLANS, json=draft_body(world, content), headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def published(client: Any, world: ScheduleWorld, headers: dict[str, str], content: dict[str, Any]) -> str:
    """A plan drafted and published, each of its conflicts overridden."""
    plan_id = drafted(client, world, headers, content)
    conflicts = client.get(f"{PLANS}/{plan_id}/conflicts", headers=headers).json
    response = client.post(f"{PLANS}/{plan_id}/publication", headers=headers, json={
        "overrides": [{"key": c["key"], "justification": JUSTIFICATION} for c in conflicts]})
    assert response.status_code == 200, response.json
    return plan_id


def with_enterprise_hours(content: dict[str, Any], hours: int) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    for block in changed["blocks"]:
        if block["kind"] == "enterprise":
            block["hours_per_week"] = hours
    return changed


def with_exam_week(content: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    changed["calendar"]["exam_weeks"].append({"start": start, "end": end, "name": "mid-term exams"})
    return changed


# -- the coordinator's whole flow ---------------------------------------------------------------------
def test_given_three_students_for_a_workshop_of_two_when_a_coordinator_plans_their_spring_over_http_then_draft_check_publication_revision_and_history_all_answer(
    client, world, coordinator, trio
) -> None:
    content = world.alternating(trio)

    # draft
    response = client.post(PLANS, json=draft_body(world, content), headers=coordinator)
    assert response.status_code == 201, response.json
    plan_id = response.json["id"]
    assert response.json["version"] == 1 and response.json["position"] == recorded(client)
    assert response.json["wait_token"].startswith(f"schedules:{plan_id}:1~")
    assert response.headers["ETag"] == '"1"'

    plan = client.get(f"{PLANS}/{plan_id}", headers=coordinator)
    assert plan.status_code == 200 and plan.headers["ETag"] == '"1"'
    assert {k: plan.json[k] for k in ("id", "version", "school_id", "cohort", "status", "revision")} == {
        "id": plan_id, "version": 1, "school_id": str(world.school), "cohort": "mechatronics-2024",
        "status": "draft", "revision": 0}
    assert plan.json["content"] == content and plan.json["generated_from"] is None

    # check: the workshop would host three in each of the four enterprise weeks
    check = client.get(f"{PLANS}/{plan_id}/conflicts", headers=coordinator)
    assert check.status_code == 200, check.json
    assert [c["key"] for c in check.json] == over_capacity_keys(world)
    first = check.json[0]
    assert (first["kind"], first["week"], first["details"], first["overridden_with"]) == (
        "centre-over-capacity", "2027-W13", {"expected": 3, "capacity": 2, "from_this_plan": 3, "from_other_plans": 0},
        None)
    assert first["objects"]["students"] == sorted(str(s) for s in trio) and first["message"]

    # publication refused while they stand, each listed
    refused = client.post(f"{PLANS}/{plan_id}/publication", json={}, headers=coordinator)
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "plan-has-conflicts"
    assert [c["key"] for c in error_of(refused)["details"]["conflicts"]] == over_capacity_keys(world)

    # publication with an override for each
    overrides = [{"key": key, "justification": JUSTIFICATION} for key in over_capacity_keys(world)]
    response = client.post(f"{PLANS}/{plan_id}/publication", json={"overrides": overrides}, headers=coordinator)
    assert response.status_code == 200, response.json
    plan = client.get(f"{PLANS}/{plan_id}", headers=coordinator).json
    assert (plan["status"], plan["revision"], plan["version"]) == ("published", 1, response.json["version"])
    again = client.get(f"{PLANS}/{plan_id}/conflicts", headers=coordinator).json
    assert [(c["key"], c["overridden_with"]) for c in again] == [(k, JUSTIFICATION) for k in over_capacity_keys(world)]

    # a revision with a reason: 36-hour weeks and a mid-term exam week while group A is back at school
    revised = with_exam_week(with_enterprise_hours(content, 36), "2027-05-10", "2027-05-14")
    response = client.post(f"{PLANS}/{plan_id}/revisions", headers=coordinator,
                           json={"content": revised, "reason": "Haier moved apprentices to 9-hour shifts"})
    assert response.status_code == 201, response.json

    # the revisions, without their content
    history = client.get(f"{PLANS}/{plan_id}/revisions", headers=coordinator)
    assert history.status_code == 200, history.json
    one, two = history.json
    assert [(r["number"], r["by"], r["reason"]) for r in history.json] == [
        (1, "coord-chen", None), (2, "coord-chen", "Haier moved apprentices to 9-hour shifts")]
    assert "content" not in one and one["changes"] is None and one["recorded_at"]
    assert [(o["conflict"]["key"], o["justification"], o["by"]) for o in one["overrides"]] == [
        (key, JUSTIFICATION, "coord-chen") for key in over_capacity_keys(world)]
    assert two["overrides"] == [], "the same conflicts stay overridden by the first revision's justification"
    assert two["changes"]["blocks_changed"] == [{"block_id": "A2", "changes": {"hours_per_week": {"from": 40,
                                                                                                  "to": 36}}}]

    # one revision, with its content as it was published
    first_revision = client.get(f"{PLANS}/{plan_id}/revisions/1", headers=coordinator)
    assert first_revision.status_code == 200, first_revision.json
    assert first_revision.json["content"] == content
    assert client.get(f"{PLANS}/{plan_id}/revisions/2", headers=coordinator).json["content"] == revised

    # what changed from 1 to 2
    changes = client.get(f"{PLANS}/{plan_id}/changes?from=1&to=2", headers=coordinator)
    assert changes.status_code == 200, changes.json
    assert changes.json == {
        "term": None,
        "holidays": {"added": [], "removed": []},
        "exam_weeks": {"added": [{"start": "2027-05-10", "end": "2027-05-14", "name": "mid-term exams"}],
                       "removed": []},
        "groups": [], "blocks_added": [], "blocks_removed": [],
        "blocks_changed": [{"block_id": "A2", "changes": {"hours_per_week": {"from": 40, "to": 36}}}],
        "assignments_changed": [],
    }
    backwards = client.get(f"{PLANS}/{plan_id}/changes?from=2&to=1", headers=coordinator).json
    assert backwards["exam_weeks"] == {"added": [], "removed": changes.json["exam_weeks"]["added"]}

    # and the school's plans
    listed = client.get(f"{PLANS}?school_id={world.school}", headers=coordinator)
    assert listed.status_code == 200, listed.json
    assert listed.json == [{"id": plan_id, "school_id": str(world.school), "cohort": "mechatronics-2024",
                            "title": "Mechatronics 2024, spring 2027", "revision": 2, "status": "published"}]


def test_given_a_published_plan_when_a_revision_brings_a_new_conflict_then_409_lists_only_it_and_its_override_is_recorded_with_that_revision(
    client, world, coordinator, trio
) -> None:
    content = world.alternating(trio)
    plan_id = published(client, world, coordinator, content)
    in_exams = with_exam_week(content, "2027-04-12", "2027-04-16")
    body = {"content": in_exams, "reason": "the school moved its mid-term exams"}

    refused = client.post(f"{PLANS}/{plan_id}/revisions", json=body, headers=coordinator)
    assert refused.status_code == 409, refused.json
    assert error_of(refused)["code"] == "plan-has-conflicts"
    new_key = "enterprise-block-in-exam-week:A2:2027-04-12"
    assert [c["key"] for c in error_of(refused)["details"]["conflicts"]] == [new_key]

    body["overrides"] = [{"key": new_key, "justification": "the apprentices sit their exams at the workshop"}]
    accepted = client.post(f"{PLANS}/{plan_id}/revisions", json=body, headers=coordinator)
    assert accepted.status_code == 201, accepted.json
    second = client.get(f"{PLANS}/{plan_id}/revisions/2", headers=coordinator).json
    assert [(o["conflict"]["kind"], o["justification"]) for o in second["overrides"]] == [
        ("enterprise-block-in-exam-week", "the apprentices sit their exams at the workshop")]
    assert second["reason"] == "the school moved its mid-term exams"


# -- generation -------------------------------------------------------------------------------------
def test_given_two_placed_students_when_a_plan_is_generated_from_a_pattern_then_201_and_the_plan_explains_every_allocation(
    client, world, coordinator
) -> None:
    students = sorted(str(world.placed(name)) for name in ("Liu Yang", "Zhou Min"))
    pattern = {**PATTERN, "students": students}
    response = client.post(f"{PLANS}/generated", headers=coordinator, json={
        "school_id": str(world.school), "cohort": "mechatronics-2024", "title": "Generated spring", "pattern": pattern})
    assert response.status_code == 201, response.json
    plan_id = response.json["id"]

    plan = client.get(f"{PLANS}/{plan_id}", headers=coordinator).json
    generated_from = plan["generated_from"]
    assert generated_from["pattern"] == {**pattern, "hours_per_week": 40,
                                         "calendar": {"holidays": [], "exam_weeks": []}}
    explanations = generated_from["explanations"]
    assert [(g["group"], g["students"], g["offset_weeks"]) for g in explanations["groups"]] == [("A", 1, 0),
                                                                                                ("B", 1, 2)]
    assert [(s["student_id"], s["group"], s["centre_id"]) for s in explanations["students"]] == [
        (students[0], "A", str(world.workshop)), (students[1], "B", str(world.workshop))]
    assert all(s["reason"] and s["placement_id"] for s in explanations["students"])
    assert [(c["centre_id"], c["peak"], c["capacity"]) for c in explanations["centres"]] == [
        (str(world.workshop), 1, 2)]
    assert plan["content"]["term"] == {"start": "2027-03-01", "end": "2027-05-23"}
    assert {(b["group"], b["kind"]) for b in plan["content"]["blocks"]} == {
        ("A", "school"), ("A", "enterprise"), ("B", "school"), ("B", "enterprise")}

    # staggered, so the workshop never hosts both: nothing to override
    assert client.get(f"{PLANS}/{plan_id}/conflicts", headers=coordinator).json == []
    assert client.post(f"{PLANS}/{plan_id}/publication", json={}, headers=coordinator).status_code == 200


def test_given_a_hand_written_draft_when_it_is_replaced_by_a_pattern_and_then_by_content_again_then_generated_from_follows(
    client, world, coordinator, trio
) -> None:
    plan_id = drafted(client, world, coordinator, world.alternating(trio))
    by_pattern = client.put(f"{PLANS}/{plan_id}/draft", headers=coordinator,
                            json={"pattern": {**PATTERN, "groups": 3, "students": [str(s) for s in trio]}})
    assert by_pattern.status_code == 200, by_pattern.json
    plan = client.get(f"{PLANS}/{plan_id}", headers=coordinator).json
    assert plan["version"] == 2 and [g["group"] for g in plan["generated_from"]["explanations"]["groups"]] == [
        "A", "B", "C"]

    by_hand = client.put(f"{PLANS}/{plan_id}/draft", json={"content": world.alternating(trio[:2])},
                         headers=coordinator)
    assert by_hand.status_code == 200, by_hand.json
    plan = client.get(f"{PLANS}/{plan_id}", headers=coordinator).json
    assert plan["generated_from"] is None and plan["content"] == world.alternating(trio[:2])


# -- malformed input --------------------------------------------------------------------------------
def _content_with(world: ScheduleWorld, students: list[UUID], change: Any) -> dict[str, Any]:
    content = world.alternating(students)
    change(content)
    return content


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for step in path[:-1]:
            data = data[step]
        if value is _DELETE:
            del data[path[-1]]
        else:
            data[path[-1]] = value
    return change


_DELETE = object()

SCHEMA_ERRORS = {
    "a title left out": (("title",), _DELETE, ("title",)),
    "a blank cohort": (("cohort",), "   ", ("cohort",)),
    "a school id that is no uuid": (("school_id",), "QTC", ("school_id",)),
    "a term starting on 30 February": (("content", "term", "start"), "2027-02-30", ("content", "term", "start")),
    "a term of ten years": (("content", "term", "end"), "2037-03-01", ("content", "term", "end")),
    "a block of an unknown kind": (("content", "blocks", 0, "kind"), "holiday", ("content", "blocks", "0", "kind")),
    "negative hours a week": (("content", "blocks", 1, "hours_per_week"), -5,
                              ("content", "blocks", "1", "hours_per_week")),
    "hours a week as text": (("content", "blocks", 1, "hours_per_week"), "40",
                             ("content", "blocks", "1", "hours_per_week")),
    "a student id that is no uuid": (("content", "groups", 0, "students"), ["liu-yang"],
                                     ("content", "groups", "0", "students", "0")),
    "a holiday without an end": (("content", "calendar", "holidays"), [{"start": "2027-04-05"}],
                                 ("content", "calendar", "holidays", "0", "end")),
    "a field nobody knows": (("content", "colour"), "green", ("content", "colour")),
    "a control character in the title": (("title",), "spring\x00", ("title",)),
    "content that is a list": (("content",), [], ("content",)),
}


@pytest.mark.parametrize("case", SCHEMA_ERRORS)
def test_given_a_draft_with_a_malformed_field_when_posted_then_422_naming_the_field_and_nothing_is_recorded(
    client, world, coordinator, case
) -> None:
    student = world.placed()
    path, value, named = SCHEMA_ERRORS[case]
    body = draft_body(world, world.alternating([student]))
    _set(path, value)(body)
    before = recorded(client)
    response = client.post(PLANS, json=body, headers=coordinator)
    assert response.status_code == 422, response.json
    errors = error_of(response)["fields"]["json"]
    for step in named:
        assert step in errors, (case, error_of(response))
        errors = errors[step]
    assert recorded(client) == before


DOMAIN_ERRORS = {
    "a term ending before it starts": (("term", "end"), "2027-02-01", "term"),
    "a block ending before it starts": (("blocks", 0, "end"), "2027-02-26", "blocks[0]"),
    "a block outside the term": (("blocks", 2, "end"), "2027-06-04", "blocks[2]"),
    "a block of a group the plan has not": (("blocks", 0, "group"), "Z", "blocks[0].group"),
    "an enterprise block without hours": (("blocks", 1, "hours_per_week"), None, "blocks[1].hours_per_week"),
    "a school block placing someone": (("blocks", 0, "assignments"), "COPY-A2", "blocks[0].assignments"),
    "two blocks with one id": (("blocks", 2, "id"), "A1", "blocks[2].id"),
    "two groups with one name": (("groups",), "TWICE", "groups[1].name"),
    "a student listed twice in a group": (("groups", 0, "students"), "TWICE", "groups[0].students"),
}


@pytest.mark.parametrize("case", DOMAIN_ERRORS)
def test_given_a_draft_whose_content_does_not_hold_together_when_posted_then_422_invalid_input_naming_the_place(
    client, world, coordinator, case
) -> None:
    student = world.placed()
    path, value, field = DOMAIN_ERRORS[case]
    content = world.alternating([student])
    if value == "COPY-A2":
        value = content["blocks"][1]["assignments"]
    elif value == "TWICE" and path == ("groups",):
        value = content["groups"] * 2
    elif value == "TWICE":
        value = content["groups"][0]["students"] * 2
    _set(path, value)(content)
    before = recorded(client)
    response = client.post(PLANS, json=draft_body(world, content), headers=coordinator)
    assert response.status_code == 422, response.json
    assert (error_of(response)["code"], error_of(response)["details"]["field"]) == ("invalid-input", field)
    assert recorded(client) == before


PATTERN_ERRORS = {
    "a Tuesday start": ({"start": "2027-03-02"}, ("details", "start")),
    "a start on 31 April": ({"start": "2027-04-31"}, ("fields", "start")),
    "negative school weeks": ({"school_weeks": -1}, ("fields", "school_weeks")),
    "no groups": ({"groups": 0}, ("fields", "groups")),
    "cycles as words": ({"cycles": "three"}, ("fields", "cycles")),
    "more groups than students": ({"groups": 3}, ("details", "groups")),
    "no students": ({"students": []}, ("fields", "students")),
    "a term of a hundred years": ({"school_weeks": 52, "enterprise_weeks": 52, "cycles": 52}, ("fields", "cycles")),
    "enterprise weeks left out": ({"enterprise_weeks": _DELETE}, ("fields", "enterprise_weeks")),
    "zero hours a week": ({"hours_per_week": 0}, ("fields", "hours_per_week")),
}


@pytest.mark.parametrize("case", PATTERN_ERRORS)
def test_given_a_malformed_pattern_when_a_plan_is_generated_then_422_naming_the_field_and_nothing_is_recorded(
    client, world, coordinator, case
) -> None:
    students = [str(world.placed(name)) for name in ("Liu Yang", "Zhou Min")]
    changes, (where, field) = PATTERN_ERRORS[case]
    pattern = {k: v for k, v in {**PATTERN, "students": students, **changes}.items() if v is not _DELETE}
    before = recorded(client)
    response = client.post(f"{PLANS}/generated", headers=coordinator, json={
        "school_id": str(world.school), "cohort": "mechatronics-2024", "title": "Generated", "pattern": pattern})
    assert response.status_code == 422, response.json
    if where == "fields":
        assert field in error_of(response)["fields"]["json"]["pattern"], error_of(response)
    else:
        assert error_of(response)["details"]["field"] == field, error_of(response)
    assert recorded(client) == before


REPLACEMENTS = {
    "neither": (lambda w, s: {}, "content"),
    "both": (lambda w, s: {"content": w.alternating([s]), "pattern": {**PATTERN, "groups": 1, "students": [str(s)]}},
             "pattern"),
    "content null": (lambda w, s: {"content": None}, "content"),
    "a pattern with only a start": (lambda w, s: {"pattern": {"start": "2027-03-01"}}, "pattern"),
}


@pytest.mark.parametrize("case", REPLACEMENTS)
def test_given_a_draft_when_its_replacement_has_not_exactly_one_of_content_or_pattern_then_422_naming_it(
    client, world, coordinator, case
) -> None:
    student = world.placed()
    plan_id = drafted(client, world, coordinator, world.alternating([student]))
    body, field = REPLACEMENTS[case]
    before = recorded(client)
    response = client.put(f"{PLANS}/{plan_id}/draft", json=body(world, student), headers=coordinator)
    assert response.status_code == 422, response.json
    assert field in error_of(response)["fields"]["json"]
    assert recorded(client) == before


def test_given_a_body_that_is_not_json_or_not_an_object_then_a_client_error_and_nothing_is_recorded(
    client, world, coordinator
) -> None:
    not_json = client.post(PLANS, data='{"title": ', headers={**coordinator, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and error_of(not_json)["status"] == 400
    a_list = client.post(PLANS, json=[1, 2], headers=coordinator)
    assert a_list.status_code == 422, a_list.json
    assert recorded(client) == 0


@pytest.mark.parametrize("overrides, field", [
    ([{"key": "centre-over-capacity:x:2027-W13", "justification": "  "}], "justification"),
    ([{"key": "", "justification": "because"}], "key"),
    ([{"justification": "because"}], "key"),
    ([{"key": "k", "justification": "why"}, {"key": "k", "justification": "why not"}], None),
    ("all of them", None),
])
def test_given_a_draft_when_published_with_malformed_overrides_then_422_naming_them(
    client, world, coordinator, trio, overrides, field
) -> None:
    plan_id = drafted(client, world, coordinator, world.alternating(trio))
    before = recorded(client)
    response = client.post(f"{PLANS}/{plan_id}/publication", json={"overrides": overrides}, headers=coordinator)
    assert response.status_code == 422, response.json
    errors = error_of(response)["fields"]["json"]["overrides"]
    if field:
        assert field in errors["0"], errors
    assert recorded(client) == before


def test_given_a_draft_when_an_override_names_a_conflict_it_does_not_have_then_409_naming_the_key(
    client, world, coordinator, trio
) -> None:
    plan_id = drafted(client, world, coordinator, world.alternating(trio))
    overrides = [{"key": k, "justification": JUSTIFICATION} for k in [*over_capacity_keys(world), "made-up"]]
    response = client.post(f"{PLANS}/{plan_id}/publication", json={"overrides": overrides}, headers=coordinator)
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["details"]["keys"]) == (
        "override-matches-no-conflict", ["made-up"])


@pytest.mark.parametrize("body, field", [
    ({"reason": "   "}, "reason"),
    ({"reason": None}, "reason"),
    ({"content": _DELETE}, "content"),
    ({"reason": _DELETE}, "reason"),
])
def test_given_a_published_plan_when_a_revision_is_malformed_then_422_naming_the_field(
    client, world, coordinator, body, field
) -> None:
    student = world.placed()
    content = world.alternating([student])
    plan_id = published(client, world, coordinator, content)
    sent = {"content": with_enterprise_hours(content, 36), "reason": "shorter weeks", **body}
    sent = {k: v for k, v in sent.items() if v is not _DELETE}
    before = recorded(client)
    response = client.post(f"{PLANS}/{plan_id}/revisions", json=sent, headers=coordinator)
    assert response.status_code == 422, response.json
    assert field in error_of(response)["fields"]["json"]
    assert recorded(client) == before


@pytest.mark.parametrize("query, status, field", [
    ("from=1", 422, "to"),
    ("to=1", 422, "from"),
    ("from=0&to=1", 422, "from"),
    ("from=1&to=-2", 422, "to"),
    ("from=one&to=1", 422, "from"),
    ("from=1&to=2", 404, None),
    ("from=9&to=1", 404, None),
])
def test_given_a_plan_with_one_revision_when_changes_are_asked_between_bad_revisions_then_422_or_404(
    client, world, coordinator, query, status, field
) -> None:
    plan_id = published(client, world, coordinator, world.alternating([world.placed()]))
    response = client.get(f"{PLANS}/{plan_id}/changes?{query}", headers=coordinator)
    assert response.status_code == status, response.json
    if field:
        assert field in error_of(response)["fields"]["query"]
    else:
        assert error_of(response)["code"] == "not-found"


def test_given_plans_when_listed_by_a_school_id_that_is_no_uuid_then_422_naming_it(client, coordinator) -> None:
    response = client.get(f"{PLANS}?school_id=QTC", headers=coordinator)
    assert response.status_code == 422
    assert "school_id" in error_of(response)["fields"]["query"]


# -- unknown things ---------------------------------------------------------------------------------
def test_given_no_such_plan_when_any_route_names_it_then_404(client, world, coordinator) -> None:
    unknown, content = uuid4(), world.alternating([world.placed()])
    for method, path, body in [
        ("get", "", None), ("get", "/conflicts", None), ("get", "/revisions", None), ("get", "/revisions/1", None),
        ("get", "/changes?from=1&to=1", None), ("put", "/draft", {"content": content}),
        ("post", "/publication", {}), ("post", "/revisions", {"content": content, "reason": "why"}),
    ]:
        response = getattr(client, method)(f"{PLANS}/{unknown}{path}", json=body, headers=coordinator)
        assert response.status_code == 404, (method, path, response.json)
        assert error_of(response)["code"] == "not-found"
    assert client.get(f"{PLANS}/not-a-plan", headers=coordinator).status_code == 404
    assert recorded(client) == 0


def test_given_a_published_plan_when_a_revision_number_it_has_not_is_asked_then_404(
    client, world, coordinator
) -> None:
    plan_id = published(client, world, coordinator, world.alternating([world.placed()]))
    for number in (0, 2, 99999999999):
        response = client.get(f"{PLANS}/{plan_id}/revisions/{number}", headers=coordinator)
        assert response.status_code == 404, response.json
    assert client.get(f"{PLANS}/{plan_id}/revisions/-1", headers=coordinator).status_code == 404


def test_given_a_draft_when_it_names_an_unknown_school_student_or_centre_then_404_and_nothing_is_recorded(
    client, world
) -> None:
    admin = bearer(Role.ADMIN, "admin-1")
    student = world.placed()
    unknown_school = client.post(PLANS, json={**draft_body(world, world.alternating([student])),
                                              "school_id": str(uuid4())}, headers=admin)
    unknown_student = client.post(PLANS, json=draft_body(world, world.alternating([student, uuid4()])),
                                  headers=admin)
    unknown_centre = client.post(PLANS, json=draft_body(world, world.alternating([student], uuid4())),
                                 headers=admin)
    assert [r.status_code for r in (unknown_school, unknown_student, unknown_centre)] == [404, 404, 404]
    assert recorded(client) == 0


def test_given_a_student_of_another_school_when_drafted_into_the_plan_then_409_naming_the_rule(
    client, world, coordinator
) -> None:
    stranger = world.placed("Wang Lei", school=world.other_school)
    response = client.post(PLANS, json=draft_body(world, world.alternating([world.placed(), stranger])),
                           headers=coordinator)
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["details"]["student_id"]) == (
        "student-of-another-school", str(stranger))
    assert str(world.other_school) not in response.get_data(as_text=True), "nor which school the student is of"


# -- rules of the plan's life -----------------------------------------------------------------------
def test_given_a_published_plan_when_published_again_then_409_plan_already_published(
    client, world, coordinator
) -> None:
    plan_id = published(client, world, coordinator, world.alternating([world.placed()]))
    before = recorded(client)
    response = client.post(f"{PLANS}/{plan_id}/publication", json={}, headers=coordinator)
    assert response.status_code == 409
    assert error_of(response)["code"] == "plan-already-published"
    assert recorded(client) == before


def test_given_a_draft_when_a_revision_is_posted_then_409_plan_not_published(client, world, coordinator) -> None:
    content = world.alternating([world.placed()])
    plan_id = drafted(client, world, coordinator, content)
    response = client.post(f"{PLANS}/{plan_id}/revisions", headers=coordinator,
                           json={"content": with_enterprise_hours(content, 36), "reason": "shorter weeks"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "plan-not-published"
    assert client.get(f"{PLANS}/{plan_id}/revisions", headers=coordinator).json == []


def test_given_a_published_plan_when_its_draft_is_replaced_or_a_revision_changes_nothing_then_409_naming_the_rule(
    client, world, coordinator
) -> None:
    content = world.alternating([world.placed()])
    plan_id = published(client, world, coordinator, content)
    replaced = client.put(f"{PLANS}/{plan_id}/draft", json={"content": content}, headers=coordinator)
    assert (replaced.status_code, error_of(replaced)["code"]) == (409, "plan-published")
    same = client.post(f"{PLANS}/{plan_id}/revisions", json={"content": content, "reason": "no change"},
                       headers=coordinator)
    assert (same.status_code, error_of(same)["code"]) == (409, "revision-changes-nothing")


def test_given_a_draft_read_at_version_1_when_it_changed_since_then_if_match_1_gets_409_and_nothing_is_recorded(
    client, world, coordinator
) -> None:
    student = world.placed()
    plan_id = drafted(client, world, coordinator, world.alternating([student]))
    etag = client.get(f"{PLANS}/{plan_id}", headers=coordinator).headers["ETag"]
    first = client.put(f"{PLANS}/{plan_id}/draft", json={"content": world.alternating([student], hours=36)},
                       headers={**coordinator, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'

    before = recorded(client)
    stale = client.put(f"{PLANS}/{plan_id}/draft", json={"content": world.alternating([student], hours=32)},
                       headers={**coordinator, "If-Match": etag})
    assert stale.status_code == 409
    assert (error_of(stale)["code"], error_of(stale)["details"]["version"]) == ("version-conflict", 2)
    stale_publication = client.post(f"{PLANS}/{plan_id}/publication", json={},
                                    headers={**coordinator, "If-Match": etag})
    assert stale_publication.status_code == 409 and error_of(stale_publication)["code"] == "version-conflict"
    not_a_version = client.put(f"{PLANS}/{plan_id}/draft", json={"content": world.alternating([student])},
                               headers={**coordinator, "If-Match": "yesterday"})
    assert not_a_version.status_code == 400
    assert recorded(client) == before
    assert client.get(f"{PLANS}/{plan_id}", headers=coordinator).json["content"]["blocks"][1]["hours_per_week"] == 36

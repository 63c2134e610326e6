"""The wire format: CloudEvents binary mode, readable without our code."""

from __future__ import annotations

import json

import pytest
from eventsourcing.persistence import Notification

from services.common.identity import Actor, CommandContext, Role
from services.placements.application import PlacementsApplication
from toolkit.cloudevents import CloudEventEncoder, NotACloudEvent, decode

pytestmark = pytest.mark.unit


@pytest.fixture
def app() -> PlacementsApplication:
    return PlacementsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def first_notifications(app: PlacementsApplication) -> list[Notification]:
    return list(app.notifications(1, 100))


def test_given_a_stored_event_when_encoded_then_headers_carry_the_cloudevents_attributes(app) -> None:
    ctx = CommandContext(Actor("admin-7", Role.ADMIN), correlation_id="req-42")
    result = app.register_enterprise(ctx, name="Haier", registration_number="9137")
    record = CloudEventEncoder(app, "placements").encode(first_notifications(app)[0])
    headers = dict(record.headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == f"{result.id}:1".encode()
    assert headers["ce_type"] == b"dualtrack.placements.EnterpriseRegistered.v1"
    assert headers["ce_source"] == b"/dualtrack/placements"
    assert headers["ce_subject"] == str(result.id).encode()
    assert headers["content-type"] == b"application/json"
    assert headers["ce_actor"] == b"admin-7" and headers["ce_actorrole"] == b"admin"
    assert headers["ce_correlationid"] == b"req-42"
    assert record.key == str(result.id).encode()
    assert json.loads(record.value) == {"name": "Haier", "registration_number": "9137"}


def test_given_an_encoded_record_when_decoded_then_the_same_event_comes_back(app) -> None:
    ctx = CommandContext(Actor("admin-7", Role.ADMIN), correlation_id="req-42")
    enterprise = app.register_enterprise(ctx, name="Haier")
    centre = app.open_centre(ctx, enterprise_id=enterprise.id, name="W", address="A", capacity=3, specialities=["x"])
    app.change_centre_capacity(ctx, centre.id, capacity=4, reason="bigger room")
    encoder = CloudEventEncoder(app, "placements")
    records = encoder.encode_all(first_notifications(app))
    event = decode(records[-1].headers, records[-1].value, topic="t", partition=2, offset=9)
    assert event.type == "dualtrack.placements.CentreCapacityChanged.v1"
    assert event.subject == str(centre.id) and event.aggregate_version == 2
    assert event.data == {"capacity": 4, "previous_capacity": 3}
    assert event.extensions["hasreason"] == "true" and "reason" not in event.extensions
    assert not any(b"bigger room" in v for _, v in records[-1].headers), "a reason is free text: never published"
    assert (event.topic, event.partition, event.offset) == ("t", 2, 9)


def test_given_a_record_without_cloudevents_headers_when_decoded_then_it_is_refused_with_its_position() -> None:
    with pytest.raises(NotACloudEvent, match=r"missing headers .* at t\[0\]@5"):
        decode([("ce_id", b"x")], b"{}", topic="t", partition=0, offset=5)


def test_given_every_event_type_then_the_fast_encoding_equals_the_schema_dump_of_the_domain_event(tmp_path) -> None:
    from contracts.events import BY_EVENT_TOPIC
    from dualtrack.bootstrap import Container
    from dualtrack.demo import seed_demo
    from tests.conftest import make_settings

    container = Container(make_settings(tmp_path / "var", "memory:"))  # the encoding does not depend on the store
    seed_demo(container)
    topics = set()
    for context, app in container.apps().items():
        notifications = list(app.notifications(1, 10_000))
        topics |= {n.topic for n in notifications}
        encoder = CloudEventEncoder(app, context)
        for n in notifications:
            fast = encoder.encode(n)
            plan = encoder._plans[n.topic]
            slow = encoder._encode_via_domain_event(n, plan, str(n.originator_id).encode())
            assert fast == slow, n.topic
    assert topics == set(BY_EVENT_TOPIC), "the demo exercises every published type"
    container.close()


def test_given_free_text_in_a_stored_event_when_encoded_then_only_a_reference_to_it_is_published(app) -> None:
    from datetime import date

    ctx = CommandContext(Actor("admin-7", Role.ADMIN), correlation_id="req-42")
    enterprise = app.register_enterprise(ctx, name="Haier")
    centre = app.open_centre(ctx, enterprise_id=enterprise.id, name="W", address="A", capacity=3, specialities=["x"])
    app.assign_mentor(ctx, centre.id, mentor_id="m-1", name="Wang Fang")
    school = app.register_school(ctx, name="QTC", code="QTC", rule_set="default")
    student = app.enrol_student(ctx, school.id, name="Liu Yang", major="x", cohort=2024,
                                enrolment_date=date(2024, 9, 1), date_of_birth=date(2005, 4, 12)).id
    placement = app.propose_placement(ctx, student, centre_id=centre.id, start=date(2026, 3, 2),
                                      planned_end=date(2026, 7, 10), post="assembly technician",
                                      weekly_hours=40).placement_id
    app.withdraw_placement(ctx, student, placement, reason="hand injury, two weeks' rest")
    records = CloudEventEncoder(app, "placements").encode_all(first_notifications(app))
    wire = b"".join(r.value + b"".join(v for _, v in r.headers) for r in records)
    for personal in (b"Wang Fang", b"Liu Yang", b"2005-04-12", b"hand injury"):
        assert personal not in wire, personal
    by_type = {dict(r.headers)["ce_type"].decode(): r for r in records}
    assert json.loads(by_type["dualtrack.placements.MentorAssigned.v2"].value) == {"mentor_id": "m-1"}
    proposed = json.loads(by_type["dualtrack.placements.PlacementProposed.v2"].value)
    assert proposed["capacity_override_justified"] is False and "capacity_override_justification" not in proposed
    assert dict(by_type["dualtrack.placements.PlacementWithdrawn.v1"].headers)["ce_hasreason"] == b"true"

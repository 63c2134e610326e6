"""Competency catalogues belong to the deployment's administrators (every school of a major trains by one): a school's
coordinator files a change request with a reason, an administrator approves it (the change applies from its date, with
the request's reason, exactly as the direct command would) or rejects it with a reason. Requests are checked as the
change would be when filed, and again when approved."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.errors import InvalidInput, NotAllowed, NotFound, RuleViolated
from tests.service.training_world import TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

MAJOR = "mechatronics"


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def in_force(tw: TrainingWorld, day: date) -> dict[str, int]:
    return {c.code: c.target_hours for c in tw.training.get_catalogue(MAJOR).in_force(day)}


def test_given_a_coordinators_request_when_an_admin_approves_it_then_the_change_applies_with_the_requests_reason(
    tw: TrainingWorld,
) -> None:
    t = tw.training
    before = t.max_position()
    request_id = t.request_catalogue_change(tw.other_coordinator, MAJOR, change="revise-target", code="M1",
                                           target_hours=150, effective_from=date(2027, 2, 1),
                                           reason="new drive units").request_id
    assert in_force(tw, date(2027, 3, 1))["M1"] == 120, "nothing changes before the approval"
    [request] = t.catalogue_requests(tw.coordinator, MAJOR)
    assert (request.status, request.school_id, request.reason, request.requested_by) == (
        "pending", str(tw.other_school), "new drive units", "coord-jinan")
    t.approve_catalogue_change(tw.admin, MAJOR, request_id)
    assert in_force(tw, date(2027, 3, 1))["M1"] == 150
    requested, approved, revised = tw.events(before + 1)
    assert [type(e).__name__ for e in (requested, approved, revised)] == [
        "CatalogueChangeRequested", "CatalogueChangeApproved", "CompetencyTargetRevised"]
    assert (revised.meta.subject, revised.meta.reason, revised.meta.business_date) == (
        tw.admin.actor.subject, "new drive units", date(2027, 2, 1))
    assert t.catalogue_requests(tw.admin, MAJOR)[0].status == "approved"
    with pytest.raises(RuleViolated) as twice:
        t.approve_catalogue_change(tw.admin, MAJOR, request_id)
    assert twice.value.rule == "request-decided"


def test_given_requests_to_add_and_retire_when_approved_or_rejected_then_only_the_approved_one_applies(
    tw: TrainingWorld,
) -> None:
    t = tw.training
    added = t.request_catalogue_change(tw.coordinator, MAJOR, change="define", code="M4", title="Maintain hydraulics",
                                       target_hours=40, scale="five-point", effective_from=date(2026, 12, 1),
                                       reason="the new press line").request_id
    retired = t.request_catalogue_change(tw.coordinator, MAJOR, change="retire", code="M3",
                                         effective_from=date(2027, 1, 1), reason="taught at school").request_id
    t.approve_catalogue_change(tw.admin, MAJOR, added)
    t.reject_catalogue_change(tw.admin, MAJOR, retired, reason="every centre still inducts its own")
    assert in_force(tw, date(2027, 2, 1)) == {"M1": 120, "M2": 80, "M3": 20, "M4": 40}
    decided = {r.request_id: r for r in t.catalogue_requests(tw.auditor(), MAJOR)}
    assert (decided[retired].status, decided[retired].decision_reason) == (
        "rejected", "every centre still inducts its own")


def test_given_who_asks_then_coordinators_and_admins_request_and_only_admins_decide(tw: TrainingWorld) -> None:
    t = tw.training
    for ctx in (tw.teacher(), tw.mentor(tw.workshop), tw.auditor()):
        with pytest.raises(NotAllowed):
            t.request_catalogue_change(ctx, MAJOR, change="retire", code="M3", effective_from=date(2027, 1, 1),
                                       reason="r")
    request_id = t.request_catalogue_change(tw.coordinator, MAJOR, change="retire", code="M3",
                                            effective_from=date(2027, 1, 1), reason="r").request_id
    for ctx in (tw.coordinator, tw.other_coordinator, tw.mentor(tw.workshop)):
        before = t.max_position()
        with pytest.raises(NotAllowed) as refusal:
            t.approve_catalogue_change(ctx, MAJOR, request_id)
        assert refusal.value.details["rule"] == "catalogue-owner"
        with pytest.raises(NotAllowed):
            t.reject_catalogue_change(ctx, MAJOR, request_id, reason="r")
        assert t.max_position() == before
    with pytest.raises(NotAllowed):
        t.catalogue_requests(tw.mentor(tw.workshop), MAJOR)


def test_given_a_request_that_breaks_the_catalogues_rules_then_it_is_refused_when_filed_and_when_approved(
    tw: TrainingWorld,
) -> None:
    t = tw.training
    ask = tw.coordinator
    before = t.max_position()
    for rule, fields in (
        ("competency-exists", {"change": "define", "code": "M2", "title": "again", "target_hours": 10,
                               "scale": "percent"}),
        ("assessment-scale", {"change": "define", "code": "M5", "title": "x", "target_hours": 10,
                              "scale": "ten-point"}),
        ("effective-date-order", {"change": "retire", "code": "M1", "effective_from": date(2025, 12, 1)}),
    ):
        with pytest.raises(RuleViolated) as refusal:
            t.request_catalogue_change(ask, MAJOR, **{"effective_from": date(2027, 1, 1), "reason": "r", **fields})
        assert refusal.value.rule == rule
    for field, fields in (("title", {"change": "define", "code": "M5", "target_hours": 1, "scale": "percent"}),
                          ("target_hours", {"change": "revise-target", "code": "M1"}),
                          ("scale", {"change": "retire", "code": "M1", "scale": "percent"}),
                          ("change", {"change": "rename", "code": "M1"})):
        with pytest.raises(InvalidInput) as invalid:
            t.request_catalogue_change(ask, MAJOR, effective_from=date(2027, 1, 1), reason="r", **fields)
        assert invalid.value.details["field"] == field
    with pytest.raises(NotFound):
        t.request_catalogue_change(ask, MAJOR, change="retire", code="M9", effective_from=date(2027, 1, 1), reason="r")
    assert t.max_position() == before
    first = t.request_catalogue_change(ask, MAJOR, change="retire", code="M3", effective_from=date(2027, 1, 1),
                                       reason="taught at school").request_id
    t.retire_competency(tw.admin, MAJOR, "M3", effective_from=date(2027, 2, 1), reason="the admin was quicker")
    with pytest.raises(RuleViolated) as stale:
        t.approve_catalogue_change(tw.admin, MAJOR, first)
    assert stale.value.rule == "competency-retired"
    assert t.catalogue_requests(tw.admin, MAJOR)[0].status == "pending"

"""The training centre aggregate's rules, without any infrastructure."""

from __future__ import annotations

import pytest

from events.base import EventMeta
from events.placements import CentreCapacityChanged, CentreClosed, MentorAssigned
from services.common.errors import RuleViolated
from services.placements.domain import Enterprise, TrainingCentre

pytestmark = pytest.mark.unit

META = EventMeta(subject="admin-1", role="admin", correlation_id="c-1")


def open_centre(capacity: int = 10) -> TrainingCentre:
    enterprise = Enterprise.register(name="ACME", registration_number=None, meta=META)
    return TrainingCentre.open(
        enterprise_id=enterprise.id, name="Workshop", address="1 Road", capacity=capacity,
        specialities=["welding", "mechatronics", "welding"], meta=META,
    )


def test_given_a_new_centre_then_its_specialities_are_unique_and_sorted() -> None:
    assert open_centre().specialities == ["mechatronics", "welding"]


def test_given_a_capacity_below_one_when_opening_then_the_rule_refuses_it() -> None:
    with pytest.raises(RuleViolated) as refused:
        open_centre(capacity=0)
    assert refused.value.rule == "capacity-positive"


def test_given_an_open_centre_when_its_capacity_changes_then_the_event_keeps_the_previous_capacity() -> None:
    centre = open_centre(capacity=10)
    centre.change_capacity(12, META)
    event = centre.collect_events()[-1]
    assert isinstance(event, CentreCapacityChanged)
    assert (event.previous_capacity, event.capacity, centre.capacity) == (10, 12, 12)


def test_given_the_same_capacity_when_changed_then_nothing_is_recorded() -> None:
    centre = open_centre(capacity=10)
    centre.collect_events()
    centre.change_capacity(10, META)
    assert centre.collect_events() == []


def test_given_a_mentor_already_assigned_when_assigned_again_then_the_rule_refuses_it() -> None:
    centre = open_centre()
    centre.assign_mentor("m-1", "Wang Fang", META)
    with pytest.raises(RuleViolated) as refused:
        centre.assign_mentor("m-1", "Wang Fang", META)
    assert refused.value.rule == "mentor-already-assigned"


def test_given_a_mentor_not_assigned_when_withdrawn_then_the_rule_refuses_it() -> None:
    with pytest.raises(RuleViolated) as refused:
        open_centre().withdraw_mentor("nobody", META)
    assert refused.value.rule == "mentor-not-assigned"


def test_given_a_closed_centre_then_it_refuses_capacity_changes_mentors_and_a_second_closure() -> None:
    centre = open_centre()
    centre.close(META)
    assert isinstance(centre.collect_events()[-1], CentreClosed)
    for action in (lambda: centre.change_capacity(3, META), lambda: centre.assign_mentor("m", "M", META),
                   lambda: centre.close(META)):
        with pytest.raises(RuleViolated) as refused:
            action()
        assert refused.value.rule == "centre-closed"


def test_given_events_with_metadata_then_each_carries_who_did_it_and_why() -> None:
    centre = open_centre()
    reasoned = EventMeta(subject="mentor-7", role="mentor", correlation_id="c-9", reason="new hall")
    centre.assign_mentor("m-1", "Li Wei", META)
    centre.change_capacity(20, reasoned)
    assigned, changed = centre.collect_events()[-2:]
    assert isinstance(assigned, MentorAssigned) and assigned.meta == META
    assert changed.meta.reason == "new hall" and changed.meta.subject == "mentor-7"

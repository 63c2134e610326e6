"""The placements context's command handlers on a real event store (SQLite files and PostgreSQL)."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest

from dualtrack.bootstrap import Container
from services.common.errors import NotAllowed, NotFound, RuleViolated, VersionConflict
from services.common.identity import CommandContext, Role
from tests.conftest import context_for
from tests.service.placement_world import World, build_world

pytestmark = pytest.mark.stored


def open_one(container: Container, admin: CommandContext, capacity: int = 10):
    app = container.placements
    enterprise = app.register_enterprise(admin, name="Haier", registration_number="9137")
    centre = app.open_centre(admin, enterprise_id=enterprise.id, name="Workshop", address="1 Road",
                             capacity=capacity, specialities=["mechatronics"])
    return enterprise, centre


def test_given_commands_when_recorded_then_the_centre_reloads_with_its_state(container, admin) -> None:
    _, centre = open_one(container, admin)
    app = container.placements
    app.change_centre_capacity(admin, centre.id, capacity=12, reason="new hall")
    app.assign_mentor(admin, centre.id, mentor_id="m-1", name="Wang Fang")
    app.assign_mentor(admin, centre.id, mentor_id="m-2", name="Li Wei")
    app.withdraw_mentor(admin, centre.id, mentor_id="m-1", reason="moved to Hefei")
    loaded = app.get_centre(centre.id)
    assert (loaded.capacity, loaded.mentors, loaded.version) == (12, {"m-2": "Li Wei"}, 5)


def test_given_commands_then_every_stored_event_records_actor_correlation_id_and_reason(container) -> None:
    coordinator_admin = context_for(Role.ADMIN, "admin-9")
    _, centre = open_one(container, coordinator_admin)
    container.placements.close_centre(coordinator_admin, centre.id, reason="site sold")
    app = container.placements
    events = [app.mapper.to_domain_event(n) for n in app.notifications(1, 10)]
    assert [e.meta.subject for e in events] == ["admin-9"] * 3
    assert {e.meta.correlation_id for e in events} == {"corr-admin-9"}
    assert events[-1].meta.reason == "site sold"


def test_given_a_command_then_its_result_gives_the_version_and_log_position(container, admin) -> None:
    enterprise, centre = open_one(container, admin)
    assert (enterprise.position, centre.position, centre.version) == (1, 2, 1)
    changed = container.placements.change_centre_capacity(admin, centre.id, capacity=3)
    assert (changed.version, changed.position) == (2, 3)


def test_given_an_unknown_id_then_not_found(container, admin) -> None:
    with pytest.raises(NotFound):
        container.placements.change_centre_capacity(admin, uuid4(), capacity=3)
    enterprise, _ = open_one(container, admin)
    with pytest.raises(NotFound):  # an enterprise is not a centre
        container.placements.close_centre(admin, enterprise.id, reason="x")


def test_given_a_stale_expected_version_then_a_version_conflict(container, admin) -> None:
    _, centre = open_one(container, admin)
    container.placements.change_centre_capacity(admin, centre.id, capacity=11, expected_version=1)
    with pytest.raises(VersionConflict):
        container.placements.change_centre_capacity(admin, centre.id, capacity=12, expected_version=1)


def test_given_concurrent_changes_of_one_centre_then_one_succeeds_and_the_others_conflict(container, admin) -> None:
    _, centre = open_one(container, admin)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def change(capacity: int) -> None:
        barrier.wait()
        try:
            container.placements.change_centre_capacity(admin, centre.id, capacity=capacity, expected_version=1)
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=change, args=(20 + i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    assert container.placements.get_centre(centre.id).version == 2


def test_given_a_closed_centre_then_changes_are_refused_naming_the_rule(container, admin) -> None:
    _, centre = open_one(container, admin)
    container.placements.close_centre(admin, centre.id, reason="site sold")
    with pytest.raises(RuleViolated) as refused:
        container.placements.assign_mentor(admin, centre.id, mentor_id="m", name="M")
    assert refused.value.rule == "centre-closed"


def test_given_an_enterprise_admin_of_the_enterprise_then_they_manage_its_centres_but_its_mentors_and_another_enterprises_admins_do_not(
        container, admin) -> None:
    enterprise, centre = open_one(container, admin)
    other = container.placements.register_enterprise(admin, name="CRRC")
    own_admin = context_for(Role.ENTERPRISE_ADMIN, "ea-own", enterprise_id=str(enterprise.id))
    own_mentor = context_for(Role.MENTOR, "m-own", enterprise_id=str(enterprise.id))
    foreign_admin = context_for(Role.ENTERPRISE_ADMIN, "ea-foreign", enterprise_id=str(other.id))
    app = container.placements
    app.assign_mentor(own_admin, centre.id, mentor_id="m-own", name="Own")
    app.change_centre_capacity(own_admin, centre.id, capacity=11, reason="new hall")
    second = app.open_centre(own_admin, enterprise_id=enterprise.id, name="Annex", address="2 Road", capacity=1,
                             specialities=["mechatronics"])
    before = app.max_position()
    for refused in (own_mentor, foreign_admin):
        with pytest.raises(NotAllowed):
            app.assign_mentor(refused, centre.id, mentor_id="m-other", name="Other")
        with pytest.raises(NotAllowed):
            app.withdraw_mentor(refused, centre.id, mentor_id="m-own", reason="r")
        with pytest.raises(NotAllowed):
            app.change_centre_capacity(refused, centre.id, capacity=1, reason="r")
        with pytest.raises(NotAllowed):
            app.close_centre(refused, second.id, reason="r")
        with pytest.raises(NotAllowed):
            app.open_centre(refused, enterprise_id=enterprise.id, name="X", address="Y", capacity=1,
                            specialities=["z"])
    assert app.max_position() == before
    app.close_centre(own_admin, second.id, reason="merged into the workshop")
    assert app.get_centre(centre.id).mentors == {"m-own": "Own"}


def test_given_a_mentor_of_the_enterprise_when_assigning_themself_to_a_centre_then_not_allowed_as_they_manage_nothing(
        container, admin) -> None:
    enterprise, centre = open_one(container, admin)
    mentor = context_for(Role.MENTOR, "m-own", enterprise_id=str(enterprise.id))
    with pytest.raises(NotAllowed):
        container.placements.assign_mentor(mentor, centre.id, mentor_id="m-own", name="Own")
    assert container.placements.get_centre(centre.id).mentors == {}


def test_given_an_enterprise_admin_when_assigning_themself_mentor_then_no_self_grant_and_another_admin_may(
        container, admin) -> None:
    enterprise, centre = open_one(container, admin)
    zhou = context_for(Role.ENTERPRISE_ADMIN, "ea-zhou", enterprise_id=str(enterprise.id))
    qian = context_for(Role.ENTERPRISE_ADMIN, "ea-qian", enterprise_id=str(enterprise.id))
    before = container.placements.max_position()
    for named in ("ea-zhou", " ea-zhou "):
        with pytest.raises(RuleViolated) as refused:
            container.placements.assign_mentor(zhou, centre.id, mentor_id=named, name="Zhou")
        assert (refused.value.rule, refused.value.details["mentor_id"]) == ("no-self-grant", named)
    assert container.placements.max_position() == before
    container.placements.assign_mentor(qian, centre.id, mentor_id="ea-zhou", name="Zhou")
    assert container.placements.get_centre(centre.id).mentors == {"ea-zhou": "Zhou"}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TEACHER, Role.AUDITOR, Role.STUDENT, Role.MENTOR,
                                  Role.ENTERPRISE_ADMIN, Role.GUARDIAN])
def test_given_a_role_other_than_admin_when_registering_an_enterprise_then_not_allowed(container, role) -> None:
    with pytest.raises(NotAllowed):
        container.placements.register_enterprise(context_for(role, "x", school_id="s", enterprise_id="e",
                                                             student_id="st"), name="Nope")
    assert container.placements.max_position() == 0


# -- a placement's last approvals from two threads at once (the world of the placement rules tests) -----------------


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def test_given_two_students_last_approvals_at_once_for_the_last_place_then_only_one_place_is_booked(
    world: World,
) -> None:
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    placements = {}
    for student in (first, second):
        placements[student] = world.propose(student, world.depot)
        world.approve_all(student, placements[student], order=("school", "enterprise"))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def confirm(student) -> None:
        barrier.wait()
        try:
            world.approve("student", student, placements[student])
            outcomes.append("agreed")
        except VersionConflict:
            outcomes.append("conflict")
        except RuleViolated as error:
            outcomes.append(error.rule)

    threads = [threading.Thread(target=confirm, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) in (["agreed", "centre-capacity"], ["agreed", "conflict"])
    assert len(world.bookings(world.depot)) == 1
    statuses = sorted(world.placement(s, placements[s]).status for s in (first, second))
    assert statuses == ["agreed", "proposed"]

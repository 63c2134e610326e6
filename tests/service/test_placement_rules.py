"""The placement rules and who may do what, through the PlacementsApplication on in-memory event stores.

Each refusal names its rule (`RuleViolated.rule`) and, where there are any, the conflicting objects in its
details; a refused command records nothing. Rule sets are versioned by effective date (unit tests at the
end, and one at the service level).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.common import rules as rules_module
from services.common.errors import DomainError, NotAllowed, RuleViolated
from services.common.identity import Role
from services.common.rules import RuleSet, UnknownRuleSet, rule_set_in_force
from tests.service.placement_world import World, as_, build_world, names

pytestmark = pytest.mark.rules

START, END = date(2026, 3, 2), date(2026, 6, 30)


@pytest.fixture
def world(container) -> World:
    return build_world(container)


def refused(world: World, rule: str, command: Callable[..., Any], *args: Any, **kwargs: Any) -> RuleViolated:
    """Run a command that must be refused by `rule`, and check that nothing was recorded."""
    before = world.app.max_position()
    with pytest.raises(RuleViolated) as caught:
        command(*args, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert world.app.max_position() == before
    return caught.value


def minor(world: World, school=None, *, born: date = date(2009, 6, 30), enrolled: date = date(2024, 9, 1)):
    return world.enrol("He Xiaoyu", major="mechatronics", born=born, enrolled=enrolled, school=school,
                       guardian_name="He Jianguo", guardian_contact="+86 138 0000 1234")


# -- a student's own periods -----------------------------------------------------------------------


def test_given_a_placement_when_an_overlapping_period_is_proposed_then_placements_overlap_names_the_placements(
    world: World,
) -> None:
    student = world.enrol()
    first = world.propose(student, world.workshop, START, END)  # proposed placements count already
    error = refused(world, "placements-overlap", world.propose, student, world.depot, END, date(2026, 8, 31))
    assert error.details["conflicting_placements"] == [first]
    second = world.propose(student, world.depot, date(2026, 7, 1), date(2026, 8, 31))  # the day after: fine
    error = refused(world, "placements-overlap", world.propose, student, world.depot, date(2026, 2, 2),
                    date(2026, 9, 30))
    assert sorted(error.details["conflicting_placements"]) == sorted([first, second])
    world.app.withdraw_placement(world.coordinator, student, first, reason="cancelled")
    again = world.propose(student, world.workshop, START, END)  # a withdrawn placement holds no period
    assert world.placement(student, again).status == "proposed"


def test_given_a_stopped_placement_then_it_holds_the_student_only_until_its_stop_date(world: World) -> None:
    student = world.enrol()
    placement = world.activate(student, world.agree(student))
    world.app.stop_placement(world.coordinator, student, placement, on=date(2026, 4, 30), reason_code="academic")
    error = refused(world, "placements-overlap", world.propose, student, world.depot, date(2026, 4, 30), END)
    assert error.details["conflicting_placements"] == [placement]
    world.propose(student, world.depot, date(2026, 5, 1), END)


def test_given_an_amendment_pending_when_a_placement_is_proposed_in_the_amended_period_then_the_two_never_overlap(
    world: World,
) -> None:
    """The amendment (moving the placement to May-June) was checked against the student's other placements when
    proposed; a placement proposed for May-June afterwards must not end up overlapping it once it is agreed."""
    student = world.enrol()
    moved = world.agree(student, world.workshop, START, date(2026, 4, 30))
    world.app.amend_placement(world.coordinator, student, moved, start=date(2026, 5, 4), planned_end=END,
                              post="assembly technician", weekly_hours=40, reason="the line starts later")
    for step in (lambda: world.propose(student, world.depot, date(2026, 5, 4), END),
                 lambda: world.approve("school", student, moved),
                 lambda: world.approve("enterprise", student, moved)):
        try:
            step()
        except RuleViolated as error:
            assert error.rule == "placements-overlap"
    held = [(p.terms.start, p.end) for p in world.app.get_student(world.admin, student).placements.values()
            if p.status != "withdrawn"]
    overlapping = [(a, b) for i, a in enumerate(held) for b in held[i + 1:] if a[0] <= b[1] and b[0] <= a[1]]
    assert overlapping == []


def test_given_an_active_placement_when_the_next_one_is_activated_before_it_ends_then_one_active_placement(
    world: World,
) -> None:
    student = world.enrol()
    first = world.activate(student, world.agree(student, world.workshop, date(2026, 1, 5), date(2026, 3, 31)))
    second = world.agree(student, world.depot, date(2026, 4, 1), END)
    error = refused(world, "one-active-placement", world.app.activate_placement, world.coordinator, student, second,
                    on=date(2026, 4, 1))
    assert error.details["conflicting_placements"] == [first]
    world.app.pause_placement(world.coordinator, student, first, on=date(2026, 3, 2), reason="exams")
    error = refused(world, "one-active-placement", world.app.activate_placement, world.coordinator, student, second,
                    on=date(2026, 4, 1))  # a paused placement still holds the student
    assert error.details["conflicting_placements"] == [first]
    world.app.resume_placement(world.coordinator, student, first, on=date(2026, 3, 16))
    world.app.complete_placement(world.coordinator, student, first, on=date(2026, 3, 31))
    world.activate(student, second, on=date(2026, 4, 1))
    assert [p.status for p in world.app.get_student(world.admin, student).placements.values()] == [
        "completed", "active"]


# -- a centre's places ------------------------------------------------------------------------------


def test_given_booked_places_then_capacity_counts_the_placements_overlapping_at_once_within_the_period(
    world: World,
) -> None:
    """The workshop has two places; placements in March-April and May-June share one of them."""
    a, b, c, d, e = (world.enrol(name) for name in ("A", "B", "C", "D", "E"))
    proposed_only = world.propose(e, world.workshop, date(2026, 4, 1), date(2026, 5, 29))  # holds no place
    march_april = world.agree(a, world.workshop, START, date(2026, 4, 30))
    may_june = world.agree(b, world.workshop, date(2026, 5, 4), END)
    whole = world.agree(c, world.workshop, START, END)  # never more than two at once
    error = refused(world, "centre-capacity", world.propose, d, world.workshop, date(2026, 4, 1), date(2026, 5, 29))
    assert sorted(error.details["conflicting_placements"]) == sorted([march_april, may_june, whole])
    assert proposed_only not in error.details["conflicting_placements"]
    assert (error.details["centre_id"], error.details["capacity"], error.details["occupancy"]) == (
        str(world.workshop), 2, 2)
    later = world.agree(d, world.workshop, date(2026, 7, 1), date(2026, 8, 31))
    assert set(world.bookings(world.workshop)) == {march_april, may_june, whole, later}
    assert "CapacityOverrideGranted" not in names(world.events())


def test_given_a_full_centre_when_a_justified_override_is_given_then_the_place_is_booked_and_the_override_recorded(
    world: World,
) -> None:
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    holder = world.agree(first, world.depot)  # the depot's only place
    error = refused(world, "centre-capacity", world.propose, second, world.depot, date(2026, 4, 1),
                    date(2026, 5, 29))
    assert error.details["conflicting_placements"] == [holder]
    refused(world, "centre-capacity", world.propose, second, world.depot, date(2026, 4, 1), date(2026, 5, 29),
            capacity_override_justification="   ")
    placement = world.propose(second, world.depot, date(2026, 4, 1), date(2026, 5, 29),
                              capacity_override_justification="a second bench was lent by the Qingdao centre")
    assert "CapacityOverrideGranted" not in names(world.events())  # recorded when the place is booked
    world.approve_all(second, placement, order=("school", "student", "enterprise"))
    assert set(world.bookings(world.depot)) == {holder, placement}
    override, booked = world.events()[-2:]
    assert (type(override).__name__, type(booked).__name__) == ("CapacityOverrideGranted", "PlaceBooked")
    assert (override.originator_id, override.placement_id, override.capacity, override.occupancy) == (
        world.depot, placement, 1, 2)
    assert override.justification == "a second bench was lent by the Qingdao centre"
    assert (override.justified_by, override.meta.subject) == ("coord-chen", "ea-qian")


def test_given_an_override_justification_that_turns_out_unneeded_then_no_override_is_recorded(world: World) -> None:
    student = world.enrol()
    world.agree(student, world.depot, capacity_override_justification="just in case")
    assert "CapacityOverrideGranted" not in names(world.events())


def test_given_a_place_taken_after_the_proposal_when_the_last_party_approves_then_centre_capacity_refuses_it(
    world: World,
) -> None:
    first, second = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    late = world.propose(second, world.depot)
    world.approve_all(second, late, order=("school", "enterprise"))
    early = world.agree(first, world.depot)
    error = refused(world, "centre-capacity", world.approve, "student", second, late)
    assert error.details["conflicting_placements"] == [early]
    assert world.placement(second, late).status == "proposed"
    assert set(world.bookings(world.depot)) == {early}


def test_given_a_major_the_centre_does_not_train_then_a_reason_is_needed_and_the_override_is_recorded(
    world: World,
) -> None:
    student = world.enrol(major="welding")
    error = refused(world, "major-not-trained-at-centre", world.propose, student, world.workshop)
    assert (error.details["major"], error.details["specialities"], error.details["centre_id"]) == (
        "welding", ["industrial-robotics", "mechatronics"], str(world.workshop))
    refused(world, "major-not-trained-at-centre", world.propose, student, world.workshop,
            speciality_override_reason="  ")
    placement = world.propose(student, world.workshop, speciality_override_reason="welding of the robot frames")
    proposed, override = world.events()[-2:]
    assert type(proposed).__name__ == "PlacementProposed"
    assert (type(override).__name__, override.placement_id, override.major, override.specialities) == (
        "SpecialityMismatchOverridden", placement, "welding", ["industrial-robotics", "mechatronics"])
    assert (override.meta.reason, override.meta.subject) == ("welding of the robot frames", "coord-chen")


def test_given_a_closed_centre_then_it_takes_no_new_placement(world: World) -> None:
    student = world.enrol()
    world.app.close_centre(world.admin, world.depot, reason="site sold")
    error = refused(world, "centre-closed", world.propose, student, world.depot,
                    capacity_override_justification="even so", speciality_override_reason="even so")
    assert error.details["centre_id"] == str(world.depot)


def test_given_terms_then_the_period_order_the_weekly_hours_cap_and_the_kind_are_checked(world: World) -> None:
    student = world.enrol()
    refused(world, "period-order", world.propose, student, world.workshop, END, START)
    for hours in (0, 41):
        error = refused(world, "weekly-hours-cap", world.propose, student, world.workshop, weekly_hours=hours)
        assert (error.details["weekly_hours"], error.details["rule_set"]) == (hours, "default")
    error = refused(world, "placement-kind", world.propose, student, world.workshop, kind="summer-camp")
    assert error.details["kind"] == "summer-camp"
    one_day = world.propose(student, world.workshop, START, START, weekly_hours=40, kind="cognitive")
    assert world.placement(student, one_day).terms.planned_end == START


# -- approvals and confirmation ----------------------------------------------------------------------


def test_given_approvals_then_the_mentor_must_be_at_the_centre_and_each_party_approves_a_version_once(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    error = refused(world, "mentor-not-at-centre", world.app.approve_placement_as_enterprise,
                    world.enterprise_admin(world.haier), student, placement, mentor_id="m-zhao")
    assert (error.details["mentor_id"], error.details["mentors"]) == ("m-zhao", ["m-wang"])
    world.approve("school", student, placement)
    refused(world, "already-approved", world.approve, "school", student, placement)
    world.approve("enterprise", student, placement)
    refused(world, "already-approved", world.approve, "enterprise", student, placement)
    world.approve("student", student, placement)
    refused(world, "not-awaiting-confirmation", world.approve, "student", student, placement)
    for party in ("school", "enterprise"):
        error = refused(world, "nothing-to-approve", world.approve, party, student, placement)
        assert error.details["status"] == "agreed"


def test_given_a_student_who_confirmed_then_a_second_confirmation_is_refused(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student)
    world.approve("student", student, placement)
    refused(world, "already-confirmed", world.approve, "student", student, placement)
    world.app.withdraw_placement(world.coordinator, student, placement, reason="cancelled")
    refused(world, "not-awaiting-confirmation", world.approve, "student", student, placement)


def test_given_a_minor_then_enrolment_needs_a_guardian_and_the_date_of_birth_comes_before_enrolment(
    world: World,
) -> None:
    app = world.app
    error = refused(world, "guardian-required", app.enrol_student, world.coordinator, world.school, name="Ma Lin",
                    major="welding", cohort=2024, enrolment_date=date(2024, 9, 1), date_of_birth=date(2008, 1, 20))
    assert error.details["age"] == 16
    refused(world, "date-of-birth-before-enrolment", app.enrol_student, world.coordinator, world.school, name="X",
            major="welding", cohort=2024, enrolment_date=date(2024, 9, 1), date_of_birth=date(2024, 9, 1))
    with_guardian = world.enrol("Ma Lin", born=date(2008, 1, 20), guardian_name="Ma Qiang",
                                guardian_contact="+86 139 0000 0000")
    adult = world.enrol("Liu Yang", born=date(2006, 9, 1))  # 18 on the day of enrolment: no guardian needed
    shown = app.get_student(world.admin, with_guardian)
    assert (shown.guardian_name, shown.guardian_contact) == ("Ma Qiang", "+86 139 0000 0000")
    assert app.get_student(world.admin, adult).guardian_name is None


def test_given_a_minor_when_enrolled_with_a_blank_guardian_name_then_guardian_required(world: World) -> None:
    refused(world, "guardian-required", world.app.enrol_student, world.coordinator, world.school, name="Ma Lin",
            major="welding", cohort=2024, enrolment_date=date(2024, 9, 1), date_of_birth=date(2008, 1, 20),
            guardian_name="   ", guardian_contact="+86 139 0000 0000")


def test_given_a_minor_at_the_start_then_their_guardian_confirms_with_their_own_account_by_the_enrolled_name(
    world: World,
) -> None:
    student = minor(world)  # 16 when the placement starts
    placement = world.propose(student)
    error = refused(world, "guardian-consent-required", world.approve, "student", student, placement)
    assert (error.details["placement_id"], error.details["rule_set"]) == (placement, "default")
    classmate = world.enrol("Zhou Jie")
    before = world.app.max_position()
    for name in (None, "", "Someone Else", "He Jianguo"):  # the student never confirms "as guardian"
        with pytest.raises(NotAllowed):
            world.approve("student", student, placement, confirmed_by="guardian", guardian_name=name)
    with pytest.raises(NotAllowed):
        world.app.confirm_placement(world.guardian(classmate), student, placement)
    assert world.app.max_position() == before
    world.approve("guardian", student, placement)
    confirmation = world.events()[-1]
    assert (type(confirmation).__name__, confirmation.confirmed_by, confirmation.guardian_name) == (
        "PlacementConfirmedByStudent", "guardian", "He Jianguo")
    assert (confirmation.meta.subject, confirmation.meta.role) == (f"guardian-{student}", "guardian")
    world.approve_all(student, placement, order=("school", "enterprise"))
    shown = world.placement(student, placement)
    assert (shown.status, shown.confirmed_by) == ("agreed", "guardian")


def test_given_a_student_enrolled_as_a_minor_who_is_adult_at_the_start_then_they_confirm_themselves(
    world: World,
) -> None:
    student = minor(world, born=date(2008, 3, 1))  # 16 at enrolment, 18 on 2026-03-01
    placement = world.propose(student, start=date(2026, 3, 2))
    world.approve("student", student, placement)
    assert world.placement(student, placement).confirmed_by == "student"


def test_given_a_student_without_an_enrolled_guardian_when_a_guardian_confirms_then_guardian_mismatch(
    world: World,
) -> None:
    student = world.enrol()  # an adult, enrolled without a guardian
    placement = world.propose(student)
    refused(world, "guardian-mismatch", world.approve, "guardian", student, placement)


# -- the Chinese vocational internship rule set --------------------------------------------------------


def test_given_the_vocational_rules_then_a_student_under_sixteen_at_the_start_is_not_placed(world: World) -> None:
    student = minor(world, world.vocational_school, born=date(2010, 6, 1), enrolled=date(2024, 9, 1))
    error = refused(world, "minimum-age", world.propose, student, start=date(2026, 5, 29), end=END)
    assert (error.details["age"], error.details["rule_set"]) == (15, "cn-vocational-internship")
    placement = world.propose(student, start=date(2026, 6, 1), end=END)  # sixteen that day
    assert world.placement(student, placement).status == "proposed"
    young = minor(world, born=date(2010, 6, 1))  # the default rules set no minimum age
    world.propose(young, start=date(2026, 5, 29), end=END)


def test_given_the_vocational_rules_then_no_post_internship_in_the_first_year_but_a_cognitive_one_is_allowed(
    world: World,
) -> None:
    student = world.enrol("Sun Li", born=date(2007, 1, 1), enrolled=date(2025, 9, 1), school=world.vocational_school)
    error = refused(world, "no-first-year-post-internship", world.propose, student, start=START, end=END)
    assert error.details["rule_set"] == "cn-vocational-internship"
    refused(world, "no-first-year-post-internship", world.propose, student, start=date(2026, 8, 31),
            end=date(2026, 10, 30))
    cognitive = world.propose(student, start=START, end=date(2026, 3, 13), kind="cognitive")
    post = world.propose(student, start=date(2026, 9, 1), end=date(2026, 10, 30))  # a year after enrolment
    assert {world.placement(student, p).kind for p in (cognitive, post)} == {"cognitive", "post"}
    first_year = world.enrol("Li Na", born=date(2007, 1, 1), enrolled=date(2025, 9, 1))  # default rules allow it
    world.propose(first_year, start=START, end=END)


def test_given_the_vocational_rules_then_a_minor_needs_their_guardian_to_confirm(world: World) -> None:
    student = minor(world, world.vocational_school)
    placement = world.propose(student, world.workshop, date(2026, 9, 1), date(2026, 10, 30))
    error = refused(world, "guardian-consent-required", world.approve, "student", student, placement)
    assert error.details["rule_set"] == "cn-vocational-internship"
    world.approve_all(student, placement, order=("enterprise", "school"))
    world.approve("guardian", student, placement)
    assert world.placement(student, placement).status == "agreed"


def test_given_the_vocational_rules_when_an_agreed_post_internship_is_amended_into_the_first_year_then_it_is_refused(
    world: World,
) -> None:
    """Amended terms follow the same eligibility rules as proposed ones."""
    student = world.enrol("Sun Li", born=date(2007, 1, 1), enrolled=date(2025, 9, 1), school=world.vocational_school)
    placement = world.agree(student, world.workshop, date(2026, 9, 1), date(2026, 10, 30))
    error = refused(world, "no-first-year-post-internship", world.app.amend_placement, world.vocational_coordinator,
                    student, placement, start=date(2026, 6, 1), planned_end=date(2026, 10, 30), post="line assistant",
                    weekly_hours=40, reason="the line starts in June")
    assert error.details["rule_set"] == "cn-vocational-internship"


# -- rule sets by effective date --------------------------------------------------------------------------


def test_given_rule_set_names_then_the_version_in_force_on_a_date_is_found() -> None:
    default = rule_set_in_force("default", date(2026, 3, 2))
    assert (default.name, default.max_hours_per_week, default.min_age, default.first_year_post_internships) == (
        "default", 40, None, True)
    strict = rule_set_in_force("cn-vocational-internship", date(2022, 1, 1))  # in force from that very day
    assert (strict.min_age, strict.first_year_post_internships, strict.guardian_confirms_for_minors) == (
        16, False, True)
    before_first = rule_set_in_force("cn-vocational-internship", date(2021, 12, 31))  # its first version applies
    assert before_first == strict
    with pytest.raises(UnknownRuleSet):
        rule_set_in_force("no-such-rules", date(2026, 3, 2))


def test_given_several_versions_of_a_rule_set_then_each_date_gets_the_latest_version_in_force(monkeypatch) -> None:
    v1 = RuleSet("strict", date(2024, 1, 1), "first")
    v2 = RuleSet("strict", date(2026, 9, 1), "second", max_hours_per_week=30)
    v3 = RuleSet("strict", date(2025, 1, 1), "between", max_hours_per_week=35)
    monkeypatch.setitem(rules_module.RULE_SETS, "strict", (v1, v2, v3))
    assert rule_set_in_force("strict", date(2024, 12, 31)) is v1
    assert rule_set_in_force("strict", date(2025, 1, 1)) is v3
    assert rule_set_in_force("strict", date(2026, 8, 31)) is v3
    assert rule_set_in_force("strict", date(2026, 9, 1)) is v2
    assert rule_set_in_force("strict", date(2030, 1, 1)) is v2


def test_given_a_new_rule_set_version_then_placements_starting_from_its_date_follow_it_and_earlier_ones_do_not(
    world: World, monkeypatch,
) -> None:
    default = rules_module.RULE_SETS["default"]
    monkeypatch.setitem(rules_module.RULE_SETS, "default", default + (
        RuleSet("default", date(2026, 9, 1), "from September: at most 30 h a week", max_hours_per_week=30),))
    student = world.enrol()
    summer = world.agree(student, start=date(2026, 6, 1), end=date(2026, 8, 31), weekly_hours=40)
    error = refused(world, "weekly-hours-cap", world.propose, student, world.workshop, date(2026, 9, 1),
                    date(2026, 10, 30), weekly_hours=35)
    assert error.details["rule_set"] == "default"
    world.propose(student, world.workshop, date(2026, 9, 1), date(2026, 10, 30), weekly_hours=30)
    assert world.placement(student, summer).terms.weekly_hours == 40  # the past is not rewritten
    refused(world, "unknown-rule-set", world.app.register_school, world.admin, name="X", code="X",
            rule_set="no-such-rules")


def test_given_a_school_on_rules_not_yet_in_force_at_an_enrolment_date_then_the_answer_is_a_domain_answer(
    world: World,
) -> None:
    """The vocational rules are in force from 2022-01-01; a student enrolled in 2021 is still placed in 2026. Before
    a rule set's first version took effect, that first version answers (a school applies the rules it adopts to the
    records it already had): the answers are the rules' own, never an internal error. Qian Hao was 16 when enrolled,
    a minor under them: refused for want of a guardian, enrolled with one, then placed under the vocational rules."""
    error = refused(world, "guardian-required", world.enrol, "Qian Hao", born=date(2005, 3, 1),
                    enrolled=date(2021, 9, 1), school=world.vocational_school)
    assert error.details == {"age": 16}
    student = minor(world, world.vocational_school, born=date(2005, 3, 1), enrolled=date(2021, 9, 1))
    enrolled = world.app.get_student(world.admin, student)
    assert (enrolled.school_id, enrolled.enrolment_date) == (str(world.vocational_school), date(2021, 9, 1))
    error = refused(world, "weekly-hours-cap", world.propose, student, world.workshop, START, END, weekly_hours=41)
    assert error.details == {"weekly_hours": 41, "rule_set": "cn-vocational-internship"}
    placement = world.propose(student, world.workshop, START, END, weekly_hours=40)
    assert world.placement(student, placement).status == "proposed"


# -- who may do what ----------------------------------------------------------------------------------------


def commands(world: World, student, placement: str) -> dict[str, Callable[[Any], Any]]:
    """Every command on the student's placement (at the workshop), as a function of who asks."""
    app = world.app
    return {
        "enrol": lambda ctx: app.enrol_student(ctx, world.school, name="N", major="mechatronics", cohort=2024,
                                               enrolment_date=date(2024, 9, 1), date_of_birth=date(2004, 1, 1)),
        "propose": lambda ctx: app.propose_placement(ctx, student, centre_id=world.depot, start=date(2026, 9, 1),
                                                     planned_end=date(2026, 10, 30), post="x", weekly_hours=40),
        "approve-as-school": lambda ctx: app.approve_placement_as_school(ctx, student, placement),
        "approve-as-enterprise": lambda ctx: app.approve_placement_as_enterprise(ctx, student, placement,
                                                                                 mentor_id="m-wang"),
        "confirm": lambda ctx: app.confirm_placement(ctx, student, placement),
        "activate": lambda ctx: app.activate_placement(ctx, student, placement, on=START),
        "pause": lambda ctx: app.pause_placement(ctx, student, placement, on=date(2026, 4, 1), reason="r"),
        "resume": lambda ctx: app.resume_placement(ctx, student, placement, on=date(2026, 4, 8)),
        "stop": lambda ctx: app.stop_placement(ctx, student, placement, on=date(2026, 5, 1), reason_code="health"),
        "complete": lambda ctx: app.complete_placement(ctx, student, placement, on=END),
        "withdraw": lambda ctx: app.withdraw_placement(ctx, student, placement, reason="r"),
        "transfer": lambda ctx: app.transfer_placement(ctx, student, placement, to_centre_id=world.depot,
                                                       on=date(2026, 5, 4), reason="r"),
        "amend": lambda ctx: app.amend_placement(ctx, student, placement, start=START, planned_end=END, post="x",
                                                 weekly_hours=30, reason="r"),
    }


def not_allowed(world: World, ctx, student, placement: str, which: list[str] | None = None) -> dict[str, str]:
    """Try the commands as ctx; map each to 'not-allowed' or what else happened. Nothing may be recorded."""
    outcomes = {}
    for name, command in commands(world, student, placement).items():
        if which is not None and name not in which:
            continue
        before = world.app.max_position()
        try:
            command(ctx)
            outcomes[name] = "accepted"
        except NotAllowed:
            outcomes[name] = "not-allowed"
            assert world.app.max_position() == before, name
        except DomainError as error:
            outcomes[name] = getattr(error, "rule", type(error).__name__)
    return outcomes


def test_given_a_coordinator_of_another_school_then_every_command_on_the_student_is_not_allowed(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    outcomes = not_allowed(world, world.other_coordinator, student, placement)
    assert outcomes == {name: "not-allowed" for name in outcomes}
    with pytest.raises(NotAllowed):
        world.app.get_student(world.other_coordinator, student)
    assert world.placement(student, placement).school_approved is None


def test_given_a_mentor_of_another_enterprise_then_they_neither_approve_nor_run_the_placement(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student)
    foreign = world.mentor(world.depot)  # CRRC's mentor; the placement is at Haier's workshop
    outcomes = not_allowed(world, foreign, student, placement)
    assert outcomes == {name: "not-allowed" for name in outcomes}
    with pytest.raises(NotAllowed):
        world.app.get_student(foreign, student)


def test_given_a_mentor_of_the_placements_enterprise_then_they_activate_pause_and_resume_and_no_more(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    own = world.mentor(world.workshop)
    not_theirs = ["enrol", "propose", "approve-as-school", "approve-as-enterprise", "confirm", "stop", "complete",
                  "withdraw", "transfer", "amend"]
    outcomes = not_allowed(world, own, student, placement, not_theirs)
    assert outcomes == {name: "not-allowed" for name in not_theirs}  # a mentor does not approve for the enterprise
    world.approve_all(student, placement, order=("school", "enterprise", "student"))
    world.app.activate_placement(own, student, placement, on=START)
    world.app.pause_placement(own, student, placement, on=date(2026, 4, 1), reason="machine broken")
    world.app.resume_placement(own, student, placement, on=date(2026, 4, 8))
    assert world.placement(student, placement).status == "active"
    by_type = {type(e).__name__: e for e in world.events()}
    assert {by_type[n].meta.subject for n in ("PlacementActivated", "PlacementPaused", "PlacementResumed")} == {
        "m-wang"}
    assert world.app.get_student(own, student).id == student  # the host reads its student's record


def test_given_an_enterprise_admin_of_the_placements_enterprise_then_they_approve_naming_a_mentor_and_run_it(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    own = world.enterprise_admin(world.haier)
    school_only = ["enrol", "propose", "approve-as-school", "confirm", "stop", "complete", "withdraw", "transfer",
                   "amend"]
    outcomes = not_allowed(world, own, student, placement, school_only)
    assert outcomes == {name: "not-allowed" for name in school_only}
    world.app.approve_placement_as_enterprise(own, student, placement, mentor_id="m-wang")
    world.approve_all(student, placement, order=("school", "student"))
    world.app.activate_placement(own, student, placement, on=START)
    world.app.pause_placement(own, student, placement, on=date(2026, 4, 1), reason="machine broken")
    world.app.resume_placement(own, student, placement, on=date(2026, 4, 8))
    shown = world.placement(student, placement)
    assert (shown.status, shown.mentor_id) == ("active", "m-wang")
    by_type = {type(e).__name__: e for e in world.events()}
    assert {by_type[n].meta.subject for n in ("PlacementApprovedByEnterprise", "PlacementActivated",
                                              "PlacementPaused", "PlacementResumed")} == {"ea-zhou"}
    assert world.app.get_student(own, student).id == student  # the host reads its student's record


def test_given_an_enterprise_admin_of_another_enterprise_then_they_neither_approve_nor_run_the_placement(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    foreign = world.enterprise_admin(world.crrc)  # the placement is at Haier's workshop
    outcomes = not_allowed(world, foreign, student, placement)
    assert outcomes == {name: "not-allowed" for name in outcomes}
    with pytest.raises(NotAllowed):
        world.app.get_student(foreign, student)


def test_given_an_enterprise_admin_who_is_also_a_mentor_of_the_centre_when_approving_naming_themself_then_no_self_grant(
    world: World,
) -> None:
    student = world.enrol()
    placement = world.propose(student)
    himself = world.enterprise_admin(world.haier, subject="m-wang")  # the workshop's mentor, as enterprise admin
    error = refused(world, "no-self-grant", world.app.approve_placement_as_enterprise, himself, student, placement,
                    mentor_id="m-wang")
    assert error.details["mentor_id"] == "m-wang"
    assert world.placement(student, placement).enterprise_approved is None
    world.approve("enterprise", student, placement)  # another enterprise admin names them
    assert world.placement(student, placement).mentor_id == "m-wang"


def test_given_a_guardian_then_they_confirm_their_students_placement_and_do_nothing_else(world: World) -> None:
    student = minor(world)
    placement = world.propose(student)
    guardian = world.guardian(student)
    not_theirs = [name for name in commands(world, student, placement) if name != "confirm"]
    assert not_allowed(world, guardian, student, placement, not_theirs) == {name: "not-allowed" for name in not_theirs}
    world.app.confirm_placement(guardian, student, placement)
    assert world.placement(student, placement).confirmed_by == "guardian"
    assert world.app.get_student(guardian, student).id == student  # a guardian reads what the student reads
    classmate = world.enrol("Zhou Jie")
    with pytest.raises(NotAllowed):
        world.app.get_student(guardian, classmate)


def test_given_a_placement_then_only_the_student_themself_or_their_guardian_confirms_it(world: World) -> None:
    student, classmate = world.enrol("Liu Yang"), world.enrol("Zhou Jie")
    placement = world.propose(student)
    others = [world.coordinator, world.mentor(world.workshop), world.enterprise_admin(world.haier), world.admin,
              world.student(classmate), world.guardian(classmate), as_(Role.AUDITOR, "auditor-1")]
    for ctx in others:
        assert not_allowed(world, ctx, student, placement, ["confirm"]) == {"confirm": "not-allowed"}, ctx.actor
    world.app.confirm_placement(world.student(student), student, placement)
    assert world.placement(student, placement).confirmed_by == "student"
    with pytest.raises(NotAllowed):
        world.app.get_student(world.student(classmate), student)


def test_given_an_auditor_then_they_read_everything_and_change_nothing(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student)
    auditor = as_(Role.AUDITOR, "auditor-1")
    outcomes = not_allowed(world, auditor, student, placement)
    assert outcomes == {name: "not-allowed" for name in outcomes}
    for command in (lambda: world.app.register_school(auditor, name="S", code="S"),
                    lambda: world.app.register_enterprise(auditor, name="E"),
                    lambda: world.app.close_centre(auditor, world.workshop, reason="r")):
        with pytest.raises(NotAllowed):
            command()
    assert set(world.app.get_student(auditor, student).placements) == {placement}


def test_given_the_students_school_coordinator_and_an_admin_then_they_run_the_school_side(world: World) -> None:
    student = world.enrol()
    placement = world.propose(student, by=world.admin)
    world.app.approve_placement_as_school(world.admin, student, placement)
    world.app.approve_placement_as_enterprise(world.admin, student, placement, mentor_id="m-wang")
    world.approve("student", student, placement)
    world.app.activate_placement(world.coordinator, student, placement, on=START)
    world.app.stop_placement(world.admin, student, placement, on=date(2026, 4, 30), reason_code="safety")
    assert world.placement(student, placement).status == "stopped"
    assert world.placement(student, placement).proposed_by == "admin-1"


def test_given_a_withdrawn_proposal_then_the_enterprise_it_was_proposed_to_no_longer_reads_the_student(
    container,
) -> None:
    from tests.service.placement_world import build_world

    world = build_world(container)
    student = world.enrol()
    placement = world.propose(student)
    mentor = world.mentor(world.workshop)
    assert world.app.get_student(mentor, student).id == student  # asked to host: may read
    world.app.withdraw_placement(world.coordinator, student, placement, reason="cancelled")
    with pytest.raises(NotAllowed):
        world.app.get_student(mentor, student)

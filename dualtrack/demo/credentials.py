"""The credentials part of the demo: an X certificate listed, awarded, converted and revoked, and an order class
whose students their school proposed and the enterprise accepted (one declined)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DEMO_TODAY, DemoIds, acting_as
from services.common.identity import CommandContext, Role


def seed_credentials(container: Container, ids: DemoIds) -> None:
    """An X certificate with two levels and a conversion rule; Liu eligible and awarded (credits deposited and
    converted, the award's number amended); Ma awarded by override, then revoked (everything reversed); CRRC's
    order class: the Qingdao college proposes Liu and Zhou, CRRC's mentor accepts them."""
    credentials = container.credentials
    clock = credentials.today
    credentials.today = lambda: DEMO_TODAY
    try:
        admin = CommandContext.for_system("certificate-office")
        coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
        liu, zhou, ma, _ = (UUID(s) for s in ids.students)
        if not credentials.has_certificate("X-RTM"):
            credentials.list_certificate(
                admin, code="X-RTM", title="Rail transit vehicle maintenance",
                awarding_organisation="CRRC Vocational Skills Assessment Centre",
                levels=[
                    {"level": "junior", "credits": 4, "requirements": [
                        {"competency": "MEC-01", "min_signed_hours": 6, "min_assessment": 3},
                        {"competency": "MEC-03", "min_signed_hours": 2, "min_assessment": None}]},
                    {"level": "intermediate", "credits": 8, "requirements": [
                        {"competency": "MEC-01", "min_signed_hours": 120, "min_assessment": 4},
                        {"competency": "MEC-02", "min_signed_hours": 80, "min_assessment": 70}]},
                ])
            credentials.adopt_conversion_rule(admin, "X-RTM", level="junior", effective_from=date(2026, 9, 1),
                                              conversions=[{"course": "MEC-201 Drive systems", "credits": 3,
                                                            "exempt": True}])
        award_id = credentials.award_certificate(admin, liu, certificate_code="X-RTM", level="junior",
                                                 certificate_number="RTM-J-2026-0117").award_id
        credentials.amend_award(admin, liu, award_id, awarded_on=DEMO_TODAY, certificate_number="RTM-J-2026-0171",
                                reason="digits transposed on the paper certificate")
        credentials.convert_credits(coordinator, liu, award_id)
        ma_award = credentials.award_certificate(
            admin, ma, certificate_code="X-RTM", level="junior",
            override_reason="assessed at the national skills contest instead").award_id
        credentials.convert_credits(coordinator, ma, ma_award)
        credentials.revoke_award(admin, ma, ma_award, reason="the contest result was annulled")
        zhao = acting_as(Role.MENTOR, "mentor-zhao", enterprise_id=ids.enterprises[1])
        order = credentials.order_class(
            zhao,
            enterprise_id=UUID(ids.enterprises[1]),
            name="CRRC bogie fitters 2027", students=10, major="mechatronics",
            certificates=[{"code": "X-RTM", "level": "junior"}], deadline=date(2027, 6, 30))
        credentials.propose_students_for_order(coordinator, order.id, student_ids=[str(liu), str(zhou)])
        credentials.accept_students_for_order(zhao, order.id, student_ids=[str(liu), str(zhou)])
    finally:
        credentials.today = clock


def seed_declined_proposal(container: Container, ids: DemoIds) -> None:
    """The college proposes Wu Hao of the spring cohort for CRRC's order class too; CRRC declines (his spring
    placement is at Haier's)."""
    credentials = container.credentials
    clock = credentials.today
    credentials.today = lambda: DEMO_TODAY
    try:
        ordered = [n for n in credentials.notifications(1, 100_000) if n.topic.endswith(":ClassOrdered")]
        order = ordered[-1].originator_id  # this load's (a forced reload orders another)
        coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
        credentials.propose_students_for_order(coordinator, order, student_ids=[ids.spring_cohort[0]])
        credentials.decline_students_for_order(acting_as(Role.MENTOR, "mentor-zhao", enterprise_id=ids.enterprises[1]),
                                               order, student_ids=[ids.spring_cohort[0]])
    finally:
        credentials.today = clock

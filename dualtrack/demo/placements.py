"""The placements part of the demo: enterprises, centres and mentors; schools under both rule sets; students (a
minor with a guardian); placements proposed, approved by school and enterprise, confirmed (by a guardian for the
minor), agreed, activated, paused and resumed, amended and re-approved, transferred, stopped, completed and
withdrawn; a capacity override and a speciality override; and the spring cohort the generated rotation plan
alternates."""

from __future__ import annotations

from datetime import date
from functools import partial
from uuid import UUID

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, acting_as, person_id
from services.common.identity import CommandContext, Role
from services.placements.application import PlacementsApplication

ENTERPRISES = [
    ("Haier Smart Home", "91370200163562681G", [
        ("Qingdao Appliance Training Centre", "1 Haier Road, Laoshan, Qingdao", 12,
         ["mechatronics", "industrial-robotics"]),
        ("Hefei Refrigeration Workshop", "88 Jinxiu Avenue, Hefei", 1, ["refrigeration", "mechatronics"]),
    ]),
    ("CRRC Qingdao Sifang", "913702007180260384", [
        ("High-Speed Train Maintenance Base", "88 Jinhongdong Road, Chengyang, Qingdao", 20,
         ["rail-maintenance", "welding"]),
    ]),
    ("Shenzhen Mindray Bio-Medical", "91440300736272532A", [
        ("Medical Devices Assembly Line", "Mindray Building, Nanshan, Shenzhen", 10,
         ["biomedical-engineering", "electronics"]),
        ("Service Engineering Lab", "Guangming Science Park, Shenzhen", 6, ["electronics"]),
    ]),
]

MENTORS = [(person_id("mentor-wang"), "Wang Fang"), (person_id("mentor-li"), "Li Wei"),
           (person_id("mentor-zhao"), "Zhao Min"), (person_id("mentor-sun"), "Sun Lei")]
"""Each centre's mentor by person id (dualtrack.demo.world.person_id of their handle) and name."""

ENTERPRISE_ADMIN_HANDLES = ["enterprise-admin-zhou", "enterprise-admin-qian", "enterprise-admin-ma"]
"""Who runs each enterprise's side (its centres, mentors and the placements it hosts), by handle."""
ENTERPRISE_ADMINS: dict[str, str] = {}
"""The enterprise admin's handle by enterprise id, as loaded."""

SPRING_COHORT = ["Wu Hao", "Sun Qi", "Zhang Min", "Guo Lei", "Lin Yue", "Xu Tao"]
"""Mechatronics class 2 of 2024, enrolled after the others' training and credentials are loaded."""


def seed_placements(container: Container) -> DemoIds:
    """Enterprises, centres and mentors; two schools; four students; their placements through every step."""
    app = container.placements
    admin = CommandContext.for_system("demo-loader")
    enterprise_ids, centre_ids = [], []
    for (name, number, centres), admin_handle in zip(ENTERPRISES, ENTERPRISE_ADMIN_HANDLES):
        enterprise = app.register_enterprise(admin, name=name, registration_number=number)
        enterprise_ids.append(str(enterprise.id))
        ENTERPRISE_ADMINS[str(enterprise.id)] = admin_handle
        for centre_name, address, capacity, specialities in centres:
            centre = app.open_centre(admin, enterprise_id=enterprise.id, name=centre_name, address=address,
                                     capacity=capacity, specialities=specialities)
            centre_ids.append(str(centre.id))
    qingdao, hefei, rail, assembly, lab = (UUID(c) for c in centre_ids)
    for (mentor_id, mentor_name), centre_id in zip(MENTORS, (qingdao, hefei, rail, assembly)):
        app.assign_mentor(admin, centre_id, mentor_id=mentor_id, name=mentor_name)
    app.assign_mentor(admin, qingdao, mentor_id=person_id("mentor-li"), name="Li Wei")
    app.withdraw_mentor(admin, qingdao, mentor_id=person_id("mentor-li"), reason="back to Hefei full time")
    app.change_centre_capacity(admin, qingdao, capacity=15, reason="second assembly hall opened")
    app.close_centre(admin, lab, reason="lab merged into the Medical Devices Assembly Line")

    school = app.register_school(admin, name="Qingdao Technician College", code="QTC", rule_set="default")
    vocational = app.register_school(admin, name="Shenzhen Polytechnic Secondary School", code="SZPS",
                                     rule_set="cn-vocational-internship")
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=str(school.id))
    vocational_coordinator = acting_as(Role.COORDINATOR, "coordinator-huang", school_id=str(vocational.id))
    enrol = partial(_enrol, app)

    liu = enrol(coordinator, school.id, "Liu Yang", "mechatronics", date(2005, 4, 12))
    zhou = enrol(coordinator, school.id, "Zhou Jie", "mechatronics", date(2005, 11, 2))
    ma = enrol(coordinator, school.id, "Ma Lin", "welding", date(2006, 1, 20))
    he = enrol(vocational_coordinator, vocational.id, "He Xiaoyu", "electronics", date(2009, 6, 30),
               guardian_name="He Jianguo", guardian_contact="he.jianguo@family.example")

    agree = partial(_agree, app, _hosts(enterprise_ids, centre_ids))

    # Liu: agreed, amended and re-approved, started, a break in learning, then moved to the rail base.
    liu_first = agree(coordinator, liu, qingdao, date(2026, 3, 2), date(2026, 7, 10), "assembly technician")
    app.amend_placement(coordinator, liu, liu_first, start=date(2026, 3, 2), planned_end=date(2026, 12, 18),
                        post="assembly technician", weekly_hours=36, reason="the enterprise extended the programme")
    app.approve_placement_as_school(coordinator, liu, liu_first)
    app.approve_placement_as_enterprise(acting_as(Role.ENTERPRISE_ADMIN, "enterprise-admin-zhou",
                                                  enterprise_id=enterprise_ids[0]), liu,
                                        liu_first, mentor_id=person_id("mentor-wang"))
    app.activate_placement(coordinator, liu, liu_first, on=date(2026, 3, 2))
    app.pause_placement(coordinator, liu, liu_first, on=date(2026, 5, 4), reason="hand injury, two weeks' rest")
    app.resume_placement(coordinator, liu, liu_first, on=date(2026, 5, 18))
    liu_second = app.transfer_placement(coordinator, liu, liu_first, to_centre_id=rail, on=date(2026, 9, 1),
                                        reason="rotation to rail maintenance", post="bogie fitter",
                                        speciality_override_reason="mechatronics covers the bogie drive systems"
                                        ).placement_id
    app.approve_placement_as_school(coordinator, liu, liu_second)
    app.approve_placement_as_enterprise(acting_as(Role.ENTERPRISE_ADMIN, "enterprise-admin-qian",
                                                  enterprise_id=enterprise_ids[1]), liu,
                                        liu_second, mentor_id=person_id("mentor-zhao"))
    app.confirm_placement(acting_as(Role.STUDENT, "student-liu", student_id=str(liu)), liu, liu_second)
    app.activate_placement(coordinator, liu, liu_second, on=date(2026, 9, 1))

    # Zhou: the one place at Hefei is taken by Ma, so Zhou's needs a recorded capacity override; later stopped.
    ma_hefei = agree(coordinator, ma, hefei, date(2026, 4, 1), date(2026, 6, 30), "refrigeration assistant",
                     speciality_override_reason="welding of refrigerant lines")
    zhou_hefei = agree(coordinator, zhou, hefei, date(2026, 4, 15), date(2026, 10, 30), "maintenance assistant",
                       capacity_override_justification="a second bench was lent by the Qingdao centre")
    app.activate_placement(coordinator, zhou, zhou_hefei, on=date(2026, 4, 15))
    app.stop_placement(coordinator, zhou, zhou_hefei, on=date(2026, 6, 12), reason_code="health",
                       reason_text="allergy to refrigerant")
    app.activate_placement(coordinator, ma, ma_hefei, on=date(2026, 4, 1))
    app.complete_placement(coordinator, ma, ma_hefei, on=date(2026, 6, 30))

    # He: a minor under the vocational rule set; the guardian confirms; one placement withdrawn.
    he_withdrawn = app.propose_placement(
        vocational_coordinator, he, centre_id=assembly, start=date(2026, 9, 7), planned_end=date(2026, 10, 30),
        post="line assistant", weekly_hours=30).placement_id
    app.withdraw_placement(vocational_coordinator, he, he_withdrawn, reason="the line moved to night shifts")
    he_current = agree(vocational_coordinator, he, assembly, date(2026, 11, 2), date(2027, 1, 15), "test assistant",
                       confirm_as_guardian="guardian-he")
    app.activate_placement(vocational_coordinator, he, he_current, on=date(2026, 11, 2))

    return DemoIds(enterprise_ids, centre_ids, [str(school.id), str(vocational.id)],
                   [str(s) for s in (liu, zhou, ma, he)],
                   [liu_first, liu_second, ma_hefei, zhou_hefei, he_withdrawn, he_current])


def seed_spring_cohort(container: Container, ids: DemoIds) -> None:
    """Mechatronics class 2 of 2024, enrolled at the Qingdao college, each agreed a spring placement at Qingdao."""
    app = container.placements
    school, qingdao = UUID(ids.schools[0]), UUID(ids.centres[0])
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    enrol, agree = partial(_enrol, app), partial(_agree, app, _hosts(ids.enterprises, ids.centres))
    for n, name in enumerate(SPRING_COHORT):
        student = enrol(coordinator, school, name, "mechatronics", date(2005, 1 + n, 10 + n))
        ids.spring_cohort.append(str(student))
        ids.spring_placements.append(agree(coordinator, student, qingdao, date(2027, 3, 1), date(2027, 7, 2),
                                           "assembly apprentice"))


def seed_pipeline(container: Container, ids: DemoIds) -> None:
    """Two placements of the Qingdao college still on their way, for its coordinator's pipeline: Deng Hao's at
    Haier's Qingdao centre approved by the school and waiting for Haier; Xu Lan's at the rail base just proposed."""
    app = container.placements
    school, qingdao, rail = UUID(ids.schools[0]), UUID(ids.centres[0]), UUID(ids.centres[2])
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    deng = _enrol(app, coordinator, school, "Deng Hao", "mechatronics", date(2005, 3, 3))
    waiting = app.propose_placement(coordinator, deng, centre_id=qingdao, start=date(2027, 1, 4),
                                    planned_end=date(2027, 2, 26), post="assembly apprentice",
                                    weekly_hours=40).placement_id
    app.approve_placement_as_school(coordinator, deng, waiting)
    xu = _enrol(app, coordinator, school, "Xu Lan", "mechatronics", date(2005, 11, 21))
    proposed = app.propose_placement(coordinator, xu, centre_id=rail, start=date(2027, 1, 4),
                                     planned_end=date(2027, 2, 26), post="bogie fitter", weekly_hours=40,
                                     speciality_override_reason="mechatronics covers the bogie drive systems")
    ids.pipeline_placements.extend([str(waiting), str(proposed.placement_id)])


def _enrol(app: PlacementsApplication, ctx: CommandContext, school_id: UUID, name: str, major: str, born: date,
           **guardian: str) -> UUID:
    return app.enrol_student(ctx, school_id, name=name, major=major, cohort=2024,
                             enrolment_date=date(2024, 9, 1), date_of_birth=born, **guardian).id


def _hosts(enterprise_ids: list[str], centre_ids: list[str]) -> dict[UUID, tuple[str, str]]:
    """Who approves a placement at each open centre: its mentor, and the enterprise the centre belongs to."""
    qingdao, hefei, rail, assembly = (UUID(c) for c in centre_ids[:4])
    enterprises = [enterprise_ids[0], enterprise_ids[0], enterprise_ids[1], enterprise_ids[2]]
    return {centre: (mentor_id, enterprise_id) for centre, (mentor_id, _), enterprise_id
            in zip((qingdao, hefei, rail, assembly), MENTORS, enterprises)}


def _agree(app: PlacementsApplication, hosts: dict[UUID, tuple[str, str]], ctx: CommandContext, student: UUID,
           centre: UUID, start: date, end: date, post: str, confirm_as_guardian: str | None = None,
           speciality_override_reason: str | None = None, capacity_override_justification: str | None = None) -> str:
    """A placement proposed, approved by the school and by the enterprise (its enterprise admin, naming the centre's
    mentor), and confirmed by the student (or, given a handle, their guardian)."""
    mentor_id, enterprise_id = hosts[centre]
    placement = app.propose_placement(ctx, student, centre_id=centre, start=start, planned_end=end, post=post,
                                      weekly_hours=40, speciality_override_reason=speciality_override_reason,
                                      capacity_override_justification=capacity_override_justification).placement_id
    app.approve_placement_as_school(ctx, student, placement)
    enterprise_admin = acting_as(Role.ENTERPRISE_ADMIN, ENTERPRISE_ADMINS[enterprise_id], enterprise_id=enterprise_id)
    app.approve_placement_as_enterprise(enterprise_admin, student, placement, mentor_id=mentor_id)
    if confirm_as_guardian:  # the guardian, with their own account
        app.confirm_placement(acting_as(Role.GUARDIAN, confirm_as_guardian, student_id=str(student)), student,
                              placement)
    else:
        app.confirm_placement(acting_as(Role.STUDENT, f"student-{student}", student_id=str(student)), student,
                              placement)
    return placement

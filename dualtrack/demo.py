"""Demo data loaded by `dualtrack seed-demo` (and by `dualtrack run` on first start).

It walks every capability once, so a newcomer sees each of them in the read models and on the topic:
enterprises, centres and mentors; schools under both rule sets; students (a minor with a guardian);
placements proposed, approved by school and enterprise, confirmed (by a guardian for the minor),
agreed, activated, paused and resumed, amended and re-approved, transferred, stopped, completed and
withdrawn; a capacity override and a speciality override; competency catalogues with a revised target and
a retired competency; a week of practice logged, signed, rejected and corrected, a student's draft, a
back-filled day and a batch upload; dual sign-off with a countersignature; assessments from both sides;
an X certificate awarded, converted and revoked; rotation plans: one written by hand (with an exam week)
and one generated from a pattern, its draft changed, published over two overridden holiday conflicts,
then revised with a reason; reads of a student's personal data by an auditor and a coordinator, on record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role
from services.training.application import PracticeRow, TrainingApplication

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

MENTORS = [("mentor-wang", "Wang Fang"), ("mentor-li", "Li Wei"), ("mentor-zhao", "Zhao Min"),
           ("mentor-sun", "Sun Lei")]


@dataclass(frozen=True)
class DemoIds:
    enterprises: list[str]
    centres: list[str]
    schools: list[str]
    students: list[str]
    placements: list[str]
    spring_cohort: list[str] = field(default_factory=list)
    """Mechatronics class 2 of 2024, whom the generated spring rotation plan alternates."""
    spring_placements: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)


def seed_demo(container: Container) -> DemoIds:
    """Load the demo world through the application's command handlers, as real users would."""
    app = container.placements
    admin = CommandContext.for_system("demo-loader")
    enterprise_ids, centre_ids = [], []
    for name, number, centres in ENTERPRISES:
        enterprise = app.register_enterprise(admin, name=name, registration_number=number)
        enterprise_ids.append(str(enterprise.id))
        for centre_name, address, capacity, specialities in centres:
            centre = app.open_centre(admin, enterprise_id=enterprise.id, name=centre_name, address=address,
                                     capacity=capacity, specialities=specialities)
            centre_ids.append(str(centre.id))
    qingdao, hefei, rail, assembly, lab = (UUID(c) for c in centre_ids)
    for (mentor_id, mentor_name), centre_id in zip(MENTORS, (qingdao, hefei, rail, assembly)):
        app.assign_mentor(admin, centre_id, mentor_id=mentor_id, name=mentor_name)
    app.assign_mentor(admin, qingdao, mentor_id="mentor-li", name="Li Wei")
    app.withdraw_mentor(admin, qingdao, mentor_id="mentor-li", reason="back to Hefei full time")
    app.change_centre_capacity(admin, qingdao, capacity=15, reason="second assembly hall opened")
    app.close_centre(admin, lab, reason="lab merged into the Medical Devices Assembly Line")

    school = app.register_school(admin, name="Qingdao Technician College", code="QTC", rule_set="default")
    vocational = app.register_school(admin, name="Shenzhen Polytechnic Secondary School", code="SZPS",
                                     rule_set="cn-vocational-internship")
    coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=str(school.id))
    vocational_coordinator = _as(Role.COORDINATOR, "coordinator-huang", school_id=str(vocational.id))

    def enrol(ctx: CommandContext, school_id: UUID, name: str, major: str, born: date, **guardian: str) -> UUID:
        return app.enrol_student(ctx, school_id, name=name, major=major, cohort=2024,
                                 enrolment_date=date(2024, 9, 1), date_of_birth=born, **guardian).id

    liu = enrol(coordinator, school.id, "Liu Yang", "mechatronics", date(2005, 4, 12))
    zhou = enrol(coordinator, school.id, "Zhou Jie", "mechatronics", date(2005, 11, 2))
    ma = enrol(coordinator, school.id, "Ma Lin", "welding", date(2006, 1, 20))
    he = enrol(vocational_coordinator, vocational.id, "He Xiaoyu", "electronics", date(2009, 6, 30),
               guardian_name="He Jianguo", guardian_contact="+86 138 0000 1234")

    enterprises = {str(c): e for e, c in zip(
        [enterprise_ids[0], enterprise_ids[0], enterprise_ids[1], enterprise_ids[2]], (qingdao, hefei, rail, assembly))}
    mentors = dict(zip((qingdao, hefei, rail, assembly), (m for m, _ in MENTORS)))

    def agree(ctx: CommandContext, student: UUID, centre: UUID, start: date, end: date, post: str,
              confirm_as_guardian: str | None = None, **extra: str) -> str:
        placement = app.propose_placement(ctx, student, centre_id=centre, start=start, planned_end=end, post=post,
                                          weekly_hours=40, **extra).placement_id
        app.approve_placement_as_school(ctx, student, placement)
        mentor = _as(Role.MENTOR, mentors[centre], enterprise_id=enterprises[str(centre)])
        app.approve_placement_as_enterprise(mentor, student, placement, mentor_id=mentors[centre])
        me = _as(Role.STUDENT, f"student-{student}", student_id=str(student))
        if confirm_as_guardian:
            app.confirm_placement(me, student, placement, confirmed_by="guardian", guardian_name=confirm_as_guardian)
        else:
            app.confirm_placement(me, student, placement)
        return placement

    # Liu: agreed, amended and re-approved, started, a break in learning, then moved to the rail base.
    liu_first = agree(coordinator, liu, qingdao, date(2026, 3, 2), date(2026, 7, 10), "assembly technician")
    app.amend_placement(coordinator, liu, liu_first, start=date(2026, 3, 2), planned_end=date(2026, 12, 18),
                        post="assembly technician", weekly_hours=36, reason="the enterprise extended the programme")
    app.approve_placement_as_school(coordinator, liu, liu_first)
    app.approve_placement_as_enterprise(_as(Role.MENTOR, "mentor-wang", enterprise_id=enterprise_ids[0]), liu,
                                        liu_first, mentor_id="mentor-wang")
    app.activate_placement(coordinator, liu, liu_first, on=date(2026, 3, 2))
    app.pause_placement(coordinator, liu, liu_first, on=date(2026, 5, 4), reason="hand injury, two weeks' rest")
    app.resume_placement(coordinator, liu, liu_first, on=date(2026, 5, 18))
    liu_second = app.transfer_placement(coordinator, liu, liu_first, to_centre_id=rail, on=date(2026, 9, 1),
                                        reason="rotation to rail maintenance", post="bogie fitter",
                                        speciality_override_reason="mechatronics covers the bogie drive systems"
                                        ).placement_id
    app.approve_placement_as_school(coordinator, liu, liu_second)
    app.approve_placement_as_enterprise(_as(Role.MENTOR, "mentor-zhao", enterprise_id=enterprise_ids[1]), liu,
                                        liu_second, mentor_id="mentor-zhao")
    app.confirm_placement(_as(Role.STUDENT, f"student-{liu}", student_id=str(liu)), liu, liu_second)
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
                       confirm_as_guardian="He Jianguo")
    app.activate_placement(vocational_coordinator, he, he_current, on=date(2026, 11, 2))

    ids = DemoIds(enterprise_ids, centre_ids, [str(school.id), str(vocational.id)],
                  [str(s) for s in (liu, zhou, ma, he)],
                  [liu_first, liu_second, ma_hefei, zhou_hefei, he_withdrawn, he_current])
    _seed_training(container, ids)
    _seed_credentials(container, ids)
    for n, name in enumerate(SPRING_COHORT):
        student = enrol(coordinator, school.id, name, "mechatronics", date(2005, 1 + n, 10 + n))
        ids.spring_cohort.append(str(student))
        ids.spring_placements.append(agree(coordinator, student, qingdao, date(2027, 3, 1), date(2027, 7, 2),
                                    "assembly apprentice"))
    _seed_schedules(container, ids)
    _seed_reads(container, ids)
    return ids


DEMO_TODAY = date(2026, 11, 30)
"""The training demo is a week of practice before this day; it is loaded as if today were that day."""


def _seed_training(container: Container, ids: DemoIds) -> None:
    """Catalogues; Liu's logbook at the rail base (a week logged, signed, one entry rejected and corrected, a
    draft, a back-filled day, a batch upload); He's entries under dual sign-off; assessments from both sides."""
    training = container.training
    clock = training.today
    training.today = lambda: DEMO_TODAY  # type: ignore[method-assign]
    try:
        _training_story(container, ids)
    finally:
        training.today = clock  # type: ignore[method-assign]


def _training_story(container: Container, ids: DemoIds) -> None:
    training = container.training
    liu, liu_rail = UUID(ids.students[0]), ids.placements[1]
    coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])

    if not training.has_catalogue("mechatronics"):  # loaded again (--force): the catalogues are shared
        _seed_catalogues(training, coordinator)

    # Liu at the rail base: the plan is drawn up, one target adjusted, then a week of practice.
    training.draw_up_training_plan(coordinator, liu, liu_rail)
    training.adjust_training_target(coordinator, liu, liu_rail, "MEC-03", target_hours=24,
                                    reason="safety induction already done at the Qingdao centre")
    _practice_week(container, ids)


def _seed_catalogues(training: TrainingApplication, coordinator: CommandContext) -> None:
    start_of_year = date(2026, 1, 1)
    for code, title, hours, scale in (
        ("MEC-01", "Assemble and adjust drive units", 160, "five-point"),
        ("MEC-02", "Wire and program PLC controls", 120, "percent"),
        ("MEC-03", "Apply workplace safety procedures", 40, "pass-fail"),
    ):
        training.define_competency(coordinator, "mechatronics", code=code, title=title, target_hours=hours,
                                   scale=scale, effective_from=start_of_year)
    training.revise_competency_target(coordinator, "mechatronics", "MEC-02", target_hours=140,
                                      effective_from=date(2026, 9, 1), reason="the new PLC module adds a week")
    for code, title, hours in (("ELE-01", "Assemble printed circuit boards", 120),
                               ("ELE-02", "Test and calibrate devices", 100),
                               ("ELE-03", "Through-hole soldering", 40)):
        training.define_competency(coordinator, "electronics", code=code, title=title, target_hours=hours,
                                   scale="five-point", effective_from=start_of_year)
    training.retire_competency(coordinator, "electronics", "ELE-03", effective_from=date(2026, 10, 1),
                               reason="through-hole boards left the product range")


def _practice_week(container: Container, ids: DemoIds) -> None:
    training = container.training
    school, vocational = ids.schools
    liu, _, _, he = (UUID(s) for s in ids.students)
    liu_rail = ids.placements[1]
    coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=school)
    teacher = _as(Role.TEACHER, "teacher-gao", school_id=school)
    vocational_teacher = _as(Role.TEACHER, "teacher-lin", school_id=vocational)
    zhao = _as(Role.MENTOR, "mentor-zhao", enterprise_id=ids.enterprises[1])
    sun = _as(Role.MENTOR, "mentor-sun", enterprise_id=ids.enterprises[2])
    student_liu = _as(Role.STUDENT, f"student-{liu}", student_id=str(liu))
    week = [date(2026, 11, 23) + timedelta(days=i) for i in range(5)]
    entries = []
    for day, (start, end, codes, what) in zip(week, (
        (time(8), time(12), ["MEC-01"], "bogie drive unit: dismantled and inspected the gearbox"),
        (time(8), time(12), ["MEC-01", "MEC-03"], "reassembled the gearbox under supervision; lock-out drill"),
        (time(13), time(17), ["MEC-02"], "traced the traction converter's control wiring"),
        (time(8), time(11), ["MEC-02"], "programmed a PLC interlock for the test rig"),
    )):
        entries.append(training.log_practice(zhao, liu, day=day, start=start, end=end, competencies=codes,
                                             description=what).entry_id)
    for entry in entries[:3]:
        training.sign_off_practice(zhao, liu, entry)
    training.reject_practice(zhao, liu, entries[3], reason="the interlock was programmed on Friday, not Thursday")
    training.correct_practice(zhao, liu, entries[3], day=week[4], start=time(8), end=time(11),
                              competencies=["MEC-02"], description="programmed a PLC interlock for the test rig",
                              reason="moved to the day it happened")
    training.sign_off_practice(zhao, liu, entries[3])
    training.log_practice(student_liu, liu, day=week[4], start=time(13), end=time(16), competencies=["MEC-01"],
                          description="adjusted brake actuator clearances (my draft for Mr Zhao to sign)")
    training.log_practice(coordinator, liu, day=date(2026, 11, 2), start=time(8), end=time(12),
                          competencies=["MEC-03"], description="rail safety induction",
                          reason="transcribed from the paper logbook the depot kept that week")
    training.log_practice_batch(zhao, [
        PracticeRow(2, str(liu), date(2026, 11, 26), time(8), time(12), ("MEC-01",), "bogie frame inspection"),
        PracticeRow(3, str(liu), date(2026, 11, 24), time(13), time(16), ("MEC-01", "MEC-03"),
                    "wheelset change with the night crew's checklist"),
    ])
    training.assess_competency(zhao, liu, liu_rail, competency="MEC-01", result=4,
                               evidence="dismantled and reassembled a gearbox to tolerance", assessed_on=week[4])
    training.assess_competency(teacher, liu, liu_rail, competency="MEC-01", result=3,
                               evidence="oral exam on drive-unit adjustment", assessed_on=week[4])

    # He under the vocational rules: the mentor signs, the school's guiding teacher countersigns.
    he_entries = [
        training.log_practice(sun, he, day=day, start=time(9), end=time(12), competencies=["ELE-01"],
                              description=what).entry_id
        for day, what in ((week[0], "soldered and inspected sensor boards"),
                          (week[1], "reworked boards that failed inspection"))
    ]
    for entry in he_entries:
        training.sign_off_practice(sun, he, entry)
    training.countersign_practice(vocational_teacher, he, he_entries[0])


SPRING_COHORT = ["Wu Hao", "Sun Qi", "Zhang Min", "Guo Lei", "Lin Yue", "Xu Tao"]


def _seed_schedules(container: Container, ids: DemoIds) -> None:
    """Liu's winter term at the rail base, written by hand (at school from 30 November, an exam week); mechatronics
    class 2's spring term generated from a pattern (first in 3 groups, changed to 2), published over the two
    holidays its enterprise blocks run through, then revised when the enterprise moved to 36-hour weeks."""
    schedules = container.schedules
    school = ids.schools[0]
    coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=school)
    liu, rail = ids.students[0], ids.centres[2]

    def days(start: date, end: date, name: str = "") -> dict[str, str]:
        return {"start": start.isoformat(), "end": end.isoformat(), "name": name}

    winter = schedules.draft_plan(coordinator, school_id=school, cohort="mechatronics-2024",
                                  title="Liu Yang: winter term 2026 at the rail base", content={
        "term": days(date(2026, 11, 2), date(2027, 1, 17)),
        "calendar": {"holidays": [days(date(2027, 1, 1), date(2027, 1, 1), "New Year's Day")],
                     "exam_weeks": [days(date(2026, 11, 16), date(2026, 11, 20), "mid-term exams")]},
        "groups": [{"name": "rail", "students": [liu]}],
        "blocks": [
            {**days(date(2026, 11, 2), date(2026, 11, 6)), "id": "R1", "group": "rail", "kind": "enterprise",
             "hours_per_week": 36, "assignments": [{"student_id": liu, "centre_id": rail}]},
            {**days(date(2026, 11, 9), date(2026, 11, 20)), "id": "R2", "group": "rail", "kind": "school"},
            {**days(date(2026, 11, 23), date(2026, 12, 18)), "id": "R3", "group": "rail", "kind": "enterprise",
             "hours_per_week": 36, "assignments": [{"student_id": liu, "centre_id": rail}]},
            {**days(date(2026, 12, 21), date(2027, 1, 15)), "id": "R4", "group": "rail", "kind": "school"},
        ]})
    schedules.publish_plan(coordinator, winter.id)

    pattern = {"start": date(2027, 3, 1), "school_weeks": 4, "enterprise_weeks": 4, "cycles": 2, "groups": 3,
               "hours_per_week": 40, "students": ids.spring_cohort,
               "calendar": {"holidays": [days(date(2027, 4, 5), date(2027, 4, 5), "Qingming"),
                                         days(date(2027, 5, 3), date(2027, 5, 5), "Labour Day")],
                            "exam_weeks": []}}
    spring = schedules.generate_plan(coordinator, school_id=school, cohort="mechatronics-2024-class-2",
                                     title="Mechatronics 2024 class 2: spring 2027 alternation", pattern=pattern)
    schedules.change_draft(coordinator, spring.id, pattern={**pattern, "groups": 2})
    conflicts = schedules.check_plan(coordinator.actor, spring.id)
    schedules.publish_plan(coordinator, spring.id, overrides={
        c.key: "the training centre runs a voluntary reduced shift on public holidays; no practice is required"
        for c in conflicts})
    current = schedules.get_plan(coordinator.actor, spring.id).content.to_dict()
    for block in current["blocks"]:
        if block["kind"] == "enterprise":
            block["hours_per_week"] = 36
    schedules.revise_plan(coordinator, spring.id, content=current,
                          reason="Haier moved apprentices to four 9-hour shifts a week")
    ids.plans.extend([str(winter.id), str(spring.id)])


def _as(role: Role, subject: str, **scope: str) -> CommandContext:
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"demo-{subject}")


def _seed_credentials(container: Container, ids: DemoIds) -> None:
    """An X certificate with two levels and a conversion rule; Liu eligible and awarded (credits deposited and
    converted, the award's number amended); Ma awarded by override, then revoked (everything reversed); CRRC's
    order class with Liu and Zhou in it."""
    credentials = container.credentials
    clock = credentials.today
    credentials.today = lambda: DEMO_TODAY  # type: ignore[method-assign]
    try:
        admin = CommandContext.for_system("certificate-office")
        coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
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
        credentials.award_certificate(admin, liu, certificate_code="X-RTM", level="junior",
                                      certificate_number="RTM-J-2026-0117")
        award_id = credentials.get_account(admin, liu).awards.popitem()[0]  # type: ignore[union-attr]
        credentials.amend_award(admin, liu, award_id, awarded_on=DEMO_TODAY, certificate_number="RTM-J-2026-0171",
                                reason="digits transposed on the paper certificate")
        credentials.convert_credits(coordinator, liu, award_id)
        credentials.award_certificate(admin, ma, certificate_code="X-RTM", level="junior",
                                      override_reason="assessed at the national skills contest instead")
        ma_award = credentials.get_account(admin, ma).awards.popitem()[0]  # type: ignore[union-attr]
        credentials.convert_credits(coordinator, ma, ma_award)
        credentials.revoke_award(admin, ma, ma_award, reason="the contest result was annulled")
        order = credentials.order_class(
            _as(Role.MENTOR, "mentor-zhao", enterprise_id=ids.enterprises[1]), enterprise_id=UUID(ids.enterprises[1]),
            name="CRRC bogie fitters 2027", students=10, major="mechatronics",
            certificates=[{"code": "X-RTM", "level": "junior"}], deadline=date(2027, 6, 30))
        credentials.assign_students_to_order(coordinator, order.id, student_ids=[str(liu), str(zhou)])
    finally:
        credentials.today = clock  # type: ignore[method-assign]


def _seed_reads(container: Container, ids: DemoIds) -> None:
    """Reads of personal data on record: an auditor and Liu's coordinator read Liu's progress and credit account
    (as the API records them once access was granted)."""
    liu = ids.students[0]
    auditor = _as(Role.AUDITOR, "auditor-gao")
    coordinator = _as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    for ctx, what in ((auditor, "progress"), (coordinator, "progress"), (auditor, "credit-account")):
        path = f"/api/v1/students/{liu}/{what}"
        container.audit.record_read(ctx, liu, what=what, path=path)

"""The training part of the demo: competency catalogues (kept by the administrator; the schools' change requests
approved, rejected and one pending) with a revised target and a retired competency; a week of
practice logged, signed, rejected and corrected, a student's draft, a back-filled day and a batch upload; dual
sign-off with a countersignature; assessments from both sides."""

from __future__ import annotations

from datetime import date, time, timedelta
from uuid import UUID

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DEMO_TODAY, DemoIds, acting_as
from services.common.identity import Role
from services.training.application import PracticeRow, TrainingApplication


def seed_training(container: Container, ids: DemoIds) -> None:
    """Catalogues; Liu's logbook at the rail base (a week logged, signed, one entry rejected and corrected, a
    draft, a back-filled day, a batch upload); He's entries under dual sign-off; assessments from both sides."""
    training = container.training
    clock = training.today
    training.today = lambda: DEMO_TODAY
    try:
        _training_story(container, ids)
    finally:
        training.today = clock


def _training_story(container: Container, ids: DemoIds) -> None:
    training = container.training
    liu, liu_rail = UUID(ids.students[0]), ids.placements[1]
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])

    if not training.has_catalogue("mechatronics"):  # loaded again (--force): the catalogues are shared
        _seed_catalogues(training, ids)

    # Liu at the rail base: the plan is drawn up, one target adjusted, then a week of practice.
    training.draw_up_training_plan(coordinator, liu, liu_rail)
    training.adjust_training_target(coordinator, liu, liu_rail, "MEC-03", target_hours=24,
                                    reason="safety induction already done at the Qingdao centre")
    _practice_week(container, ids)


def _seed_catalogues(training: TrainingApplication, ids: DemoIds) -> None:
    """The administrator keeps the catalogues every school of a major trains by; the schools' coordinators ask for
    changes: Chen's revised PLC target and Huang's retired soldering are approved, Huang's lower target for his own
    students is rejected, and Chen's longer safety induction waits for the administrator."""
    admin = acting_as(Role.ADMIN, "admin-wu")
    chen = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    huang = acting_as(Role.COORDINATOR, "coordinator-huang", school_id=ids.schools[1])
    start_of_year = date(2026, 1, 1)
    for code, title, hours, scale in (
        ("MEC-01", "Assemble and adjust drive units", 160, "five-point"),
        ("MEC-02", "Wire and program PLC controls", 120, "percent"),
        ("MEC-03", "Apply workplace safety procedures", 40, "pass-fail"),
    ):
        training.define_competency(admin, "mechatronics", code=code, title=title, target_hours=hours,
                                   scale=scale, effective_from=start_of_year)
    plc = training.request_catalogue_change(chen, "mechatronics", change="revise-target", code="MEC-02",
                                            target_hours=140, effective_from=date(2026, 9, 1),
                                            reason="the new PLC module adds a week").request_id
    training.approve_catalogue_change(admin, "mechatronics", plc)
    for code, title, hours in (("ELE-01", "Assemble printed circuit boards", 120),
                               ("ELE-02", "Test and calibrate devices", 100),
                               ("ELE-03", "Through-hole soldering", 40)):
        training.define_competency(admin, "electronics", code=code, title=title, target_hours=hours,
                                   scale="five-point", effective_from=start_of_year)
    soldering = training.request_catalogue_change(huang, "electronics", change="retire", code="ELE-03",
                                                  effective_from=date(2026, 10, 1),
                                                  reason="through-hole boards left the product range").request_id
    training.approve_catalogue_change(admin, "electronics", soldering)
    lower = training.request_catalogue_change(huang, "electronics", change="revise-target", code="ELE-01",
                                              target_hours=90, effective_from=date(2027, 1, 1),
                                              reason="our students arrive with soldering practice").request_id
    training.reject_catalogue_change(admin, "electronics", lower, reason="every school of electronics trains to "
                                     "one target; record prior learning in the student's plan instead")
    training.request_catalogue_change(chen, "mechatronics", change="revise-target", code="MEC-03", target_hours=48,
                                      effective_from=date(2027, 2, 1),
                                      reason="the new lock-out procedure adds a day of induction")


def _practice_week(container: Container, ids: DemoIds) -> None:
    training = container.training
    school, vocational = ids.schools
    liu, _, _, he = (UUID(s) for s in ids.students)
    liu_rail = ids.placements[1]
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=school)
    teacher = acting_as(Role.TEACHER, "teacher-gao", school_id=school)
    vocational_teacher = acting_as(Role.TEACHER, "teacher-lin", school_id=vocational)
    zhao = acting_as(Role.MENTOR, "mentor-zhao", enterprise_id=ids.enterprises[1])
    sun = acting_as(Role.MENTOR, "mentor-sun", enterprise_id=ids.enterprises[2])
    student_liu = acting_as(Role.STUDENT, "student-liu", student_id=str(liu))
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
                          (week[1], "reworked boards that failed inspection"),
                          (week[2], "calibrated the sensor test fixture"),
                          (week[3], "-40 °C cold-start test of the sensor boards"),
                          (week[4], "flying-probe test of the week's boards"))
    ]
    for entry in he_entries:
        training.sign_off_practice(sun, he, entry)
    training.countersign_practice(vocational_teacher, he, he_entries[0])  # the other four await Lin Hui

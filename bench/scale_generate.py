"""A province for `python -m bench.scale`: schools, classes of 30, enterprises with centres, and a term of each student.

Commands one by one would load aggregates per event; as `bench/generate.py` does, the domain aggregates are driven
directly (the rules they check still run) and a whole chunk of classes is saved per `app.save(...)` of each context,
through the applications, so personal fields are sealed with each data subject's key as on the command path.

Per student (about 20 events): enrolled; a placement proposed, approved by the school and the enterprise, confirmed
(agreed), its place booked at the centre, activated; a training record opened with the placement's plan drawn up;
four practice entries on enterprise days of the class's published rotation plan, each logged and signed by the
mentor (every 10th student's first entry corrected before signing, every 25th's second rejected, corrected and
signed); an enterprise assessment (every 5th student also assessed by the school, so the two are combined). Per
class: a rotation plan generated from a pattern (a week at school, a week at the centre, eight cycles) and published.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock
from uuid import UUID

from dualtrack.bootstrap import Container
from events.base import EventMeta
from services.common.identity import CommandContext
from services.common.rules import rule_set_in_force
from services.placements.domain import Enterprise, School, Student, TrainingCentre
from services.schedules.domain.facts import CentreFacts, PlacementPeriod, StudentPlacements
from services.schedules.domain.pattern import Pattern
from services.schedules.domain.pattern import generate as generate_plan
from services.schedules.domain.plan import RotationPlan
from services.training.domain import PlacementFacts, TrainingRecord
from services.training.domain.values import Capacity, Practice

MAJORS = ("mechatronics", "welding", "electronics", "rail-maintenance", "refrigeration")
COMPETENCIES = (("C1", "Read technical drawings", 120, "five-point"), ("C2", "Operate the line", 200, "percent"),
                ("C3", "Workplace safety", 40, "pass-fail"))
TERM_START = date(2026, 9, 7)  # a Monday
PLANNED_END = date(2026, 12, 24)
CLASS_SIZE = 30
STUDENTS_PER_SCHOOL = 1250  # 40 schools for 50,000 students
STUDENTS_PER_CENTRE = 100
ENTRIES = 4

Say = Callable[[str], None]


@dataclass(frozen=True)
class Shape:
    """How the province is cut: schools, classes, enterprises, centres."""

    students: int
    schools: int
    classes: int
    enterprises: int
    centres: int

    @classmethod
    def for_students(cls, students: int) -> Shape:
        if students < CLASS_SIZE:
            raise ValueError(f"a province has at least one class of {CLASS_SIZE} students")
        centres = max(2, math.ceil(students / STUDENTS_PER_CENTRE))
        return cls(students, max(1, round(students / STUDENTS_PER_SCHOOL)), math.ceil(students / CLASS_SIZE),
                   max(1, centres // 4), centres)

    @property
    def capacity(self) -> int:
        return math.ceil(self.students / self.centres) + 5


@dataclass
class Province:
    """What was made, for the figures and the queries afterwards."""

    shape: Shape
    seconds: float = 0.0
    events: dict[str, int] = field(default_factory=dict)
    saves: int = 0
    school_ids: list[str] = field(default_factory=list)
    centre_ids: list[str] = field(default_factory=list)
    sample_students: list[str] = field(default_factory=list)
    """Students of the first school, for the queries."""

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


def _catalogues(container: Container, admin: CommandContext) -> None:
    training = container.training
    for major in MAJORS:
        if not training.has_catalogue(major):
            for code, title, hours, scale in COMPETENCIES:
                training.define_competency(admin, major, code=code, title=title, target_hours=hours, scale=scale,
                                           effective_from=date(2020, 1, 1))


def _chunks(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(total, first + size))


class _Maker:
    """Drives the aggregates of one province; the applications save them chunk by chunk."""

    def __init__(self, container: Container, shape: Shape) -> None:
        self.c, self.shape = container, shape
        self.ctx = CommandContext.for_system("scale-import")
        self.rules = rule_set_in_force("default", TERM_START)
        catalogue = self.c.training._catalogue  # the competencies in force, as the application reads them
        self.targets = {m: found.in_force(TERM_START) for m in MAJORS if (found := catalogue(m)) is not None}

    def meta(self, reason: str | None = None, day: date | None = None) -> EventMeta:
        return self.ctx.meta(reason, business_date=day)

    def world(self, province: Province) -> None:
        """Schools, enterprises, centres with a mentor each: one save."""
        shape = self.shape
        self.schools = [School.register(name=f"School {i}", code=f"S{i:03d}", rule_set="default", meta=self.meta())
                        for i in range(shape.schools)]
        enterprises = [Enterprise.register(name=f"Enterprise {i}", registration_number=f"REG{i:08d}",
                                           meta=self.meta()) for i in range(shape.enterprises)]
        self.centres = [TrainingCentre.open(enterprise_id=enterprises[i % len(enterprises)].id, name=f"Centre {i}",
                                            address=f"{i} Factory Road", capacity=shape.capacity,
                                            specialities=list(MAJORS), meta=self.meta())
                        for i in range(shape.centres)]
        for i, centre in enumerate(self.centres):
            centre.assign_mentor(f"mentor-{i}", f"Mentor {i}", self.meta())
        self.c.placements.save(*self.schools, *enterprises, *self.centres)
        province.saves += 1
        province.school_ids = [str(s.id) for s in self.schools]
        province.centre_ids = [str(c.id) for c in self.centres]

    def student(self, n: int) -> tuple[Student, str, TrainingCentre]:
        """Enrolled and placed: proposed, approved by both sides, confirmed (agreed), its place booked, activated."""
        school = self.schools[(n // CLASS_SIZE) % len(self.schools)]
        centre = self.centres[n % len(self.centres)]
        major = MAJORS[n % len(MAJORS)]
        student = Student.enrol(school_id=str(school.id), name=f"Student {n}", major=major, cohort=2026,
                                enrolment_date=date(2026, 9, 1), date_of_birth=date(2004, 1 + n % 12, 1 + n % 28),
                                guardian_name=None, guardian_contact=None, adult_age=self.rules.adult_age,
                                meta=self.meta())
        placement_id = student.propose_placement(
            centre=centre.as_host(), kind="post", start=TERM_START, planned_end=PLANNED_END, post="apprentice",
            weekly_hours=35, rules=self.rules, speciality_override_reason=None, capacity_override_justification=None,
            meta=self.meta())
        student.approve_as_school(placement_id, self.meta())
        mentor = next(iter(centre.mentors))
        student.approve_as_enterprise(placement_id, mentor, centre.as_host(), self.meta())
        student.confirm(placement_id, confirmed_by="student", guardian_name=None, rules=self.rules, meta=self.meta())
        centre.book_place(placement_id=placement_id, student_id=str(student.id), start=TERM_START, end=PLANNED_END,
                          override_justification=None, justified_by=None, meta=self.meta())
        student.activate(placement_id, TERM_START, TERM_START, self.meta())
        return student, placement_id, centre

    def plan(self, number: int, placed: list[tuple[Student, str, TrainingCentre]]) -> RotationPlan:
        """The class's rotation plan, generated from a pattern and published."""
        school_id = placed[0][0].school_id
        students = {str(s.id): StudentPlacements(str(s.id), school_id, (
            PlacementPeriod(pid, str(c.id), "active", TERM_START, PLANNED_END),)) for s, pid, c in placed}
        centres = {str(c.id): CentreFacts(str(c.id), c.name, c.enterprise_id, c.capacity, frozenset(c.mentors))
                   for _, _, c in placed}
        pattern = Pattern(start=TERM_START, school_weeks=1, enterprise_weeks=1, cycles=8, groups=2,
                          hours_per_week=35, students=tuple(students))
        content, generated_from = generate_plan(pattern, students, centres)
        plan = RotationPlan.draft(school_id=school_id, cohort=f"class-{number}", title=f"Class {number}, autumn",
                                  content=content, generated_from=generated_from, meta=self.meta())
        plan.publish([], {}, self.meta())
        self.content = content
        self.days_of_group: dict[str, list[date]] = {}
        return plan

    def practice_days(self, student_id: str) -> list[date]:
        """Days the class's plan puts the student at the centre, spread over the term; the same for the whole group
        (asked of the plan once a group: PlanContent.is_school_day scans every block)."""
        group = next(g.name for g in self.content.groups if student_id in g.students)
        if group not in self.days_of_group:
            self.days_of_group[group] = [d for d in _weekdays(TERM_START, date(2026, 11, 27))
                                         if not self.content.is_school_day(student_id, d)][::5][:ENTRIES]
        return self.days_of_group[group]

    def training(self, n: int, student: Student, placement_id: str, centre: TrainingCentre) -> TrainingRecord:
        """The plan drawn up, four entries logged and signed (some corrected or rejected), assessments."""
        p = student.placements[placement_id]
        facts = PlacementFacts(placement_id=placement_id, student_id=str(student.id), school_id=student.school_id,
                               major=student.major, rule_set="default", centre_id=str(centre.id),
                               enterprise_id=centre.enterprise_id, status=p.status, start=p.terms.start,
                               planned_end=p.terms.planned_end, activated_on=p.activated_on, ended_on=p.ended_on,
                               pauses=tuple(p.pauses), centre_mentors=frozenset(centre.mentors))
        record = TrainingRecord.open(student_id=str(student.id), school_id=student.school_id, major=student.major,
                                     meta=self.meta())
        record.draw_up_plan(facts, self.targets[student.major], TERM_START, self.meta())
        days = self.practice_days(str(student.id))
        codes = [c[0] for c in COMPETENCIES]
        for k, day in enumerate(days):
            practice = Practice(day, clock(8), clock(15), (codes[k % 3],), f"practice day {k + 1}")
            entry = record.log(facts, practice, capacity=Capacity.MENTOR, rules=self.rules, today=day,
                               school_day=False, meta=self.meta(day=day))
            if k == 0 and n % 10 == 0:
                record.correct(entry, facts, Practice(day, clock(8), clock(14), practice.competencies, "corrected"),
                               capacity=Capacity.MENTOR, rules=self.rules, rules_before=self.rules, today=day,
                               school_day=False, meta=self.meta("gate log", day))
            if k == 1 and n % 25 == 0:
                record.reject(entry, "hours do not match the gate log", Capacity.MENTOR, self.meta())
                record.correct(entry, facts, Practice(day, clock(9), clock(15), practice.competencies, "fixed"),
                               capacity=Capacity.MENTOR, rules=self.rules, rules_before=self.rules, today=day,
                               school_day=False, meta=self.meta("gate log", day))
            record.sign_off(entry, facts, self.rules, self.meta())
        last = days[-1] if days else TERM_START
        sides = ("enterprise", "school") if n % 5 == 0 else ("enterprise",)
        for side in sides:
            record.assess(facts, competency="C1", assessor=side, result=4, evidence="term assessment",
                          assessed_on=last, today=last, rules=self.rules, meta=self.meta(day=last))
        return record


def _weekdays(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def generate(container: Container, students: int, *, classes_per_save: int = 10, say: Say = print) -> Province:
    """Make the province in `container`'s stores; its events per context and the seconds it took."""
    shape = Shape.for_students(students)
    province = Province(shape)
    started = time.perf_counter()
    _catalogues(container, CommandContext.for_system("scale-catalogue"))
    maker = _Maker(container, shape)
    maker.world(province)
    report_every = max(1, shape.classes // classes_per_save // 10)
    for step, classes in enumerate(_chunks(shape.classes, classes_per_save)):
        plans, records, placed_all = [], [], []
        for number in classes:
            placed = [maker.student(n) for n in range(number * CLASS_SIZE, min(students, (number + 1) * CLASS_SIZE))]
            plans.append(maker.plan(number, placed))
            records += [maker.training(number * CLASS_SIZE + i, s, pid, c) for i, (s, pid, c) in enumerate(placed)]
            placed_all += placed
        container.placements.save(*[s for s, _, _ in placed_all], *[c for c in maker.centres if c.pending_events])
        container.schedules.save(*plans)
        container.training.save(*records)
        province.saves += 3
        if len(province.sample_students) < 200:
            first_school = province.school_ids[0]
            province.sample_students += [str(s.id) for s, _, _ in placed_all if s.school_id == first_school][:50]
        if step % report_every == 0:
            done = classes.stop * CLASS_SIZE
            say(f"    {min(done, students):,} of {students:,} students, {time.perf_counter() - started:.0f} s")
    province.seconds = time.perf_counter() - started
    province.events = {ctx: container.app(ctx).recorder.max_notification_id() or 0
                       for ctx in ("placements", "schedules", "training")}
    return province


def student_ids(province: Province) -> list[UUID]:
    return [UUID(s) for s in province.sample_students]

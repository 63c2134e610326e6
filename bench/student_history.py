"""A student with years of records, made through the applications' commands under a clock the generator controls.

Each simulated school day is "today" for the placements, training and credentials applications, and every event of
that day is recorded at that day's evening (one second apart), so an as-of question about any moment of the three
years has a real answer. Per term: a placement proposed, approved by the school and the enterprise, confirmed,
activated and completed; practice logged on every weekday (three entries, eight hours), each signed by the mentor
the same day, some corrected before signing, some rejected, corrected and signed; three competencies assessed at
the term's end; every second term a certificate awarded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest import mock
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role

COMPETENCIES = (("M1", "Assemble drive units", 400, "five-point"), ("M2", "Wire PLC controls", 300, "percent"),
                ("M3", "Workplace safety", 60, "pass-fail"))
FIRST_TERM = date(2023, 9, 4)
LEVELS = ("junior", "intermediate", "senior")
ENTRIES = ((time(8), time(12), ("M1",)), (time(13), time(16), ("M2", "M3")), (time(16), time(17), ("M3",)))


def _as(role: Role, subject: str, **scope: str) -> CommandContext:
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"history-{subject}")


class Clock:
    """The business day the applications see and the recorded time eventsourcing stamps (that day, 18:00 on)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self._tick = 0

    def set(self, day: date) -> None:
        if day < self.day:
            raise ValueError(f"the clock only goes forward: {day} is before {self.day}")
        if day != self.day:
            self.day, self._tick = day, 0

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        self._tick += 1
        return datetime.combine(self.day, time(18), tzinfo=UTC) + timedelta(seconds=self._tick)


@dataclass
class History:
    """What was made: the student, their placements, and the first and last recorded moments."""

    student_id: UUID
    school_id: UUID
    placements: list[str] = field(default_factory=list)
    commands: int = 0
    first_day: date = FIRST_TERM
    last_day: date = FIRST_TERM

    @property
    def first_recorded(self) -> datetime:
        return datetime.combine(self.first_day, time(18), tzinfo=UTC)

    @property
    def last_recorded(self) -> datetime:
        return datetime.combine(self.last_day, time(23), tzinfo=UTC)


@contextmanager
def controlled(container: Container, clock: Clock) -> Iterator[None]:
    apps: list[Any] = [container.placements, container.training, container.credentials]
    kept = [app.today for app in apps]
    for app in apps:
        app.today = clock.today
    try:
        with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock.now):
            yield
    finally:
        for app, today in zip(apps, kept):
            app.today = today


def terms(count: int, weeks: int) -> list[tuple[date, date]]:
    """Two terms a year from FIRST_TERM: autumn (September on) and spring (March on), `weeks` weeks each."""
    found = []
    for i in range(count):
        year = FIRST_TERM.year + (i + 1) // 2
        start = FIRST_TERM.replace(year=year) if i % 2 == 0 else _monday_on_or_after(date(year, 3, 1))
        found.append((start, start + timedelta(weeks=weeks) - timedelta(days=3)))  # a Friday
    return found


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def make_history(container: Container, *, terms_count: int = 6, weeks: int = 16,
                 name: str = "Three-Year Student") -> History:
    """A student with `terms_count` terms of `weeks` weeks of practice (the default: about 3,000 events)."""
    clock = Clock(FIRST_TERM - timedelta(days=14))
    with controlled(container, clock):
        return _History(container, clock).make(terms(terms_count, weeks), name)


class _History:
    def __init__(self, container: Container, clock: Clock) -> None:
        self.c, self.clock = container, clock
        self.admin = _as(Role.ADMIN, "admin-history")
        self.office = CommandContext.for_system("certificate-office")

    def make(self, periods: list[tuple[date, date]], name: str) -> History:
        placements, training, credentials = self.c.placements, self.c.training, self.c.credentials
        enterprise = placements.register_enterprise(self.admin, name="History Works", registration_number="H1").id
        self.centre = placements.open_centre(self.admin, enterprise_id=enterprise, name="History Workshop",
                                             address="1 Long Road", capacity=5, specialities=["mechatronics"]).id
        placements.assign_mentor(self.admin, self.centre, mentor_id="m-history", name="Mentor of History")
        school = placements.register_school(self.admin, name="History College", code="HIS").id
        self.coordinator = _as(Role.COORDINATOR, "coord-history", school_id=str(school))
        self.ea = _as(Role.ENTERPRISE_ADMIN, "ea-history", enterprise_id=str(enterprise))
        self.mentor = _as(Role.MENTOR, "m-history", enterprise_id=str(enterprise))
        if not training.has_catalogue("mechatronics"):
            for code, title, hours, scale in COMPETENCIES:
                training.define_competency(self.admin, "mechatronics", code=code, title=title, target_hours=hours,
                                           scale=scale, effective_from=date(2020, 1, 1))
        if not credentials.has_certificate("X-HIS"):
            credentials.list_certificate(self.office, code="X-HIS", title="History certificate",
                                         awarding_organisation="History Board", levels=[
                                             {"level": level, "credits": 4, "requirements": [
                                                 {"competency": "M1", "min_signed_hours": 6, "min_assessment": 3}]}
                                             for level in LEVELS])
        student = placements.enrol_student(self.coordinator, school, name=name, major="mechatronics",
                                           cohort=FIRST_TERM.year, enrolment_date=FIRST_TERM - timedelta(days=3),
                                           date_of_birth=date(2003, 5, 1)).id
        self.student = student
        history = History(student, school, first_day=self.clock.day)
        for number, (start, end) in enumerate(periods):
            history.placements.append(self._term(number, start, end))
        history.last_day = self.clock.day
        return history

    def _term(self, number: int, start: date, end: date) -> str:
        placements, training = self.c.placements, self.c.training
        self.clock.set(start - timedelta(days=10))
        placement = placements.propose_placement(self.coordinator, self.student, centre_id=self.centre, start=start,
                                                 planned_end=end, post="fitter", weekly_hours=40).placement_id
        placements.approve_placement_as_school(self.coordinator, self.student, placement)
        placements.approve_placement_as_enterprise(self.ea, self.student, placement, mentor_id="m-history")
        placements.confirm_placement(_as(Role.STUDENT, f"student-{self.student}", student_id=str(self.student)),
                                     self.student, placement)
        self.clock.set(start)
        placements.activate_placement(self.coordinator, self.student, placement, on=start)
        day, n = start, 0
        while day <= end:
            if day.weekday() < 5:
                self.clock.set(day)
                for begin, finish, competencies in ENTRIES:
                    self._entry(n, day, begin, finish, competencies)
                    n += 1
            day += timedelta(days=1)
        self.clock.set(end)
        for code, result in (("M1", 4), ("M2", 80), ("M3", 1)):
            training.assess_competency(self.mentor, self.student, placement, competency=code, result=result,
                                       evidence=f"term {number + 1} assessment")
        placements.complete_placement(self.coordinator, self.student, placement, on=end)
        if number % 2 == 1:
            self.c.credentials.award_certificate(self.office, self.student, certificate_code="X-HIS",
                                                 level=LEVELS[number // 2 % len(LEVELS)],
                                                 override_reason="bench history")
        return placement

    def _entry(self, n: int, day: date, begin: time, finish: time, competencies: tuple[str, ...]) -> None:
        training, student = self.c.training, self.student
        entry = training.log_practice(self.mentor, student, day=day, start=begin, end=finish,
                                      competencies=list(competencies), description=f"practice {n}").entry_id
        kwargs: dict[str, Any] = {"day": day, "start": begin, "competencies": list(competencies)}
        if n % 23 == 7:
            training.reject_practice(self.mentor, student, entry, reason="hours do not match the gate log")
            training.correct_practice(self.mentor, student, entry, end=time(finish.hour - 1, 30), description="fixed",
                                      reason="gate log", **kwargs)
        elif n % 17 == 3:
            training.correct_practice(self.mentor, student, entry, end=finish, description=f"practice {n}, detail",
                                      reason="more detail", **kwargs)
        training.sign_off_practice(self.mentor, student, entry)

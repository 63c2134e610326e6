"""A small world of enterprises, centres, schools and students for the placements service tests.

Everything is built through the PlacementsApplication's command handlers, as real users would, and the
clock is fixed (2026-11-30) so "today" rules are deterministic. Dates used by the tests lie in 2026.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.identity import Actor, CommandContext, Role
from services.placements.application import PlacementsApplication

TODAY = date(2026, 11, 30)
ORDERS = {
    "school-enterprise-student": ("school", "enterprise", "student"),
    "student-enterprise-school": ("student", "enterprise", "school"),
    "enterprise-student-school": ("enterprise", "student", "school"),
}


def as_(role: Role, subject: str, **scope: str) -> CommandContext:
    return CommandContext(Actor(subject, role, **scope), correlation_id=f"corr-{subject}")


@dataclass
class World:
    """Two enterprises with one centre each, three schools (two on the default rules, one on the Chinese
    vocational internship rules), their coordinators, and helpers to enrol and place students."""

    app: PlacementsApplication
    admin: CommandContext
    haier: UUID
    crrc: UUID
    workshop: UUID
    """Haier's centre: mechatronics and robotics, mentor m-wang."""
    depot: UUID
    """CRRC's centre: rail maintenance and mechatronics, mentor m-zhao."""
    school: UUID
    other_school: UUID
    vocational_school: UUID
    coordinator: CommandContext
    other_coordinator: CommandContext
    vocational_coordinator: CommandContext

    # -- people --------------------------------------------------------------------------------------
    def mentor(self, centre: UUID, subject: str | None = None) -> CommandContext:
        enterprise, mentor_id = {self.workshop: (self.haier, "m-wang"), self.depot: (self.crrc, "m-zhao")}[centre]
        return as_(Role.MENTOR, subject or mentor_id, enterprise_id=str(enterprise))

    def mentor_id(self, centre: UUID) -> str:
        return {self.workshop: "m-wang", self.depot: "m-zhao"}[centre]

    def enterprise_admin(self, enterprise: UUID, subject: str | None = None) -> CommandContext:
        """An enterprise admin of Haier (ea-zhou) or CRRC (ea-qian): runs its centres, names its mentors, approves."""
        default = {self.haier: "ea-zhou", self.crrc: "ea-qian"}[enterprise]
        return as_(Role.ENTERPRISE_ADMIN, subject or default, enterprise_id=str(enterprise))

    def enterprise_admin_of(self, centre: UUID) -> CommandContext:
        """The enterprise admin of the centre's enterprise."""
        return self.enterprise_admin(UUID(self.app.get_centre(centre).enterprise_id))

    def guardian(self, student_id: UUID, subject: str | None = None) -> CommandContext:
        return as_(Role.GUARDIAN, subject or f"guardian-{student_id}", student_id=str(student_id))

    def student(self, student_id: UUID) -> CommandContext:
        return as_(Role.STUDENT, f"student-{student_id}", student_id=str(student_id))

    def coordinator_of(self, school: UUID) -> CommandContext:
        return {self.school: self.coordinator, self.other_school: self.other_coordinator,
                self.vocational_school: self.vocational_coordinator}[school]

    # -- commands ------------------------------------------------------------------------------------
    def enrol(self, name: str = "Liu Yang", *, major: str = "mechatronics", born: date = date(2004, 4, 12),
              enrolled: date = date(2024, 9, 1), school: UUID | None = None, **guardian: Any) -> UUID:
        school = school or self.school
        return self.app.enrol_student(self.coordinator_of(school), school, name=name, major=major, cohort=enrolled.year,
                                      enrolment_date=enrolled, date_of_birth=born, **guardian).id

    def school_of(self, student: UUID) -> UUID:
        return UUID(self.app.get_student(self.admin, student).school_id)

    def propose(self, student: UUID, centre: UUID | None = None, start: date = date(2026, 3, 2),
                end: date = date(2026, 6, 30), *, post: str = "assembly technician", weekly_hours: int = 40,
                by: CommandContext | None = None, **extra: Any) -> str:
        centre = centre or self.workshop
        ctx = by or self.coordinator_of(self.school_of(student))
        return self.app.propose_placement(ctx, student, centre_id=centre, start=start, planned_end=end, post=post,
                                          weekly_hours=weekly_hours, **extra).placement_id

    def approve(self, party: str, student: UUID, placement: str, **confirm: Any) -> Any:
        app = self.app
        if party == "school":
            return app.approve_placement_as_school(self.coordinator_of(self.school_of(student)), student, placement)
        if party == "enterprise":
            centre = UUID(app.get_student(self.admin, student).placements[placement].centre_id)
            return app.approve_placement_as_enterprise(self.enterprise_admin_of(centre), student, placement,
                                                       mentor_id=self.mentor_id(centre))
        if party == "student":
            return app.confirm_placement(self.student(student), student, placement, **confirm)
        if party == "guardian":
            return app.confirm_placement(self.guardian(student), student, placement)
        raise ValueError(party)

    def approve_all(self, student: UUID, placement: str, order: Iterable[str] = ("school", "enterprise", "student"),
                    **confirm: Any) -> None:
        for party in order:
            self.approve(party, student, placement, **confirm)

    def agree(self, student: UUID, centre: UUID | None = None, start: date = date(2026, 3, 2),
              end: date = date(2026, 6, 30), **extra: Any) -> str:
        placement = self.propose(student, centre, start, end, **extra)
        self.approve_all(student, placement)
        return placement

    def activate(self, student: UUID, placement: str, on: date | None = None) -> str:
        on = on or self.placement(student, placement).terms.start
        self.app.activate_placement(self.coordinator_of(self.school_of(student)), student, placement, on=on)
        return placement

    # -- queries -------------------------------------------------------------------------------------
    def placement(self, student: UUID, placement: str) -> Any:
        return self.app.get_student(self.admin, student).placements[placement]

    def bookings(self, centre: UUID) -> dict[str, tuple[date, date]]:
        return {pid: (b.start, b.end) for pid, b in self.app.get_centre(centre).bookings.items()}

    def events(self, start: int = 1) -> list[Any]:
        return events_of(self.app, start)

    def events_named(self, *names: str, start: int = 1) -> list[Any]:
        return [e for e in self.events(start) if type(e).__name__ in names]


def events_of(app: PlacementsApplication, start: int = 1) -> list[Any]:
    """Every stored event from a log position on, as domain events."""
    events: list[Any] = []
    while True:
        page = app.notifications(start, 500)
        events.extend(app.mapper.to_domain_event(n) for n in page)
        if len(page) < 500:
            return events
        start = page[-1].id + 1


def names(events: Iterable[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def build_world(container: Container, *, workshop_capacity: int = 2, depot_capacity: int = 1) -> World:
    app = container.placements
    app.today = lambda: TODAY  # type: ignore[method-assign]
    admin = as_(Role.ADMIN, "admin-1")
    haier = app.register_enterprise(admin, name="Haier", registration_number="9137").id
    crrc = app.register_enterprise(admin, name="CRRC").id
    workshop = app.open_centre(admin, enterprise_id=haier, name="Qingdao Workshop", address="1 Haier Road",
                               capacity=workshop_capacity, specialities=["mechatronics", "industrial-robotics"]).id
    depot = app.open_centre(admin, enterprise_id=crrc, name="Sifang Depot", address="88 Jinhongdong Road",
                            capacity=depot_capacity, specialities=["rail-maintenance", "mechatronics"]).id
    app.assign_mentor(admin, workshop, mentor_id="m-wang", name="Wang Fang")
    app.assign_mentor(admin, depot, mentor_id="m-zhao", name="Zhao Min")
    school = app.register_school(admin, name="Qingdao Technician College", code="QTC").id
    other_school = app.register_school(admin, name="Jinan Technician College", code="JTC").id
    vocational = app.register_school(admin, name="Shenzhen Polytechnic Secondary", code="SZPS",
                                     rule_set="cn-vocational-internship").id
    return World(
        app=app, admin=admin, haier=haier, crrc=crrc, workshop=workshop, depot=depot, school=school,
        other_school=other_school, vocational_school=vocational,
        coordinator=as_(Role.COORDINATOR, "coord-chen", school_id=str(school)),
        other_coordinator=as_(Role.COORDINATOR, "coord-jinan", school_id=str(other_school)),
        vocational_coordinator=as_(Role.COORDINATOR, "coord-huang", school_id=str(vocational)),
    )

"""The placements world of placement_world.py, plus the schedules application and helpers to write plans.

The spring term of 2027 runs from Monday 1 March to Sunday 23 May (12 weeks). `placed()` gives a student
of the school with an agreed placement from 1 March to 30 June (at the workshop by default: capacity 2;
the depot has capacity 1). `alternating()` is the plain plan a coordinator writes by hand: four weeks at
school, four at the centre (40 h a week), four at school. `add_centre()` and `placed_at()` add centres and place
students there, `proposed()` gives a placement nobody approved yet, `generate()` drafts from a `pattern()`, and
`publish_overriding_all()` / `revise_overriding_all()` override whatever conflicts are found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.application import CommandResult
from services.common.identity import CommandContext
from services.schedules.application import SchedulesApplication
from services.schedules.domain import ConflictsRemain
from services.schedules.domain.register import REGISTER_ID
from tests.service.placement_world import TODAY, World, build_world, events_of

TERM_START = date(2027, 3, 1)
TERM_END = date(2027, 5, 23)
PLACEMENT_END = date(2027, 6, 30)
ALTERNATING = "students alternate: the rotation plan keeps the centre within capacity week by week"


def block(block_id: str, group: str, kind: str, start: date, end: date, hours: int | None = None,
          at: Mapping[Any, Any] | None = None) -> dict[str, Any]:
    """A block of a plan's content; `at` maps each student to their centre (enterprise blocks)."""
    return {"id": block_id, "group": group, "kind": kind, "start": start.isoformat(), "end": end.isoformat(),
            "hours_per_week": hours,
            "assignments": [{"student_id": str(s), "centre_id": str(c)} for s, c in (at or {}).items()]}


def content(groups: Mapping[str, Iterable[Any]], blocks: list[dict[str, Any]], *, holidays: Iterable[tuple] = (),
            exam_weeks: Iterable[tuple] = (), term: tuple[date, date] = (TERM_START, TERM_END)) -> dict[str, Any]:
    """A plan's content; holidays and exam weeks as (start, end, name)."""
    def periods(items: Iterable[tuple]) -> list[dict[str, str]]:
        return [{"start": s.isoformat(), "end": e.isoformat(), "name": n} for s, e, n in items]

    return {"term": {"start": term[0].isoformat(), "end": term[1].isoformat()},
            "calendar": {"holidays": periods(holidays), "exam_weeks": periods(exam_weeks)},
            "groups": [{"name": name, "students": [str(s) for s in students]} for name, students in groups.items()],
            "blocks": blocks}


@dataclass
class ScheduleWorld:
    world: World
    schedules: SchedulesApplication

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    def placed(self, name: str = "Liu Yang", *, centre: UUID | None = None, school: UUID | None = None,
               start: date = TERM_START, end: date = PLACEMENT_END) -> UUID:
        """An enrolled student of the school with an agreed placement at the centre (the workshop by default).
        Placements of alternating students overlap beyond the centre's capacity, with the justification a
        coordinator gives: the rotation plan keeps the centre within capacity week by week."""
        student = self.world.enrol(name, school=school)
        self.world.agree(student, centre or self.world.workshop, start, end,
                         capacity_override_justification=ALTERNATING)
        return student

    def alternating(self, students: Iterable[UUID], centre: UUID | None = None, *, hours: int = 40,
                    **calendar: Any) -> dict[str, Any]:
        """Group A: school 1-26 March, the centre 29 March-23 April, school 26 April-21 May."""
        students = list(students)
        centre = centre or self.world.workshop
        return content({"A": students}, [
            block("A1", "A", "school", date(2027, 3, 1), date(2027, 3, 26)),
            block("A2", "A", "enterprise", date(2027, 3, 29), date(2027, 4, 23), hours, {s: centre for s in students}),
            block("A3", "A", "school", date(2027, 4, 26), date(2027, 5, 21)),
        ], **calendar)

    def draft(self, plan: dict[str, Any], *, by: CommandContext | None = None, school: UUID | None = None,
              title: str = "Mechatronics 2024, spring 2027") -> UUID:
        school = school or self.world.school
        return self.schedules.draft_plan(by or self.world.coordinator_of(school), school_id=str(school),
                                         cohort="mechatronics-2024", title=title, content=plan).id

    def publish(self, plan: UUID, overrides: dict[str, str] | None = None,
                by: CommandContext | None = None) -> CommandResult:
        return self.schedules.publish_plan(by or self.world.coordinator, plan, overrides)

    def revise(self, plan: UUID, new: dict[str, Any], reason: str = "the enterprise moved its training weeks",
               overrides: dict[str, str] | None = None, by: CommandContext | None = None) -> CommandResult:
        return self.schedules.revise_plan(by or self.world.coordinator, plan, content=new, reason=reason,
                                          overrides=overrides)

    def conflicts(self, plan: UUID) -> list[Any]:
        return self.schedules.check_plan(self.world.admin.actor, plan)

    def events(self, start: int = 1) -> list[Any]:
        """The plans' events from a log position on (the publication register's are left out: see
        register_events)."""
        return [e for e in events_of(self.schedules, start) if e.originator_id != REGISTER_ID]  # type: ignore[arg-type]

    def register_events(self, start: int = 1) -> list[Any]:
        return [e for e in events_of(self.schedules, start) if e.originator_id == REGISTER_ID]  # type: ignore[arg-type]

    # -- more centres, other placements, plans from patterns, overriding everything ----------------------------------
    def add_centre(self, name: str, capacity: int, mentor_id: str, *, enterprise: UUID | None = None) -> UUID:
        """Another mechatronics centre (of Haier by default) with one mentor; `placed_at` places students there."""
        app, admin = self.world.app, self.world.admin
        centre = app.open_centre(admin, enterprise_id=enterprise or self.world.haier, name=name, address=f"{name} Road",
                                 capacity=capacity, specialities=["mechatronics"]).id
        app.assign_mentor(admin, centre, mentor_id=mentor_id, name=f"Mentor {mentor_id}")
        return centre

    def placed_at(self, centre: UUID, mentor_id: str, name: str = "Liu Yang", *, school: UUID | None = None,
                  start: date = TERM_START, end: date = PLACEMENT_END) -> UUID:
        """placed() at a centre of add_centre: the enterprise approves through an admin, naming the centre's mentor."""
        w = self.world
        student = w.enrol(name, school=school)
        placement = w.propose(student, centre, start, end, capacity_override_justification=ALTERNATING)
        w.approve("school", student, placement)
        w.app.approve_placement_as_enterprise(w.admin, student, placement, mentor_id=mentor_id)
        w.approve("student", student, placement)
        return student

    def proposed(self, name: str = "Zhou Jie", *, centre: UUID | None = None, start: date = TERM_START,
                 end: date = PLACEMENT_END) -> UUID:
        """An enrolled student of the school whose placement at the centre is only proposed (nobody approved it)."""
        student = self.world.enrol(name)
        self.world.propose(student, centre or self.world.workshop, start, end,
                           capacity_override_justification=ALTERNATING)
        return student

    def generate(self, pattern: dict[str, Any], *, by: CommandContext | None = None, school: UUID | None = None,
                 title: str = "Mechatronics 2024, generated") -> UUID:
        school = school or self.world.school
        return self.schedules.generate_plan(by or self.world.coordinator_of(school), school_id=str(school),
                                            cohort="mechatronics-2024", title=title, pattern=pattern).id

    def publish_overriding_all(self, plan: UUID, justification: str = "accepted by the school board",
                               by: CommandContext | None = None) -> CommandResult:
        """Publish, overriding whatever the checker finds."""
        return self.publish(plan, overriding(self.conflicts(plan), justification), by=by)

    def revise_overriding_all(self, plan: UUID, new: dict[str, Any], reason: str = "the enterprise moved its training weeks",
                              justification: str = "accepted by the school board",
                              by: CommandContext | None = None) -> CommandResult:
        """Revise; when conflicts remain, override each of those the refusal lists, as a client would."""
        try:
            return self.revise(plan, new, reason, by=by)
        except ConflictsRemain as refused:
            keys = {c["key"]: justification for c in refused.details["conflicts"]}
            return self.revise(plan, new, reason, overrides=keys, by=by)


def overriding(conflicts: Iterable[Any], justification: str = "accepted by the school board") -> dict[str, str]:
    """An override for each conflict, all with the same justification."""
    return {c.key: justification for c in conflicts}


def pattern(students: Iterable[Any], *, start: date = TERM_START, school_weeks: int = 4, enterprise_weeks: int = 4,
            cycles: int = 1, groups: int = 1, hours_per_week: int = 40, **calendar: Any) -> dict[str, Any]:
    """A pattern for generate_plan: from `start`, N weeks at school then M at enterprises, K cycles, G groups."""
    return {"start": start.isoformat(), "school_weeks": school_weeks, "enterprise_weeks": enterprise_weeks,
            "cycles": cycles, "groups": groups, "hours_per_week": hours_per_week,
            "students": [str(s) for s in students], **({"calendar": calendar} if calendar else {})}


def with_schedules(world: World, container: Container) -> ScheduleWorld:
    """The schedules application beside a world built elsewhere (training_world's, say), on the same clock."""
    container.schedules.today = lambda: TODAY  # type: ignore[method-assign]
    return ScheduleWorld(world, container.schedules)


def build_schedule_world(container: Container, **capacities: int) -> ScheduleWorld:
    world = build_world(container, **capacities)
    schedules = container.schedules
    schedules.today = lambda: TODAY  # type: ignore[method-assign]
    return ScheduleWorld(world, schedules)

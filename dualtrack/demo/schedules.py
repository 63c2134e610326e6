"""The schedules part of the demo: rotation plans, one written by hand (with an exam week) and one generated from a
pattern, its draft changed, published over two overridden holiday conflicts, then revised with a reason."""

from __future__ import annotations

from datetime import date

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, acting_as
from services.common.identity import Role


def seed_schedules(container: Container, ids: DemoIds) -> None:
    """Liu's winter term at the rail base, written by hand (at school from 30 November, an exam week); mechatronics
    class 2's spring term generated from a pattern (first in 3 groups, changed to 2), published over the two
    holidays its enterprise blocks run through, then revised when the enterprise moved to 36-hour weeks."""
    schedules = container.schedules
    school = ids.schools[0]
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=school)
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

"""Property: a published plan never has a conflict nobody recorded, and a refused publication stores nothing.

Random plans (one to three groups of students, possibly sharing students; school and enterprise blocks that may
overlap, run through holidays and exam weeks, plan 30 to 44 hours a week, and put students at either centre or
at none) are drafted through the real SchedulesApplication and published with a random choice of overrides (all
conflicts, a random subset, none, one naming no conflict, one with a blank justification), then revised at
random (new content, a small change, no change, a blank reason), a refused revision being tried again with
overrides for the conflicts its refusal listed, as a client would. After every publication or revision that
succeeds, each conflict the checker finds for the plan at that moment is recorded: overridden by an event of
that revision with exactly that conflict, or by one of an earlier revision of the plan with the identical
conflict. After every refusal, nothing was stored. Overriding every listed conflict always succeeds.

The pool of students is built once, in memory (module-scoped), with placements of assorted periods at both
centres, one only proposed, one with none and one with two; each example drafts a new plan from the pool.
Published plans accumulate over the examples, so later plans also meet double bookings and crowded centres
across plans. On SQLite and on PostgreSQL; shrinking is off, as a shrunk example would replay against a world
the earlier examples have changed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import Container
from services.common.errors import DomainError, RuleViolated
from services.schedules.domain import ConflictsRemain, PlanContent
from tests.conftest import make_settings
from tests.service.schedule_world import (
    ALTERNATING,
    TERM_END,
    TERM_START,
    ScheduleWorld,
    build_schedule_world,
)

pytestmark = pytest.mark.rules

NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)
GROUPS = ("A", "B", "C")
POOL = 7
JUSTIFICATION = "the school board accepts it"


@dataclass
class Pool:
    sw: ScheduleWorld
    students: list[UUID]
    centres: list[UUID]
    recorded: dict[UUID, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    """Per plan, the conflicts overridden so far and at which revision, as read from the store."""


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    container = Container(make_settings(tmp_path_factory.mktemp("schedules-prop") / "var", "memory:"))
    try:
        sw = build_schedule_world(container)
        w, d = sw.workshop, sw.depot
        two = sw.enrol("Two Placements")
        sw.agree(two, w, TERM_START, date(2027, 3, 31), capacity_override_justification=ALTERNATING)
        sw.agree(two, d, date(2027, 4, 5), date(2027, 6, 30), capacity_override_justification=ALTERNATING)
        students = [
            sw.placed("Whole Term Workshop"),
            sw.placed("Mid Term Workshop", start=date(2027, 3, 15), end=date(2027, 4, 30)),
            sw.placed("Whole Term Depot", centre=d),
            sw.placed("Late Depot", centre=d, start=date(2027, 4, 5), end=date(2027, 5, 21)),
            sw.proposed("Only Proposed"),
            sw.enrol("No Placement"),
            two,
        ]
        assert len(students) == POOL
        yield Pool(sw, students, [w, d])
    finally:
        container.close()


# -- random content ------------------------------------------------------------------------------------------------


blocks = st.tuples(
    st.integers(0, 2),  # group (modulo the number of groups)
    st.sampled_from(["school", "enterprise", "enterprise"]),
    st.integers(0, 11),  # start week
    st.integers(0, 4),  # start day (Monday..Friday)
    st.integers(1, 6),  # length in weeks
    st.sampled_from([30, 36, 40, 40, 41, 44]),  # hours a week
    st.lists(st.sampled_from([0, 0, 1, 1, None]), min_size=POOL, max_size=POOL),  # each student's centre
)
abstract_plans = st.fixed_dictionaries({
    "groups": st.lists(st.sets(st.integers(0, POOL - 1), min_size=1, max_size=4), min_size=1, max_size=3),
    "blocks": st.lists(blocks, min_size=1, max_size=4),
    "holidays": st.lists(st.tuples(st.integers(0, 11), st.integers(0, 6), st.integers(0, 2)), max_size=2),
    "exam_weeks": st.lists(st.integers(0, 11), max_size=1),
})
MODES = ("all", "all", "subset", "none", "bogus", "blank")
revisions = st.lists(st.one_of(
    st.tuples(st.just("new"), abstract_plans),
    st.tuples(st.just("holiday"), st.tuples(st.integers(0, 11), st.integers(0, 6))),
    st.tuples(st.just("hours"), st.sampled_from([30, 40, 41, 44])),
    st.tuples(st.just("same"), st.none()),
    st.tuples(st.just("blank-reason"), abstract_plans),
), max_size=3)


def _day(week: int, day: int) -> date:
    return TERM_START + timedelta(weeks=week, days=day)


def realise(abstract: dict[str, Any], pool: Pool) -> dict[str, Any]:
    """The content a coordinator would send for an abstract plan."""
    groups = {GROUPS[i]: [str(pool.students[s]) for s in sorted(members)]
              for i, members in enumerate(abstract["groups"])}
    content_blocks = []
    for n, (g, kind, week, day, weeks, hours, centres) in enumerate(abstract["blocks"], start=1):
        group = GROUPS[g % len(groups)]
        start = _day(week, day)
        end = min(start + timedelta(weeks=weeks, days=-3), TERM_END)
        assignments = [] if kind == "school" else [
            {"student_id": s, "centre_id": str(pool.centres[c])}
            for s, c in ((s, centres[pool.students.index(UUID(s))]) for s in groups[group]) if c is not None]
        content_blocks.append({"id": f"{group}{n}", "group": group, "kind": kind, "start": start.isoformat(),
                               "end": end.isoformat(), "hours_per_week": hours if kind == "enterprise" else None,
                               "assignments": assignments})
    holidays = [{"start": _day(w, d).isoformat(), "end": min(_day(w, d + length), TERM_END).isoformat(),
                 "name": f"holiday {i}"} for i, (w, d, length) in enumerate(abstract["holidays"])]
    exams = [{"start": _day(w, 0).isoformat(), "end": _day(w, 4).isoformat(), "name": "exams"}
             for w in abstract["exam_weeks"]]
    return {"term": {"start": TERM_START.isoformat(), "end": TERM_END.isoformat()},
            "calendar": {"holidays": holidays, "exam_weeks": exams}, "groups": [
                {"name": name, "students": students} for name, students in groups.items()],
            "blocks": content_blocks}


def tweaked(current: PlanContent, kind: str, value: Any) -> dict[str, Any]:
    """The current content with one small change (most conflicts stay exactly as they were)."""
    content = current.to_dict()
    if kind == "holiday":
        day = _day(*value).isoformat()
        content["calendar"]["holidays"].append({"start": day, "end": day, "name": "an extra day off"})
    else:
        for b in content["blocks"]:
            if b["kind"] == "enterprise":
                b["hours_per_week"] = value
                break
        else:
            content["calendar"]["exam_weeks"].append({"start": "2027-05-17", "end": "2027-05-21", "name": "resits"})
    return content


def choose(mode: str, conflicts: list[dict[str, Any]], data: st.DataObject) -> dict[str, str]:
    keys = [c["key"] for c in conflicts]
    if mode == "all":
        return {k: JUSTIFICATION for k in keys}
    if mode == "subset":
        seed = data.draw(st.integers(0, 2**32 - 1), label="subset seed")  # one draw, however many conflicts
        return {k: JUSTIFICATION for k in keys if random.Random(f"{seed}:{k}").random() < 0.5}
    if mode == "none":
        return {}
    if mode == "bogus":
        return {**{k: JUSTIFICATION for k in keys}, "weekly-hours-over-cap:no-such-block": JUSTIFICATION}
    return {**{k: JUSTIFICATION for k in keys}, **({keys[0]: "  "} if keys else {"no-such-conflict": "  "})}


# -- checking what was stored -------------------------------------------------------------------------------------------


def stored_since(pool: Pool, position: int) -> list[Any]:
    return pool.sw.events(position + 1)


def check_recorded(pool: Pool, plan: UUID, position: int, overrides: dict[str, str]) -> list[dict[str, Any]]:
    """The command after `position` published a revision: every conflict found now is recorded. Returns them."""
    events = stored_since(pool, position)
    *overridden, published = events
    assert type(published).__name__ in ("RotationPlanPublished", "RotationPlanRevised")
    revision = published.revision
    assert {type(e).__name__ for e in overridden} <= {"PlanConflictOverridden"}
    assert {(e.originator_id, e.revision) for e in events} == {(plan, revision)}
    now = [e.conflict for e in overridden]
    assert [(e.conflict["key"], e.justification) for e in overridden] == [
        (c["key"], overrides[c["key"]].strip()) for c in now]
    earlier = [c for r, c in pool.recorded.get(plan, []) if r < revision]
    found = [c.to_dict() for c in pool.sw.conflicts(plan)]
    unrecorded = [c for c in found if c not in now and c not in earlier]
    assert unrecorded == [], unrecorded
    assert all(c in found for c in now)  # nothing overridden that the plan does not have
    assert pool.sw.schedules.get_plan(pool.sw.admin.actor, plan).revision == revision
    pool.recorded.setdefault(plan, []).extend((revision, c) for c in now)
    return found


def refused_storing_nothing(pool: Pool, plan: UUID, position: int, version: int, error: DomainError) -> None:
    assert isinstance(error, RuleViolated), error
    assert pool.sw.schedules.max_position() == position, error.message
    assert pool.sw.schedules.get_plan(pool.sw.admin.actor, plan).version == version


def attempt(pool: Pool, plan: UUID, command: Any, overrides: dict[str, str]) -> DomainError | None:
    """Run a publication or revision; check what it stored either way; the refusal, if it was refused."""
    position = pool.sw.schedules.max_position()
    version = pool.sw.schedules.get_plan(pool.sw.admin.actor, plan).version
    try:
        command(overrides)
    except DomainError as error:
        refused_storing_nothing(pool, plan, position, version, error)
        event(f"refused: {getattr(error, 'rule', type(error).__name__)}")
        return error
    found = check_recorded(pool, plan, position, overrides)
    event(f"stored with {'no' if not overrides else 'some'} overrides, "
          f"{'no conflict' if not found else 'conflicts'} found")
    return None


def expect_refusal(mode: str, error: DomainError | None, remaining: list[dict[str, Any]],
                   overrides: dict[str, str]) -> None:
    """What the refusal must be, given the overrides sent for the conflicts still to be recorded."""
    if mode == "bogus" or (mode == "blank" and not remaining):
        assert error is not None and error.rule == "override-matches-no-conflict", error
    elif mode == "blank":
        assert error is not None and error.rule == "justification-required", error
    elif any(c["key"] not in overrides for c in remaining):
        assert isinstance(error, ConflictsRemain), error
        assert [c for c in error.details["conflicts"]] == [c for c in remaining if c["key"] not in overrides]
    else:
        assert error is None, error


# -- the property ---------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, phases=NO_SHRINKING)
@given(abstract=abstract_plans, mode=st.sampled_from(MODES), changes=revisions, data=st.data())
def test_property_whatever_the_plan_and_the_overrides_a_published_revision_has_no_unrecorded_conflict_and_a_refusal_stores_nothing(
    pool: Pool, abstract: dict[str, Any], mode: str, changes: list[tuple[str, Any]], data: st.DataObject,
) -> None:
    sw = pool.sw
    plan = sw.draft(realise(abstract, pool))
    conflicts = [c.to_dict() for c in sw.conflicts(plan)]
    overrides = choose(mode, conflicts, data)
    error = attempt(pool, plan, lambda o: sw.publish(plan, o), overrides)
    expect_refusal(mode, error, conflicts, overrides)
    if error is not None:  # the coordinator overrides everything listed, and that always does it
        error = attempt(pool, plan, lambda o: sw.publish(plan, o), choose("all", conflicts, data))
        assert error is None, error
    for kind, value in changes:
        current = sw.schedules.get_plan(sw.admin.actor, plan).content
        new = realise(value, pool) if kind in ("new", "blank-reason") else (
            current.to_dict() if kind == "same" else tweaked(current, kind, value))
        reason = "   " if kind == "blank-reason" else f"revision: {kind}"
        def revise(o: Any, new: Any = new, reason: str = reason) -> Any:
            return sw.revise(plan, new, reason, overrides=o)

        error = attempt(pool, plan, revise, {})
        if kind == "same":
            assert error is not None and error.rule == "revision-changes-nothing", error
            continue
        if kind == "blank-reason":
            assert error is not None and error.rule == "reason-required", error
            continue
        if error is None or error.rule == "revision-changes-nothing":  # a tweak that changed nothing, say
            continue
        assert isinstance(error, ConflictsRemain), error
        listed = error.details["conflicts"]
        retry_mode = data.draw(st.sampled_from(MODES), label="retry mode")
        overrides = choose(retry_mode, listed, data)
        error = attempt(pool, plan, revise, overrides)
        expect_refusal(retry_mode, error, listed, overrides)
        if error is not None:
            error = attempt(pool, plan, revise, choose("all", listed, data))
            assert error is None, error

"""A student's erasure in the read models, on SQLite and PostgreSQL: when `dualtrack.placements.StudentErased.v1`
arrives (subject: the student, no payload), every read model that keeps something per student marks them erased
(progress answers `erased: true`, so do their calendar and credit statement; the placement register marks their
placements, the centres the places they held), and keeps nothing personal about anyone anyway: no table of any
read model holds a name, a birth date, a contact or a free text of the demo. Rebuilt from the start, every read
model is the same, and `projections verify` agrees.

The demo (dualtrack/demo/) is the world: Liu (students[0]) has placements, a calendar, practice and a credit
account; He (students[3]) is the minor with a guardian.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.demo import DEMO_TODAY, DemoIds
from dualtrack.messaging.rebuild import rebuild, verify
from dualtrack.privacy import erase_student
from services.common.identity import Actor, CommandContext, Role
from services.common.scope import Scope
from tests.support.demo import Seeded
from tests.support.personal_values import personal_values
from toolkit.cloudevents import CloudEventEncoder, decode

pytestmark = pytest.mark.projection

EVERYONE = Scope()
ERASING_ADMIN = CommandContext(Actor("admin-erasing", Role.ADMIN), correlation_id="erasure-1")


def caught_up(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def erase(container: Container, student: str) -> None:
    erase_student(container, ERASING_ADMIN, UUID(student), reason="the guardian asked (request 7)")


@pytest.fixture
def world(seeded: Seeded) -> Iterator[tuple[Container, DemoIds]]:
    caught_up(seeded.container)
    yield seeded.container, seeded.ids


def rows_of_every_read_model(container: Container) -> Iterator[tuple[str, bytes]]:
    with container.view_db.transaction() as tx:
        for name in PROJECTION_CLASSES:
            for table in container.projection(name).all_tables():
                for row in tx.execute(f"SELECT * FROM {tx.table(table)}").fetchall():
                    yield table, "\x00".join("" if v is None else str(v) for v in row).encode()


def test_given_the_demo_when_liu_and_he_are_erased_then_every_read_model_keeping_students_says_so(world) -> None:
    container, demo = world
    liu, zhou, he = demo.students[0], demo.students[1], demo.students[3]
    progress = container.progress_view
    assert progress.student_progress(EVERYONE, liu, DEMO_TODAY)["erased"] is False

    erase(container, liu)
    erase(container, he)
    caught_up(container)

    for student in (liu, he):
        seen = progress.student_progress(EVERYONE, student, DEMO_TODAY)
        assert seen["erased"] is True and seen["erased_at"], student
        assert container.calendars_view.student_calendar(EVERYONE, student, DEMO_TODAY)["erased"] is True
        placements = container.placement_register_view.placements_of_student(EVERYONE, student)
        assert placements and all(p["student_erased"] for p in placements)
    assert progress.student_progress(EVERYONE, zhou, DEMO_TODAY)["erased"] is False
    assert not any(p["student_erased"] for p in container.placement_register_view.placements_of_student(
        EVERYONE, zhou))
    assert container.credit_statements_view.credit_statement(EVERYONE, liu)["erased"] is True
    assert container.credit_statements_view.credit_statement(EVERYONE, demo.students[2])["erased"] is False
    hosted = {h["student_id"]: h["erased"] for c in demo.centres for h in container.centres_view.students_hosted(c)}
    assert hosted[liu] is True and hosted[he] is True and hosted[zhou] is False
    # what they did stays: the figures and the history are not personal, and still add up
    assert progress.student_progress(EVERYONE, liu, DEMO_TODAY)["signed_hours_on_record"] > 0


def test_given_the_demo_and_an_erasure_then_no_read_model_keeps_a_personal_value_of_anyone(world) -> None:
    container, demo = world
    erase(container, demo.students[3])
    caught_up(container)
    personal = personal_values(container)
    assert len(personal) > 50, "the demo's names, birth dates, contacts and free texts"

    found = sorted({(table, ", ".join(sorted(p.origins))) for table, row in rows_of_every_read_model(container)
                    for p in personal.values() if p.value in row})

    assert not found, f"personal values in the read models: {found}"


def test_given_an_erasure_then_every_read_model_rebuilt_from_the_start_is_the_same_and_verify_agrees(world) -> None:
    container, demo = world
    erase(container, demo.students[0])
    caught_up(container)
    before = container.progress_view.student_progress(EVERYONE, demo.students[0], DEMO_TODAY)

    for name in PROJECTION_CLASSES:
        report = verify(container, name, embedded=True)
        assert report.matches, (name, report)
        rebuild(container, name, embedded=True)
        assert verify(container, name, embedded=True).matches, name

    assert container.progress_view.student_progress(EVERYONE, demo.students[0], DEMO_TODAY) == before


def test_given_the_erasure_cloudevent_delivered_twice_then_it_is_applied_once_and_forgets_nobody_else(world) -> None:
    container, demo = world
    he = demo.students[3]
    erase(container, he)
    app = container.placements
    [notification] = [n for n in app.notifications(1, 1_000_000) if n.topic.endswith(":StudentErased")
                      and str(n.originator_id) == he]  # the demo erased Tang Xin before
    record = CloudEventEncoder(app, "placements").encode(notification)
    event = decode(record.headers, record.value, topic=container.settings.topic("placements"))
    assert (event.type, event.subject, event.data) == ("dualtrack.placements.StudentErased.v1", he, {})

    projections: dict[str, Any] = {name: container.projection(name) for name in PROJECTION_CLASSES}
    with container.view_db.transaction() as tx:
        applied = {name: [p.apply(tx, event), p.apply(tx, event)] for name, p in projections.items()}
    assert all(first and not again for first, again in applied.values()), applied
    assert container.progress_view.student_progress(EVERYONE, he, DEMO_TODAY)["erased"] is True
    assert container.progress_view.student_progress(EVERYONE, demo.students[0], DEMO_TODAY)["erased"] is False

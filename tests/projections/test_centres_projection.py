"""The centres read model, fed from the event stores (embedded source), on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualtrack.bootstrap import Container
from dualtrack.messaging.rebuild import rebuild, swap_in, verify
from services.common.errors import DomainError
from services.common.identity import CommandContext
from services.common.viewstore import REBUILD_SUFFIX
from toolkit.cloudevents import CloudEventEncoder, decode

pytestmark = pytest.mark.projection


def seed(container: Container, admin: CommandContext):
    app = container.placements
    haier = app.register_enterprise(admin, name="Haier")
    crrc = app.register_enterprise(admin, name="CRRC")
    a = app.open_centre(admin, enterprise_id=haier.id, name="A", address="a", capacity=5, specialities=["mech"])
    b = app.open_centre(admin, enterprise_id=crrc.id, name="B", address="b", capacity=7, specialities=["rail", "weld"])
    app.assign_mentor(admin, a.id, mentor_id="m-1", name="Wang Fang")
    app.change_centre_capacity(admin, a.id, capacity=6, reason="more benches")
    app.close_centre(admin, b.id, reason="sold")
    return haier, crrc, a, b


def test_given_seeded_events_when_projected_then_the_view_shows_each_centre_now(container, admin) -> None:
    haier, _, a, b = seed(container, admin)
    container.projector("centres", embedded=True).catch_up()
    view = container.centres_view
    centre = view.centre_by_id(str(a.id))
    assert centre["enterprise"] == {"id": str(haier.id), "name": "Haier"}
    assert (centre["capacity"], centre["status"], centre["version"]) == (6, "open", 3)
    assert [m["mentor_id"] for m in centre["mentors"]] == ["m-1"]
    assert view.centre_by_id(str(b.id))["status"] == "closed"
    assert view.centres_matching(status="open").total == 1
    assert view.centres_matching(speciality="rail").items[0]["id"] == str(b.id)
    assert view.centres_matching(enterprise_id=str(haier.id)).total == 1
    page = view.centres_matching(page=2, page_size=1)
    assert (page.total, len(page.items)) == (2, 1)


def test_given_a_projector_restarted_then_it_continues_from_its_stored_offsets(container, admin) -> None:
    _, _, a, _ = seed(container, admin)
    first = container.projector("centres", embedded=True)
    first.catch_up()
    container.placements.change_centre_capacity(admin, a.id, capacity=9)
    second = container.projector("centres", embedded=True)
    second.catch_up()
    assert second.progress.applied == 1 and second.progress.skipped == 0
    assert container.centres_view.centre_by_id(str(a.id))["capacity"] == 9


def test_given_events_delivered_twice_then_the_view_is_the_same_as_with_one_delivery(container, admin) -> None:
    seed(container, admin)
    projector = container.projector("centres", embedded=True)
    projector.catch_up()
    projection = container.projection("centres")
    with container.view_db.transaction() as tx:
        before = projection.digest(tx)
    encoder = CloudEventEncoder(container.placements, "placements")
    redelivered = [decode(r.headers, r.value) for r in encoder.encode_all(container.placements.notifications(1, 100))]
    with container.view_db.transaction() as tx:
        assert not any(projection.apply(tx, e) for e in redelivered)
        assert projection.digest(tx) == before


def test_given_a_live_view_when_rebuilt_then_it_is_identical_and_verify_agrees(container, admin) -> None:
    seed(container, admin)
    container.projector("centres", embedded=True).catch_up()
    projection = container.projection("centres")
    with container.view_db.transaction() as tx:
        before = projection.digest(tx)
    report = rebuild(container, "centres", embedded=True)
    assert report.events == 7
    with container.view_db.transaction() as tx:
        assert projection.digest(tx) == before
    assert verify(container, "centres", embedded=True).matches


def test_given_a_tampered_live_view_when_verified_then_the_digests_differ(container, admin) -> None:
    _, _, a, _ = seed(container, admin)
    container.projector("centres", embedded=True).catch_up()
    with container.view_db.transaction() as tx:
        tx.execute("UPDATE centres_centres SET capacity = 99 WHERE centre_id = ?", (str(a.id),))
    report = verify(container, "centres", embedded=True)
    assert not report.matches


commands = st.lists(
    st.tuples(st.sampled_from(["open", "capacity", "assign", "withdraw", "close"]), st.integers(0, 3),
              st.integers(0, 12)),
    min_size=1, max_size=40,
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=commands, seed_=st.integers(0, 10_000))
def test_property_whatever_the_commands_and_their_interleaving_the_view_matches_the_aggregates(
    request, tmp_path_factory, backend, script, seed_
) -> None:
    from services.common.identity import Actor, Role
    from tests.conftest import fresh_postgres_database, make_settings

    database_url = None
    if backend == "postgres":
        database_url = fresh_postgres_database(request.getfixturevalue("postgres_server"))
    container = Container(make_settings(tmp_path_factory.mktemp("prop") / "var", database_url))
    admin = CommandContext(Actor("admin", Role.ADMIN), "c")
    app = container.placements
    enterprise = app.register_enterprise(admin, name="E")
    centres = []
    for action, index, number in script:
        try:
            if action == "open" or not centres:
                centres.append(app.open_centre(admin, enterprise_id=enterprise.id, name=f"C{len(centres)}",
                                               address="x", capacity=number + 1, specialities=["s"]).id)
                continue
            centre = centres[index % len(centres)]
            if action == "capacity":
                app.change_centre_capacity(admin, centre, capacity=number)
            elif action == "assign":
                app.assign_mentor(admin, centre, mentor_id=f"m{number % 3}", name="M")
            elif action == "withdraw":
                app.withdraw_mentor(admin, centre, mentor_id=f"m{number % 3}")
            else:
                app.close_centre(admin, centre, reason="r")
        except DomainError:
            pass  # refused commands record nothing
    encoder = CloudEventEncoder(app, "placements")
    events = [decode(r.headers, r.value) for r in encoder.encode_all(app.notifications(1, 10_000))]
    # Another interleaving across aggregates (per-aggregate order kept, as Kafka keeps it per key).
    by_aggregate: dict[str, list] = {}
    for e in events:
        by_aggregate.setdefault(e.subject, []).append(e)
    rng = random.Random(seed_)
    shuffled = []
    queues = list(by_aggregate.values())
    while queues:
        q = rng.choice(queues)
        shuffled.append(q.pop(0))
        queues = [q for q in queues if q]
    projection = container.projection("centres")
    digests = []
    for suffix, order in (("", events), (REBUILD_SUFFIX, shuffled)):
        with container.view_db.transaction(suffix) as tx:
            projection.create_tables(tx)
            for e in order:
                projection.apply(tx, e)
            digests.append(projection.digest(tx))
    assert digests[0] == digests[1]
    container.projector("centres", embedded=True).catch_up()
    for centre_id in centres:
        aggregate = app.get_centre(centre_id)
        row = container.centres_view.centre_by_id(str(centre_id))
        assert row["capacity"] == aggregate.capacity
        assert row["status"] == ("closed" if aggregate.is_closed else "open")
        assert {m["mentor_id"] for m in row["mentors"]} == set(aggregate.mentors)
        assert row["version"] == aggregate.version
    container.close()


def test_given_a_live_projector_when_a_rebuild_is_swapped_in_meanwhile_then_no_event_is_lost(container, admin) -> None:
    _, _, a, _ = seed(container, admin)
    live = container.projector("centres", embedded=True)
    live.catch_up()
    rebuilding = container.projector("centres", embedded=True, suffix=REBUILD_SUFFIX)
    rebuilding.catch_up()  # the aside tables reach the log's end as it is now...
    container.placements.assign_mentor(admin, a.id, mentor_id="m-9", name="Late Mentor")
    live.catch_up()  # ...while the live projector applies one more event to the live tables
    with container.view_db.transaction() as tx:  # the swap, as rebuild() does it
        swap_in(tx, container.projection("centres"))
    container.placements.change_centre_capacity(admin, a.id, capacity=43)
    live.catch_up()
    centre = container.centres_view.centre_by_id(str(a.id))
    assert centre["capacity"] == 43 and "m-9" in [m["mentor_id"] for m in centre["mentors"]]

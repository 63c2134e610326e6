"""The credit statements read model (and the certificates and balance the progress read model shows), fed from
the credentials event store (embedded source), on SQLite and PostgreSQL.

The demo's credentials story (see dualtrack/demo/) is the fixed world: Liu awarded X-RTM junior on
eligibility (4 credits deposited), the award's number amended, 3 credits converted to a course: balance 1. Ma
awarded by override, converted, then revoked: the conversion and the deposit reversed, balance 0.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.demo import DEMO_TODAY, DemoIds, person_id
from dualtrack.messaging.rebuild import rebuild, verify
from dualtrack.web.app import create_app
from services.common.errors import NotFound
from services.common.identity import CommandContext, Role
from services.common.scope import Scope
from services.credentials.domain.account import credit_account_id
from tests.conftest import bearer
from tests.support.demo import Seeded
from toolkit.cloudevents import CloudEventEncoder, decode
from toolkit.http.freshness import signed_token

pytestmark = pytest.mark.projection

CONVERTED_TO = "MEC-201 Drive systems"


def catch_up_everything(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


@pytest.fixture
def container(seeded: Seeded) -> Container:
    """The demo world, seeded once per database kind and copied for this test (tests/conftest.py)."""
    return seeded.container


@pytest.fixture
def demo(seeded: Seeded) -> DemoIds:
    catch_up_everything(seeded.container)
    return seeded.ids


def statement(container: Container, student: str, scope: Scope | None = None) -> dict[str, Any]:
    return container.credit_statements_view.credit_statement(scope or Scope(), student)


def lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["event"] == "CreditsPosted"]


def outline(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each entry as (event, line kind, effect on the balance, balance after)."""
    return [(e["event"], e["kind"], e["effect"], e["balance_after"]) for e in entries]


# -- the demo ------------------------------------------------------------------------------------------------------


def test_given_the_demo_when_liu_reads_her_statement_then_the_award_amendment_and_conversion_show_4_then_1(
    container, demo, admin
) -> None:
    liu = demo.students[0]
    seen = statement(container, liu, Scope(student_id=liu))
    account = container.credentials.get_account(admin, UUID(liu))
    assert (seen["student_id"], seen["school_id"], seen["account_id"]) == (liu, demo.schools[0], str(account.id))
    assert seen["account_id"] == str(credit_account_id(liu))

    entries = seen["entries"]
    assert outline(entries) == [
        ("CertificateAwarded", None, None, 0),
        ("CreditsPosted", "deposit", 4, 4),
        ("CertificateAmended", None, None, 4),
        ("CreditsPosted", "conversion", -3, 1),
    ]
    assert [e["sequence"] for e in entries] == [2, 3, 4, 5]  # version 1 opened the account
    assert seen["balance"] == 1 == account.balance
    assert {(e["certificate_code"], e["level"]) for e in entries} == {("X-RTM", "junior")}
    assert len({e["award_id"] for e in entries}) == 1

    awarded, deposit, amended, conversion = entries
    assert (awarded["eligible"], awarded["certificate_number"], awarded["reason_given"]) == (
        True, "RTM-J-2026-0117", False)
    assert [r["met"] for r in awarded["eligibility"]] == [True, True]
    assert (deposit["debit"], deposit["credit"], deposit["amount"]) == (f"award:{awarded['award_id']}", "available", 4)
    assert deposit["caused_by"] == [awarded["event_id"]]
    assert (amended["certificate_number"], amended["awarded_on"]) == ("RTM-J-2026-0171", DEMO_TODAY.isoformat())
    assert (amended["reason_given"], amended["reason"]) == (True, None)  # free text: not on the topic
    assert (conversion["debit"], conversion["credit"], conversion["amount"]) == (
        "available", f"course:{CONVERTED_TO}", 3)
    assert (conversion["course"], conversion["exempt"], conversion["reverses"]) == (CONVERTED_TO, True, None)
    assert [e["actor"] for e in entries] == ["certificate-office"] * 3 + [person_id("coordinator-chen")]
    assert all(e["recorded_at"] and e["actor_role"] for e in entries)
    assert [e["recorded_at"] for e in entries] == sorted(e["recorded_at"] for e in entries)


def test_given_the_demo_when_mas_statement_is_read_then_the_revocation_reverses_everything_down_to_0(
    container, demo, admin
) -> None:
    ma = demo.students[2]
    seen = statement(container, ma)
    entries = seen["entries"]
    assert outline(entries) == [
        ("CertificateAwarded", None, None, 0),
        ("CreditsPosted", "deposit", 4, 4),
        ("CreditsPosted", "conversion", -3, 1),
        ("CertificateRevoked", None, None, 1),
        ("CreditsPosted", "reversal", 3, 4),  # the conversion first
        ("CreditsPosted", "reversal", -4, 0),  # then the deposit
    ]
    assert seen["balance"] == 0 == container.credentials.get_account(admin, UUID(ma)).balance

    awarded, deposit, conversion, revoked, undo_conversion, undo_deposit = entries
    assert (awarded["eligible"], awarded["reason_given"], deposit["reason_given"]) == (False, True, True)
    assert (revoked["revocation_reason"], revoked["reason"], revoked["reason_given"]) == (None, None, True)
    assert (undo_conversion["reverses"], undo_deposit["reverses"]) == (conversion["line_id"], deposit["line_id"])
    assert undo_conversion["caused_by"] == undo_deposit["caused_by"] == [revoked["event_id"]]
    for undo, done in ((undo_conversion, conversion), (undo_deposit, deposit)):
        assert (undo["debit"], undo["credit"], undo["amount"]) == (done["credit"], done["debit"], done["amount"])
        assert undo["reason_given"] and undo["reason"] is None


def test_given_the_demo_then_every_balance_is_the_sum_of_the_ledger_effects_and_the_aggregates_balance(
    container, demo, admin
) -> None:
    with_accounts = 0
    for student in demo.students:
        account = container.credentials.get_account(admin, UUID(student))
        if account is None:
            with pytest.raises(NotFound):
                statement(container, student)
            continue
        with_accounts += 1
        seen = statement(container, student)
        effects = [e["effect"] for e in lines(seen["entries"])]
        assert seen["balance"] == sum(effects) == account.balance
        running = 0
        for entry in seen["entries"]:
            running += entry["effect"] or 0
            assert entry["balance_after"] == running >= 0
        assert [e["line_id"] for e in lines(seen["entries"])] == [line.line_id for line in account.lines]
    assert with_accounts == 2


def test_given_the_demo_when_asked_outside_ones_scope_then_the_statement_is_not_found(container, demo) -> None:
    liu, zhou, ma, he = demo.students
    qtc, vocational = demo.schools
    crrc = demo.enterprises[1]
    for scope in (Scope(), Scope(student_id=liu), Scope(school_id=qtc)):
        assert statement(container, liu, scope)["student_id"] == liu
    for scope in (Scope(student_id=ma), Scope(school_id=vocational), Scope(enterprise_id=crrc, mentor_id=person_id("mentor-zhao")),
                  Scope(enterprise_id=crrc)):
        with pytest.raises(NotFound):
            statement(container, liu, scope)
    for nobody in (zhou, he, str(uuid.uuid4())):  # no credit account, or no student at all
        with pytest.raises(NotFound):
            statement(container, nobody)


# -- progress: certificates and balance ----------------------------------------------------------------------------


def test_given_the_demo_then_progress_shows_lius_certificate_and_balance_1_and_mas_revoked_one_and_0(
    container, demo
) -> None:
    liu, zhou, ma, _ = demo.students
    view = container.progress_view

    seen = view.student_progress(Scope(student_id=liu), liu, DEMO_TODAY)
    [certificate] = seen["certificates"]
    assert {k: v for k, v in certificate.items() if k != "award_id"} == {
        "certificate_code": "X-RTM", "level": "junior", "awarded_on": DEMO_TODAY.isoformat(),
        "certificate_number": "RTM-J-2026-0171", "eligible": True, "revoked": False, "revoked_reason": None}
    assert seen["credit_balance"] == 1
    assert certificate["award_id"] == statement(container, liu)["entries"][0]["award_id"]

    seen = view.student_progress(Scope(school_id=demo.schools[0]), ma, DEMO_TODAY)
    [certificate] = seen["certificates"]
    assert (certificate["certificate_code"], certificate["level"], certificate["certificate_number"]) == (
        "X-RTM", "junior", None)
    assert (certificate["eligible"], certificate["revoked"], certificate["revoked_reason"]) == (
        False, True, None)  # the reason is free text: not on the topic (the credentials application has it)
    assert seen["credit_balance"] == 0

    seen = view.student_progress(Scope(), zhou, DEMO_TODAY)
    assert (seen["certificates"], seen["credit_balance"]) == ([], 0)


# -- rebuild, verify, redelivery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["credit_statements", "progress"])
def test_given_the_demo_when_verified_rebuilt_or_redelivered_then_nothing_differs(container, demo, name) -> None:
    projection = container.projection(name)
    with container.view_db.transaction() as tx:
        before = projection.digest(tx)
    report = verify(container, name, embedded=True)
    assert report.matches, (report.live_digest, report.rebuilt_digest)
    app = container.credentials
    again = [decode(r.headers, r.value) for r in CloudEventEncoder(app, "credentials").encode_all(
        app.notifications(1, 10_000))]
    with container.view_db.transaction() as tx:
        assert not any(projection.apply_batch(tx, again))
        assert projection.digest(tx) == before
    rebuild(container, name, embedded=True)
    with container.view_db.transaction() as tx:
        assert projection.digest(tx) == before
    assert statement(container, demo.students[0])["balance"] == 1
    assert container.progress_view.student_progress(Scope(), demo.students[2], DEMO_TODAY)["credit_balance"] == 0


# -- HTTP ------------------------------------------------------------------------------------------------------------


def test_given_the_demo_when_enterprise_admins_or_another_students_guardian_ask_for_the_statement_then_it_is_not_theirs(
        container, demo) -> None:
    liu, he = demo.students[0], demo.students[3]
    http = create_app(container).test_client()
    path = f"/api/v1/students/{liu}/credit-statement"
    her_host = bearer(Role.ENTERPRISE_ADMIN, person_id("enterprise-admin-qian"), enterprise_id=demo.enterprises[1])
    assert http.get(path, headers=her_host).status_code == 403  # like its mentors: no credit statements
    hes_guardian = bearer(Role.GUARDIAN, person_id("guardian-he"), student_id=he)
    assert http.get(path, headers=hes_guardian).status_code == 403  # as for a student id that names nobody


def test_given_the_demo_when_the_statement_is_asked_over_http_then_scope_and_freshness_hold(container, demo) -> None:
    liu, zhou, ma, _ = demo.students
    qtc, vocational = demo.schools
    http = create_app(container).test_client()

    def get(student: str, headers: dict[str, str], **query: str) -> Any:
        return http.get(f"/api/v1/students/{student}/credit-statement", headers=headers, query_string=query)

    own = get(liu, bearer(Role.STUDENT, person_id("student-liu"), student_id=liu))
    assert own.status_code == 200, own.json
    assert [(e["kind"], e["balance_after"]) for e in own.json["entries"]] == [
        (None, 0), ("deposit", 4), (None, 4), ("conversion", 1)]
    assert own.json["balance"] == 1
    for headers in (bearer(Role.COORDINATOR, person_id("coordinator-chen"), school_id=qtc),
                    bearer(Role.TEACHER, person_id("teacher-gao"), school_id=qtc), bearer(Role.AUDITOR, "auditor-1"),
                    bearer(Role.ADMIN, "admin-1")):
        assert get(ma, headers).json["balance"] == 0
    assert get(liu, bearer(Role.STUDENT, f"student-{ma}", student_id=ma)).status_code == 403  # as for nobody's id
    assert get(liu, bearer(Role.TEACHER, person_id("teacher-lin"), school_id=vocational)).status_code == 403
    assert get(liu, bearer(Role.MENTOR, person_id("mentor-zhao"), enterprise_id=demo.enterprises[1])).status_code == 403
    assert get(liu, {}).status_code == 401
    progress = http.get(f"/api/v1/students/{liu}/progress", headers=bearer(Role.ADMIN, "admin-1"))
    assert (progress.json["credit_balance"], progress.json["certificates"][0]["certificate_number"]) == (
        1, "RTM-J-2026-0171")

    admin = bearer(Role.ADMIN, "admin-1")
    awarded = container.credentials.award_certificate(
        CommandContext.for_system("certificate-office"), UUID(zhou), certificate_code="X-RTM", level="junior",
        override_reason="recognised prior learning")
    with http.application.app_context():
        token = signed_token(awarded.token)
        foreign = signed_token(f"training:{awarded.id}:1")
    assert get(zhou, admin, wait_for=token, wait_timeout="0").status_code == 503
    assert get(zhou, admin, wait_for=foreign).status_code == 422
    catch_up_everything(container)
    fresh = get(zhou, admin, wait_for=token, wait_timeout="0")
    assert fresh.status_code == 200, fresh.json
    assert outline(fresh.json["entries"]) == [("CertificateAwarded", None, None, 0), ("CreditsPosted", "deposit", 4, 4)]
    assert fresh.json["entries"][0]["reason"] is None, "free text stays off the topics and out of the read model"
    container.credentials.revoke_award(CommandContext.for_system("certificate-office"), UUID(zhou), awarded.award_id,
                                       reason="recognised in error")
    catch_up_everything(container)
    revoked = get(zhou, admin).json["entries"]
    assert [(e["event"], e["reason"]) for e in revoked[2:]] == [
        ("CertificateRevoked", "recognised in error"), ("CreditsPosted", "recognised in error")
    ], "the API reads why from the credentials application"

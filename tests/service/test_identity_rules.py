"""The identity context's rules, through the IdentityApplication on in-memory event stores: who may grant what,
invitations, passwords, the lock after twenty wrong passwords, sessions and their refresh tokens, guardian codes.

Mail goes to the deployment's outbox (the view database); the tests read the one-time links from it. The
password hasher is argon2id with small costs here (the rules are the same; the real costs are in the API tests).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from dualtrack.bootstrap import Container
from services.common.errors import InvalidInput, NotAllowed, NotSignedIn, RuleViolated, TooManyAttempts
from services.common.identity import CommandContext, Role
from services.identity.application import IdentityApplication
from services.identity.domain.person import FAILURES_BEFORE_LOCK, LOCKED_FOR
from tests.conftest import context_for

pytestmark = pytest.mark.rules

PASSWORD = "a long enough passphrase"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(IdentityApplication, "now", staticmethod(clock))
    monkeypatch.setattr(IdentityApplication, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return clock


class World:
    """A school with a student and an enterprise (in the placements store), and the identity application."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.identity = container.identity
        admin = CommandContext.for_system("admin-1")
        placements = container.placements
        self.school = str(placements.register_school(admin, name="Qingdao Technician College", code="QTC").id)
        self.other_school = str(placements.register_school(admin, name="Other College", code="OC").id)
        self.enterprise = str(placements.register_enterprise(admin, name="CRRC").id)
        self.other_enterprise = str(placements.register_enterprise(admin, name="Haier").id)
        from datetime import date

        coordinator_of_school = context_for(Role.COORDINATOR, "c", school_id=self.school)
        self.student = str(placements.enrol_student(coordinator_of_school, placements.get_school(
            __import__("uuid").UUID(self.school)).id, name="Liu Yang", major="mechatronics", cohort=2024,
            enrolment_date=date(2024, 9, 1), date_of_birth=date(2006, 3, 1)).id)
        self.admin = admin

    def links(self, to: str) -> list[str]:
        """The one-time links mailed to `to`, oldest first (read from the outbox, as a mail server would get them)."""
        with self.container.view_db.transaction() as tx:
            rows = tx.execute("SELECT body FROM mail_outbox WHERE recipient = ? ORDER BY created_at",
                              (to,)).fetchall()
        return [m.group(1) for (text,) in rows for m in [re.search(r"/invitations/(\S+)", text or "")] if m]

    def join(self, ctx: CommandContext, email: str, role: Role, **scope: str) -> str:
        """Invite someone, accept their invitation with PASSWORD; their person id."""
        invited = self.identity.invite(ctx, name=email.split("@")[0], email=email, role=role, **scope)
        self.identity.accept_invitation(self.links(email)[-1], password=PASSWORD, correlation_id="c")
        return str(invited.person_id)

    def sign_in(self, login: str, password: str = PASSWORD, **options: Any) -> Any:
        return self.identity.sign_in(login, password, address="127.0.0.1", client="api", correlation_id="c",
                                     **options)

    def history(self, person_id: str) -> list[str]:
        return [type(e).__name__ for e in self.identity.repository.event_store.get(__import__("uuid").UUID(person_id))]


@pytest.fixture
def world(container: Container, clock: Clock) -> World:
    return World(container)


def test_given_an_invitation_when_its_link_sets_a_password_then_the_person_signs_in_as_the_role_given(world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    signed = world.sign_in("Chen@QTC.example")
    actor = world.identity.actor_of_session(person, signed.session.session_id, signed.grant.grant_id)
    assert (actor.subject, actor.role, actor.school_id) == (person, Role.COORDINATOR, world.school)
    assert world.history(person)[:3] == ["PersonAdded", "GrantGiven", "PasswordSet"]


def test_given_a_used_or_expired_link_then_it_sets_no_password(world, clock) -> None:
    world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    used = world.links("chen@qtc.example")[-1]
    with pytest.raises(NotSignedIn, match="already used"):
        world.identity.accept_invitation(used, password="another passphrase", correlation_id="c")
    world.identity.invite(world.admin, name="Gao", email="gao@qtc.example", role=Role.TEACHER,
                          school_id=world.school)
    clock.advance(days=8)
    with pytest.raises(NotSignedIn, match="expired"):
        world.identity.accept_invitation(world.links("gao@qtc.example")[-1], password=PASSWORD, correlation_id="c")
    with pytest.raises(NotSignedIn):
        world.identity.accept_invitation("not-a-link-we-sent", password=PASSWORD, correlation_id="c")


def test_given_a_weak_password_then_the_link_stays_usable_and_the_field_is_named(world) -> None:
    world.identity.invite(world.admin, name="Gao", email="gao@qtc.example", role=Role.TEACHER, school_id=world.school)
    link = world.links("gao@qtc.example")[-1]
    for weak in ("short", "gao@qtc.example"):
        with pytest.raises(InvalidInput) as caught:
            world.identity.accept_invitation(link, password=weak, correlation_id="c")
        assert caught.value.details["field"] == "password"
    world.identity.accept_invitation(link, password=PASSWORD, correlation_id="c")


def test_given_each_granter_then_only_the_roles_within_their_reach_are_given(world) -> None:
    coordinator = context_for(Role.COORDINATOR, "chen", school_id=world.school)
    enterprise_admin = context_for(Role.ENTERPRISE_ADMIN, "qian", enterprise_id=world.enterprise)
    allowed = [
        (coordinator, Role.TEACHER, {"school_id": world.school}),
        (coordinator, Role.STUDENT, {"student_id": world.student}),
        (coordinator, Role.GUARDIAN, {"student_id": world.student}),
        (enterprise_admin, Role.MENTOR, {"enterprise_id": world.enterprise}),
        (world.admin, Role.AUDITOR, {}),
        (world.admin, Role.ENTERPRISE_ADMIN, {"enterprise_id": world.enterprise}),
    ]
    refused = [
        (coordinator, Role.TEACHER, {"school_id": world.other_school}),
        (coordinator, Role.COORDINATOR, {"school_id": world.school}),
        (coordinator, Role.ADMIN, {}),
        (coordinator, Role.MENTOR, {"enterprise_id": world.enterprise}),
        (enterprise_admin, Role.MENTOR, {"enterprise_id": world.other_enterprise}),
        (enterprise_admin, Role.ENTERPRISE_ADMIN, {"enterprise_id": world.enterprise}),
        (enterprise_admin, Role.TEACHER, {"school_id": world.school}),
        (context_for(Role.MENTOR, "zhao", enterprise_id=world.enterprise), Role.MENTOR,
         {"enterprise_id": world.enterprise}),
        (context_for(Role.STUDENT, "liu", student_id=world.student), Role.GUARDIAN, {"student_id": world.student}),
    ]
    for n, (ctx, role, scope) in enumerate(allowed):
        world.identity.invite(ctx, name=f"allowed {n}", email=f"allowed{n}@example.org", role=role, **scope)
    before = world.identity.max_position()
    for n, (ctx, role, scope) in enumerate(refused):
        with pytest.raises(NotAllowed):
            world.identity.invite(ctx, name=f"refused {n}", email=f"refused{n}@example.org", role=role, **scope)
    assert world.identity.max_position() == before, "a refused invitation records nothing"
    assert all(not world.links(f"refused{n}@example.org") for n in range(len(refused))), "and mails nothing"


def test_given_anyone_when_they_grant_themself_a_role_then_no_self_grant_refuses_it(world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    herself = context_for(Role.COORDINATOR, person, school_id=world.school)
    with pytest.raises(RuleViolated) as caught:
        world.identity.invite(herself, name="Chen", email="chen@qtc.example", role=Role.TEACHER,
                              school_id=world.school)
    assert caught.value.rule == "no-self-grant"
    admin_person = world.join(world.admin, "wu@dualtrack.example", Role.ADMIN)
    with pytest.raises(RuleViolated, match="themself"):
        world.identity.invite(context_for(Role.ADMIN, admin_person), name="Wu", email="wu@dualtrack.example",
                              role=Role.AUDITOR)


def test_given_a_scope_that_does_not_exist_then_the_invitation_is_not_found(world) -> None:
    from services.common.errors import NotFound

    with pytest.raises(NotFound) as caught:
        world.identity.invite(world.admin, name="X", email="x@example.org", role=Role.COORDINATOR,
                              school_id="00000000-0000-0000-0000-000000000000")
    assert caught.value.details["field"] == "school_id"
    with pytest.raises(InvalidInput, match="school"):
        world.identity.invite(world.admin, name="X", email="x@example.org", role=Role.COORDINATOR)


def test_given_twenty_wrong_passwords_then_the_account_locks_and_the_right_one_is_refused_until_the_lock_ends(
        world, clock) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    for attempt in range(1, FAILURES_BEFORE_LOCK):
        with pytest.raises(NotSignedIn):
            world.sign_in("chen@qtc.example", f"wrong guess {attempt}")
    with pytest.raises(TooManyAttempts) as locked:
        world.sign_in("chen@qtc.example", "wrong guess 20")
    assert 0 < locked.value.retry_after <= LOCKED_FOR.total_seconds() + 1
    with pytest.raises(TooManyAttempts):
        world.sign_in("chen@qtc.example", PASSWORD)
    history = world.history(person)
    assert history.count("SignInFailed") == FAILURES_BEFORE_LOCK + 1 and "AccountLocked" in history
    assert history[-1] == "SignInFailed", "the right password during the lock is on record as refused"
    clock.advance(seconds=LOCKED_FOR.total_seconds() + 1)
    assert world.sign_in("chen@qtc.example", PASSWORD).grant.role is Role.COORDINATOR
    assert world.history(person)[-1] == "SignedIn"


def test_given_an_unknown_login_or_no_password_yet_then_the_refusal_is_the_same(world) -> None:
    world.identity.invite(world.admin, name="Gao", email="gao@qtc.example", role=Role.TEACHER, school_id=world.school)
    for login in ("nobody@qtc.example", "gao@qtc.example"):
        with pytest.raises(NotSignedIn, match="wrong login or password"):
            world.sign_in(login)


def test_given_a_refresh_token_when_used_then_a_new_one_replaces_it_and_using_the_old_again_ends_the_session(
        world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    first = world.sign_in("chen@qtc.example")
    second = world.identity.refresh(first.refresh_token, correlation_id="c", grant_id=None)
    assert second.session.session_id == first.session.session_id and second.refresh_token != first.refresh_token
    with pytest.raises(NotSignedIn, match="already used"):
        world.identity.refresh(first.refresh_token, correlation_id="c", grant_id=None)
    with pytest.raises(NotSignedIn):
        world.identity.refresh(second.refresh_token, correlation_id="c", grant_id=None)
    with pytest.raises(NotSignedIn):
        world.identity.actor_of_session(person, first.session.session_id, first.grant.grant_id)
    for garbage in ("", "a.b", "not-hex.x.y", "a" * 32 + ".x.y"):
        with pytest.raises(NotSignedIn):
            world.identity.refresh(garbage, correlation_id="c", grant_id=None)


def test_given_two_sessions_when_signed_out_everywhere_then_neither_is_honoured(world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    phone, laptop = world.sign_in("chen@qtc.example"), world.sign_in("chen@qtc.example")
    me = context_for(Role.COORDINATOR, person, school_id=world.school)
    world.identity.sign_out(me, phone.session.session_id)
    with pytest.raises(NotSignedIn):
        world.identity.actor_of_session(person, phone.session.session_id, phone.grant.grant_id)
    world.identity.actor_of_session(person, laptop.session.session_id, laptop.grant.grant_id)
    world.identity.sign_out_everywhere(me)
    with pytest.raises(NotSignedIn):
        world.identity.actor_of_session(person, laptop.session.session_id, laptop.grant.grant_id)


def test_given_a_withdrawn_grant_then_its_sessions_act_no_more_but_other_grants_do(world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    teacher = world.identity.invite(world.admin, name="Chen", email="chen@qtc.example", role=Role.TEACHER,
                                    school_id=world.school)
    assert not teacher.mailed, "someone with a password gets the role, not a new link"
    as_teacher = world.sign_in("chen@qtc.example", grant_id=teacher.grant.grant_id)
    as_coordinator = world.sign_in("chen@qtc.example")
    world.identity.withdraw_grant(world.admin, as_teacher.person.id, teacher.grant.grant_id)
    with pytest.raises(NotSignedIn, match="withdrawn"):
        world.identity.actor_of_session(person, as_teacher.session.session_id, teacher.grant.grant_id)
    assert world.identity.actor_of_session(person, as_coordinator.session.session_id,
                                           as_coordinator.grant.grant_id).role is Role.COORDINATOR


def test_given_a_forgotten_password_then_a_reset_link_sets_a_new_one_and_ends_every_session(world) -> None:
    person = world.join(world.admin, "chen@qtc.example", Role.COORDINATOR, school_id=world.school)
    old = world.sign_in("chen@qtc.example")
    world.identity.request_password_reset(world.admin, "nobody@qtc.example")  # says nothing, sends nothing
    assert world.links("nobody@qtc.example") == []
    world.identity.request_password_reset(world.admin, "chen@qtc.example")
    world.identity.accept_invitation(world.links("chen@qtc.example")[-1], password="a brand new passphrase",
                                     correlation_id="c")
    with pytest.raises(NotSignedIn):
        world.identity.actor_of_session(person, old.session.session_id, old.grant.grant_id)
    with pytest.raises(NotSignedIn):
        world.sign_in("chen@qtc.example")
    assert world.sign_in("chen@qtc.example", "a brand new passphrase")


def test_given_a_guardian_code_then_five_wrong_tries_void_it_and_a_new_one_works(world, clock) -> None:
    def send() -> str:
        world.identity.send_guardian_code(world.admin, student_id=world.student, placement_id="p-1",
                                          guardian_email="he@family.example", guardian_name="He Jianguo",
                                          student_name="Liu Yang")
        with world.container.view_db.transaction() as tx:
            (text,) = tx.execute("SELECT body FROM mail_outbox WHERE recipient = ? ORDER BY created_at DESC",
                                 ("he@family.example",)).fetchone()
        return re.search(r"\b(\d{8})\b", text).group(1)

    code = send()
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        with pytest.raises(NotSignedIn, match="wrong code"):
            world.identity.actor_of_guardian_code(world.student, "p-1", wrong, "c")
    with pytest.raises(TooManyAttempts):
        world.identity.actor_of_guardian_code(world.student, "p-1", code, "c")
    code = send()
    actor = world.identity.actor_of_guardian_code(world.student, "p-1", code, "c")
    assert (actor.role, actor.student_id) == (Role.GUARDIAN, world.student)
    with pytest.raises(NotSignedIn):
        world.identity.actor_of_guardian_code(world.student, "p-2", code, "c")
    clock.advance(hours=49)
    with pytest.raises(NotSignedIn, match="expired"):
        world.identity.actor_of_guardian_code(world.student, "p-1", code, "c")


def test_given_a_held_letter_after_a_crash_then_the_outbox_is_told_whether_its_events_were_saved(world) -> None:
    invited = world.identity.invite(world.admin, name="Gao", email="gao@qtc.example", role=Role.TEACHER,
                                    school_id=world.school)
    with world.container.view_db.transaction() as tx:
        (key,) = tx.execute("SELECT key FROM mail_outbox WHERE recipient = ?", ("gao@qtc.example",)).fetchone()
    assert world.identity.confirms_letter(key)
    assert not world.identity.confirms_letter("invitation:00000000-0000-0000-0000-000000000000")
    assert not world.identity.confirms_letter("garbage")
    assert invited.mailed

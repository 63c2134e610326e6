"""Accounts stored on SQLite and PostgreSQL, written by two processes at once: no failed sign-in goes uncounted,
and a refresh token used twice at the same moment gives one new pair, not two."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from argon2 import PasswordHasher

from dualtrack.bootstrap import Container
from services.common.errors import NotSignedIn, TooManyAttempts
from services.common.identity import CommandContext, Role
from services.identity.application import IdentityApplication
from services.identity.domain.person import FAILURES_BEFORE_LOCK

pytestmark = pytest.mark.stored

PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IdentityApplication, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def person(container: Container) -> str:
    return str(container.identity.add_account(CommandContext.for_system("console"), name="Chen Jing",
                                              email="chen@qtc.example", password=PASSWORD))


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads started together; what each returned or raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as error:  # the outcome under test
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_given_two_processes_guessing_at_once_then_every_failure_is_counted_and_the_lock_comes_at_twenty(
        container: Container, person: str) -> None:
    container.identity.invite(CommandContext.for_system("admin"), name="Chen", email="chen@qtc.example",
                              role=Role.AUDITOR)
    other = Container(container.settings)
    try:
        def guesses(identity: IdentityApplication, who: str) -> Callable[[], Counter[str]]:
            def guess() -> Counter[str]:
                seen: Counter[str] = Counter()
                for n in range(FAILURES_BEFORE_LOCK):
                    try:
                        identity.sign_in("chen@qtc.example", f"{who} guess {n}", address=who, client="api",
                                         correlation_id=who)
                    except (NotSignedIn, TooManyAttempts) as refusal:
                        seen[type(refusal).__name__] += 1
                return seen
            return guess

        results = at_once(guesses(container.identity, "one"), guesses(other.identity, "two"))
    finally:
        other.close()
    assert all(isinstance(r, Counter) for r in results), results
    events = list(container.identity.repository.event_store.get(UUID(person)))
    failed = [e for e in events if type(e).__name__ == "SignInFailed"]
    locks = [e for e in events if type(e).__name__ == "AccountLocked"]
    assert len(failed) == 2 * FAILURES_BEFORE_LOCK, "each of the forty refusals is on record"
    assert [e.reason for e in failed[:FAILURES_BEFORE_LOCK]] == ["wrong-password"] * FAILURES_BEFORE_LOCK
    assert len(locks) == 1 and locks[0].failures == FAILURES_BEFORE_LOCK
    assert sum(r["TooManyAttempts"] for r in results) == FAILURES_BEFORE_LOCK + 1


def test_given_one_refresh_token_sent_twice_at_the_same_moment_then_never_two_new_pairs(
        container: Container, person: str) -> None:
    identity = container.identity
    identity.invite(CommandContext.for_system("admin"), name="Chen", email="chen@qtc.example", role=Role.AUDITOR)
    signed = identity.sign_in("chen@qtc.example", PASSWORD, address="a", client="api", correlation_id="c")
    other = Container(container.settings)
    try:
        results = at_once(
            lambda: identity.refresh(signed.refresh_token, correlation_id="one", grant_id=None),
            lambda: other.identity.refresh(signed.refresh_token, correlation_id="two", grant_id=None))
    finally:
        other.close()
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and all(isinstance(r, NotSignedIn) for r in results if r not in winners), results
    ended = [e for e in identity.repository.event_store.get(UUID(person)) if type(e).__name__ == "SignedOut"]
    if ended:  # the second came after the first was saved: a reuse, which ends the session (a copy may be stolen)
        assert ended[0].meta.reason == "refresh-token-reused"
        with pytest.raises(NotSignedIn):
            identity.actor_of_session(person, winners[0].session.session_id, winners[0].grant.grant_id)
    else:  # truly at once: the one saved first wins, its new pair works
        actor = identity.actor_of_session(person, winners[0].session.session_id, winners[0].grant.grant_id)
        assert actor.role is Role.AUDITOR

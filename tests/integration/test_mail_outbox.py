"""The mail outbox against a real SMTP server (aiosmtpd), on SQLite and on PostgreSQL: what is put arrives, once,
in UTF-8; held mail waits for its caller; a server that is down delays mail and loses none; a recipient refused for
good is marked failed; a sent message keeps no text. Time is a clock the tests move, never a sleep."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.viewstore import ViewDatabase
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401 - smtp_server is a fixture
from toolkit.mail import Mail, MailOutbox, SmtpTransport, message_id

pytestmark = pytest.mark.stored

SENDER = "dualtrack <no-reply@school.example>"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Killed(BaseException):
    """What a sender killed mid-send would leave: nothing after the claim runs."""


class DiesWhileSending:
    def send(self, mail: Mail) -> None:
        raise Killed


@pytest.fixture
def db_url(database_url: str | None, tmp_path: Path) -> str:
    return database_url or str(tmp_path / "views.sqlite3")


@pytest.fixture
def db(db_url: str) -> Iterator[ViewDatabase]:
    database = ViewDatabase(db_url)
    yield database
    database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(db: ViewDatabase, clock: Clock) -> MailOutbox:
    return MailOutbox(db, now=clock)


@pytest.fixture
def transport(smtp_server: SmtpServer) -> Iterator[SmtpTransport]:
    with SmtpTransport(smtp_server.host, smtp_server.port, SENDER, timeout=5) as smtp:
        yield smtp


def invitation(n: int | str, to: str | None = None) -> Mail:
    return Mail(f"invitation:{n}", to or f"user{n}@example.com", f"Invitation {n}",
                f"Open https://dualtrack.example/invitations/secret-{n} to join.")


def body_of(db: ViewDatabase, key: str) -> str | None:
    with db.transaction() as tx:
        row = tx.execute("SELECT body FROM mail_outbox WHERE key = ?", (key,)).fetchone()
    assert row is not None
    return row[0]


def test_given_a_mail_put_in_the_outbox_when_send_due_runs_then_the_smtp_server_receives_it_with_its_utf8_subject_and_text(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer,
) -> None:
    mail = Mail("invitation:li-lei", "li.lei@example.com", "李雷，欢迎加入双元制学徒计划",
                "李雷同学：\n请打开 https://dualtrack.example/invitations/abc 完成注册。\n—— 青岛技师学院")
    assert outbox.put(mail) is True

    assert outbox.send_due(transport) == 1

    received = smtp_server.wait_for(to="li.lei@example.com")
    assert received["Subject"] == "李雷，欢迎加入双元制学徒计划"
    assert received.get_content().rstrip("\n") == mail.text
    assert received["Message-ID"] == message_id("invitation:li-lei", SENDER)
    assert received["From"] == SENDER
    assert [m.status for m in outbox.messages()] == ["sent"]


def test_given_a_sent_message_when_send_due_runs_again_or_the_same_key_is_put_again_then_it_is_not_sent_twice(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer,
) -> None:
    outbox.put(invitation(1))
    assert outbox.send_due(transport) == 1
    assert outbox.put(invitation(1)) is False
    assert outbox.hold(invitation(1)) is False

    assert outbox.send_due(transport) == 0
    assert outbox.send_due(transport) == 0

    assert len(smtp_server.messages) == 1


def test_given_two_outboxes_on_one_database_when_they_send_at_the_same_time_then_every_message_arrives_exactly_once(
    db_url: str, smtp_server: SmtpServer,
) -> None:
    smtp_server.delay = 0.01  # the two senders' passes overlap
    writer = ViewDatabase(db_url)
    for n in range(30):
        MailOutbox(writer).put(invitation(n))
    writer.close()
    sent: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        database = ViewDatabase(db_url)
        try:
            box = MailOutbox(database)
            with SmtpTransport(smtp_server.host, smtp_server.port, SENDER, timeout=5) as smtp:
                start.wait()
                while (count := box.send_due(smtp, limit=3)) > 0:
                    sent.append(count)
        except BaseException as error:
            errors.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(sent) == 30
    ids = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert len(ids) == 30 and set(ids.values()) == {1}


def test_given_a_held_message_then_it_is_not_sent_until_its_caller_releases_it(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer,
) -> None:
    assert outbox.hold(invitation(1)) is True
    assert outbox.hold(Mail("invitation:1", "other@example.com", "changed", "changed")) is False

    assert outbox.send_due(transport) == 0
    assert outbox.get("invitation:1").status == "held"  # type: ignore[union-attr]

    assert outbox.release("invitation:1") is True
    assert outbox.send_due(transport) == 1
    received = smtp_server.wait_for(to="user1@example.com")
    assert received["Subject"] == "Invitation 1"  # the first hold's message, not the second's
    assert smtp_server.to("other@example.com") == []


def test_given_a_held_message_whose_caller_drops_it_then_it_is_never_sent(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    outbox.hold(invitation(1))
    assert outbox.drop("invitation:1") is True
    clock.advance(3600)

    assert outbox.send_due(transport, confirm=lambda key: True) == 0
    assert outbox.get("invitation:1") is None
    assert smtp_server.messages == []


def test_given_a_message_held_past_a_minute_when_confirm_says_its_events_were_saved_then_it_is_released_and_sent(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    outbox.hold(invitation(1))
    asked: list[str] = []

    def confirm(key: str) -> bool:
        asked.append(key)
        return True

    clock.advance(59)
    assert outbox.send_due(transport, confirm=confirm) == 0
    assert asked == []  # within the minute its caller may still release or drop it

    clock.advance(2)
    assert outbox.send_due(transport, confirm=confirm) == 1
    assert asked == ["invitation:1"]
    smtp_server.wait_for(to="user1@example.com")


def test_given_a_message_held_past_a_minute_when_confirm_says_its_events_were_not_saved_then_it_is_dropped(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    outbox.hold(invitation(1))
    clock.advance(61)

    assert outbox.send_due(transport, confirm=lambda key: False) == 0

    assert outbox.get("invitation:1") is None
    assert smtp_server.messages == []


def test_given_a_message_held_past_a_minute_when_no_confirm_is_given_then_it_stays_held(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    outbox.hold(invitation(1))
    clock.advance(3600)

    assert outbox.send_due(transport) == 0

    assert outbox.get("invitation:1").status == "held"  # type: ignore[union-attr]
    assert smtp_server.messages == []


def test_given_the_smtp_server_down_when_send_due_runs_then_the_message_stays_with_a_growing_pause_and_goes_out_once_it_is_back(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    outbox.put(invitation(1))
    smtp_server.stop()

    assert outbox.send_due(transport) == 0
    first = outbox.get("invitation:1")
    assert first is not None and first.status == "queued" and first.attempts == 1 and first.reason
    assert first.next_attempt_at == clock.now + 2
    assert outbox.send_due(transport) == 0  # not due yet: no attempt
    assert outbox.get("invitation:1").attempts == 1  # type: ignore[union-attr]

    clock.advance(2)
    assert outbox.send_due(transport) == 0
    second = outbox.get("invitation:1")
    assert second is not None and second.attempts == 2 and second.next_attempt_at == clock.now + 4

    smtp_server.start()
    clock.advance(4)
    assert outbox.send_due(transport) == 1
    smtp_server.wait_for(to="user1@example.com")
    assert outbox.get("invitation:1").status == "sent"  # type: ignore[union-attr]


def test_given_the_smtp_server_down_when_a_pass_meets_it_then_the_pass_ends_after_one_attempt_and_the_other_messages_wait_untouched(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    for n in range(3):
        outbox.put(invitation(n))
    smtp_server.stop()

    assert outbox.send_due(transport) == 0

    assert [m.attempts for m in outbox.messages()] == [1, 0, 0]
    smtp_server.start()
    assert outbox.send_due(transport) == 2  # the two untouched ones are due; the first waits its pause
    clock.advance(2)
    assert outbox.send_due(transport) == 1
    assert len(smtp_server.messages) == 3


def test_given_a_recipient_the_server_defers_then_its_message_waits_and_is_tried_again_while_the_others_go(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    smtp_server.defer = {"full@example.com"}
    outbox.put(invitation(1, to="full@example.com"))
    outbox.put(invitation(2))

    assert outbox.send_due(transport) == 1

    deferred = outbox.get("invitation:1")
    assert deferred is not None and deferred.status == "queued" and "452" in (deferred.reason or "")
    smtp_server.defer = set()
    clock.advance(2)
    assert outbox.send_due(transport) == 1
    smtp_server.wait_for(to="full@example.com")


def test_given_a_recipient_the_server_refuses_for_good_then_it_is_marked_failed_with_the_reason_and_the_others_still_go(
    outbox: MailOutbox, db: ViewDatabase, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    smtp_server.refuse = {"nobody@example.com"}
    outbox.put(invitation(1))
    outbox.put(invitation(2, to="nobody@example.com"))
    outbox.put(invitation(3))

    assert outbox.send_due(transport) == 2

    failed = outbox.get("invitation:2")
    assert failed is not None and failed.status == "failed" and "550" in (failed.reason or "")
    assert body_of(db, "invitation:2") is None  # nobody sends it again: its secret is not kept
    clock.advance(3600)
    assert outbox.send_due(transport) == 0  # not retried
    assert sorted(a for m in smtp_server.messages for a in [m["To"]]) == ["user1@example.com", "user3@example.com"]
    assert [m.key for m in outbox.messages(status="failed")] == ["invitation:2"]


def test_given_a_message_sent_then_its_text_is_gone_from_the_table_and_its_key_recipient_subject_and_times_stay(
    outbox: MailOutbox, db: ViewDatabase, transport: SmtpTransport, clock: Clock,
) -> None:
    outbox.put(invitation(1))
    outbox.put(invitation(2))
    assert body_of(db, "invitation:1") == "Open https://dualtrack.example/invitations/secret-1 to join."

    clock.advance(5)
    outbox.send_due(transport, limit=1)

    assert body_of(db, "invitation:1") is None
    assert body_of(db, "invitation:2") is not None  # not sent yet
    sent = outbox.get("invitation:1")
    assert sent is not None
    assert (sent.to, sent.subject, sent.status, sent.sent_at) == ("user1@example.com", "Invitation 1", "sent",
                                                                  clock.now)
    assert sent.created_at == clock.now - 5


def test_given_a_sender_that_died_holding_a_claim_then_the_message_is_claimable_again_after_a_minute_and_not_before(
    db: ViewDatabase, transport: SmtpTransport, smtp_server: SmtpServer, clock: Clock,
) -> None:
    dead, alive = MailOutbox(db, now=clock), MailOutbox(db, now=clock)
    dead.put(invitation(1))
    with pytest.raises(Killed):
        dead.send_due(DiesWhileSending())
    assert alive.get("invitation:1").status == "sending"  # type: ignore[union-attr]

    clock.advance(59)
    assert alive.send_due(transport) == 0

    clock.advance(2)
    assert alive.send_due(transport) == 1
    smtp_server.wait_for(to="user1@example.com")


def test_given_messages_in_every_state_then_the_listing_names_each_state_and_never_a_text(
    outbox: MailOutbox, transport: SmtpTransport, smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse = {"nobody@example.com"}
    outbox.put(invitation(1))
    outbox.put(invitation(2, to="nobody@example.com"))
    outbox.send_due(transport)
    outbox.hold(invitation(3))
    outbox.put(invitation(4))

    listed = {m.key: m.status for m in outbox.messages()}

    assert listed == {"invitation:1": "sent", "invitation:2": "failed", "invitation:3": "held",
                      "invitation:4": "queued"}
    assert [m.key for m in outbox.messages(status="held")] == ["invitation:3"]
    assert not any("secret" in repr(m) for m in outbox.messages())

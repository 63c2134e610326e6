"""Personal fields are sealed per data subject in the stored bytes; destroying a subject's key makes them read as
erased while every event still loads; nothing personal of an erased subject can be recorded any more."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from events.base import ERASED
from services.common.identity import Actor, CommandContext, Role
from services.common.sealing import SubjectErased
from services.common.subject_keys import KeyDatabase, StoredKeys, master_key_from_secret
from services.placements.application import PlacementsApplication
from services.placements.domain import Student

ADMIN = CommandContext(Actor("admin-1", Role.ADMIN), correlation_id="test")
MASTER = master_key_from_secret("a test secret of more than thirty-two bytes")


def enrolled(app: PlacementsApplication) -> UUID:
    school = app.register_school(ADMIN, name="Qingdao College", code="QTC").id
    return app.enrol_student(ADMIN, school, name="Zhang Wanying", major="mechatronics", cohort=2024,
                             enrolment_date=date(2024, 9, 1), date_of_birth=date(2010, 5, 17),
                             guardian_name="Zhang Guofu", guardian_contact="+86 138 5555 0101").id


def stored_bytes(app: PlacementsApplication) -> bytes:
    return b"".join(bytes(n.state) for n in app.notifications(1, 1000))


def test_given_a_minor_enrolled_then_their_name_birth_date_and_guardian_are_not_in_the_stored_bytes() -> None:
    app = PlacementsApplication()
    student = app.repository.get(enrolled(app))
    assert (student.name, student.date_of_birth, student.guardian_contact) == (
        "Zhang Wanying", date(2010, 5, 17), "+86 138 5555 0101")
    stored = stored_bytes(app)
    for value in (b"Zhang Wanying", b"2010-05-17", b"Zhang Guofu", b"5555 0101"):
        assert value not in stored
    assert b"Qingdao College" in stored, "what is not personal is stored as it is"


def test_given_an_erased_student_then_their_record_still_loads_and_reads_as_erased_and_takes_nothing_personal(
) -> None:
    app = PlacementsApplication()
    student_id = enrolled(app)
    before = stored_bytes(app)
    (_, recorded) = app.erase_student(ADMIN, student_id, reason="guardian request 42")
    app.subject_keys.destroy([str(student_id)])  # type: ignore[attr-defined]
    assert recorded and stored_bytes(app).startswith(before), "no stored byte of the history changed"

    enrolment = next(app.mapper.to_domain_event(n) for n in app.notifications(1, 100)
                     if n.topic.endswith(":StudentEnrolled"))  # read from the stored bytes again
    assert (enrolment.name, enrolment.date_of_birth, enrolment.guardian_contact, enrolment.major) == (
        ERASED, None, ERASED, "mechatronics")
    student: Student = app.repository.get(student_id)
    assert (student.name, student.date_of_birth, student.guardian_name, student.erased) == (ERASED, None, ERASED, True)
    assert app.erase_student(ADMIN, student_id, reason="again")[1] is False, "erasing again records nothing"
    with pytest.raises(SubjectErased):
        app.subject_keys.key_for(str(student_id))


def test_given_a_non_admin_when_they_erase_then_it_is_refused() -> None:
    app = PlacementsApplication()
    student_id = enrolled(app)
    coordinator = CommandContext(Actor("c-1", Role.COORDINATOR, school_id="x"), correlation_id="t")
    with pytest.raises(Exception, match="erase"):
        app.erase_student(coordinator, student_id, reason="no")
    assert app.repository.get(student_id).name == "Zhang Wanying"


def test_given_stored_keys_then_a_key_survives_the_process_and_a_destroyed_one_is_gone_from_the_files(
        tmp_path: Path) -> None:
    path = tmp_path / "keys" / "subject-keys.sqlite3"
    keys = StoredKeys(KeyDatabase(str(path)), MASTER)
    key = keys.key_for("student-1")
    keys.key_for("student-2")
    again = StoredKeys(KeyDatabase(str(path)), MASTER)
    assert again.key_of("student-1") == key
    assert again.destroy(["student-1", "never-seen"]) == 2
    assert again.key_of("student-1") is None and again.key_of("never-seen") is None
    with pytest.raises(SubjectErased):
        again.key_for("never-seen")
    assert keys.key_of("student-2") is not None, "others keep theirs"
    on_disk = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert key not in on_disk, "the key itself is never stored unwrapped"
    with pytest.raises(Exception):  # noqa: B017 - another master key unwraps nothing
        StoredKeys(KeyDatabase(str(path)), master_key_from_secret("another secret of more than 32 bytes!")).key_of(
            "student-2")


def test_given_another_process_makes_a_subjects_key_while_we_look_then_both_seal_with_that_one_key(
        tmp_path: Path) -> None:
    path = str(tmp_path / "keys" / "subject-keys.sqlite3")
    ours, theirs = StoredKeys(KeyDatabase(path), MASTER), StoredKeys(KeyDatabase(path), MASTER)
    looked_up = ours.key_of

    def key_of_while_the_other_makes_it(subject: str) -> bytes | None:
        found = looked_up(subject)
        if found is None:  # we found nothing; before we write, the other process makes the key
            theirs.key_for(subject)
        return found

    ours.key_of = key_of_while_the_other_makes_it  # type: ignore[method-assign]
    key = ours.key_for("sign-ins:2026-12")
    assert key == theirs.key_for("sign-ins:2026-12"), "one subject, one key, and no 'erased' refusal"

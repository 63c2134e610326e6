"""A minor's erasure on the real pipeline (issue 17), on SQLite files and on PostgreSQL, with the real Kafka broker.

Through the API (Flask test client): a minor is enrolled with a guardian, placed (the school and the enterprise
approve, the guardian confirms with the code mailed to them, the placement is activated) and invited to an account
of their own; the code's mail is sent, the invitation's waits in the outbox. A week of practice naming them is logged
and signed, they are assessed and awarded a certificate; every context is relayed to Kafka and every projection
caught up from it, and the audit chains are checkpointed. An admin then erases them
(`POST /api/v1/students/{id}/erasure`); everything is relayed again and every projection rebuilt from Kafka.

Then: the audit chains still verify and `audit replay` finds no difference; every read model marks the student
erased; the API answers "(erased)" for their name and nothing for their birth date and guardian; their exported
record verifies offline and holds none of their personal values; and none of them (name, birth date in the usual
forms, guardian's name and contact, their account's email and phone) is found by a byte search of every file of the
data directory (the stores and their write-ahead logs, the view database, the keys), of every row of every table of
the PostgreSQL database, and of every record (key, value, headers) of every topic. The outbox keeps that a code was
sent, not to whom, and the invitation is not sent. Asking again, without the right, about nobody or without a reason
is answered as such.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.messaging.rebuild import rebuild
from dualtrack.messaging.replay import replay_all
from dualtrack.privacy_mail import forget_mail_of_student
from dualtrack.settings import CONTEXTS
from dualtrack.web.app import create_app
from services.audit.chain.keeper import Keeper
from services.audit.export import export_record, verify_export
from services.common.identity import Role
from services.common.scope import Scope
from services.common.signing import load_or_create_signing_key
from tests.conftest import bearer, context_for, fresh_postgres_database, make_settings
from tests.e2e.test_topics_carry_nothing_personal import every_record
from tests.integration.test_audit_replay import differences_of, project_from_kafka, relay_everything

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

TODAY = date(2026, 11, 30)
EVERYONE = Scope()
ADMIN = bearer(Role.ADMIN, "admin-erasure-office")
NAME = "Qiao Xingyue"
BIRTH = date(2010, 3, 14)
GUARDIAN = "Qiao Wenbo"
CONTACT = "qiao.wenbo.guardian@family.example"
EMAIL, PHONE = "xingyue.qiao@student.example", "+86 137 1234 9876"
REASON = "her guardian asked for erasure after she left the college (request 2026-117)"
PERSONAL = {
    "name": [NAME, NAME.lower(), NAME.upper(), "Xingyue", "xingyue"],
    "birth date": ["2010-03-14", "2010/03/14", "20100314", "14/03/2010", "14.03.2010", "2010-3-14", "2010年3月14日"],
    "guardian name": [GUARDIAN, GUARDIAN.lower(), "Wenbo", "wenbo"],
    "guardian contact": [CONTACT, "qiao.wenbo.guardian", CONTACT.upper()],
    "their account's contacts": [EMAIL, "xingyue.qiao", PHONE, "13712349876", "137 1234 9876"],
}
NEEDLES = [(kind, value.encode()) for kind, values in PERSONAL.items() for value in values]


@dataclass(frozen=True)
class Erased:
    container: Container
    http: Any
    student: str
    centre: str
    coordinator: dict[str, str]
    erasure: dict[str, Any]
    export: bytes


class Catcher:
    """A mail server that takes every message."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    def send(self, mail: Any) -> None:
        self.mails.append(mail)


def found_in(raw: bytes) -> list[str]:
    return sorted({f"{kind}: {value.decode()}" for kind, value in NEEDLES if value in raw})


def _post(http: Any, path: str, body: dict, headers: dict, status: int = 200) -> dict:
    response = http.post(f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.json)
    return response.json


def checkpoint(container: Container) -> None:
    chains = {c: container.chain(c) for c in CONTEXTS}
    try:
        Keeper(chains, load_or_create_signing_key(container.settings.signing_key_file)).checkpoint_now()
    finally:
        for chain in chains.values():
            chain.close()


def a_minor_placed_practised_and_certified(container: Container, http: Any) -> tuple[str, str, dict[str, str]]:
    """Through the API: the minor enrolled, placed (guardian's code), a signed week, assessed, awarded."""
    def post(path: str, body: dict, headers: dict, status: int = 200) -> dict:
        return _post(http, path, body, headers, status)

    enterprise = post("/enterprises", {"name": "CRRC Sifang"}, ADMIN, 201)["id"]
    centre = post(f"/enterprises/{enterprise}/centres", {
        "name": "Bogie Hall", "address": "88 Jinhong Road", "capacity": 3, "specialities": ["mechatronics"]},
        ADMIN, 201)["id"]
    post(f"/centres/{centre}/mentors", {"mentor_id": "m-sun", "name": "Sun Lei"}, ADMIN)
    school = post("/schools", {"name": "Qingdao Technician College", "code": "QTC"}, ADMIN, 201)["id"]
    coordinator = bearer(Role.COORDINATOR, "coordinator-chen", school_id=school)
    teacher = bearer(Role.TEACHER, "teacher-li", school_id=school)
    mentor = bearer(Role.MENTOR, "m-sun", enterprise_id=enterprise)
    student = post(f"/schools/{school}/students", {
        "name": NAME, "major": "mechatronics", "cohort": 2025, "enrolment_date": "2025-09-01",
        "date_of_birth": BIRTH.isoformat(), "guardian_name": GUARDIAN, "guardian_contact": CONTACT},
        coordinator, 201)["id"]
    for code, scale in (("M1", "five-point"), ("M2", "percent")):
        post("/competency-catalogues/mechatronics/competencies", {
            "code": code, "title": f"Bogie work {code}", "target_hours": 100, "scale": scale,
            "effective_from": "2026-01-01"}, ADMIN, 201)  # the catalogue is the administrators'
    placement = post(f"/students/{student}/placements", {
        "centre_id": centre, "start": "2026-09-01", "planned_end": "2027-01-29", "post": "bogie fitter",
        "weekly_hours": 40}, coordinator, 201)["placement_id"]
    base = f"/students/{student}/placements/{placement}"
    post(f"{base}/school-approval", {}, coordinator)
    post(f"{base}/enterprise-approval", {"mentor_id": "m-sun"},
         bearer(Role.ENTERPRISE_ADMIN, "ea-zhou", enterprise_id=enterprise))
    post(f"{base}/guardian-code", {}, coordinator, 202)
    with container.view_db.transaction() as tx:
        mail = tx.execute("SELECT body FROM mail_outbox WHERE recipient = ?", (CONTACT,)).fetchone()
    assert mail is not None and NAME in mail[0], "the guardian was mailed a code"
    code = re.search(r"\b(\d{8})\b", mail[0]).group(1)  # type: ignore[union-attr]
    assert container.mail_outbox().send_due(Catcher()) == 1  # the code is sent: its text blanked, its recipient kept
    post("/invitations", {"name": NAME, "email": EMAIL, "phone": PHONE, "role": "student", "student_id": student},
         coordinator, 201)  # their account, invited: that mail waits in the outbox
    post(f"{base}/guardian-confirmation", {"code": code}, {})
    post(f"{base}/activation", {"on": "2026-09-01"}, coordinator)
    for day in range(23, 28):  # Monday 23 to Friday 27 November 2026
        logged = post(f"/students/{student}/practice-entries", {
            "day": f"2026-11-{day}", "start": "08:00", "end": "12:00", "competencies": ["M1"],
            "description": f"{NAME} fitted a bogie drive with {GUARDIAN}'s permission slip at hand"}, mentor, 201)
        post(f"/students/{student}/practice-entries/{logged['entry_id']}/sign-off", {}, mentor)
    for assessor in (mentor, teacher):
        post(f"{base}/assessments", {"competency": "M1", "result": 4,
                                     "evidence": f"{NAME} assembled a drive unit unaided"}, assessor, 201)
    post("/certificates", {"code": "X-BOG", "title": "Bogie fitting", "awarding_organisation": "CRRC Academy",
                           "levels": [{"level": "junior", "credits": 2, "requirements": [
                               {"competency": "M1", "min_signed_hours": 16, "min_assessment": 3}]}]}, ADMIN, 201)
    post(f"/students/{student}/awards", {"certificate_code": "X-BOG", "level": "junior",
                                         "certificate_number": "BOG-J-0001"}, ADMIN, 201)
    return student, centre, coordinator


@pytest.fixture(scope="module", params=[pytest.param("sqlite", id="sqlite"),
                                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def erased(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           kafka_bootstrap: str) -> Iterator[Erased]:
    url = fresh_postgres_database(request.getfixturevalue("postgres_server")) if request.param == "postgres" else None
    container = Container(make_settings(tmp_path_factory.mktemp(f"erasure-{request.param}") / "var", url,
                                        kafka_bootstrap))
    try:
        container.ensure_topics()
        for context in ("placements", "training", "credentials"):
            container.app(context).today = lambda: TODAY
        http = create_app(container).test_client()
        student, centre, coordinator = a_minor_placed_practised_and_certified(container, http)
        relay_everything(container)
        project_from_kafka(container)
        checkpoint(container)
        assert container.progress_view.student_progress(EVERYONE, student, TODAY)["erased"] is False

        erasure = _post(http, f"/students/{student}/erasure", {"reason": REASON}, ADMIN)

        relay_everything(container)
        project_from_kafka(container)
        for name in PROJECTION_CLASSES:
            rebuild(container, name)  # from Kafka offset 0
        checkpoint(container)
        out = io.BytesIO()
        export_record(container, "student", student, load_or_create_signing_key(
            container.settings.signing_key_file), out)
        yield Erased(container, http, student, centre, coordinator, erasure, out.getvalue())
    finally:
        container.close()


def test_given_a_minor_erased_then_the_erasure_was_recorded_with_their_keys_destroyed(erased: Erased) -> None:
    assert erased.erasure["recorded"] is True and erased.erasure["student_id"] == erased.student
    assert erased.erasure["accounts_erased"] == 1  # their own, invited
    assert erased.erasure["keys_destroyed"] >= 3  # the student's, their training record's, their account's


def test_given_a_minor_erased_then_the_audit_chains_verify_and_the_replay_finds_no_difference(erased: Erased) -> None:
    container = erased.container
    public = load_or_create_signing_key(container.settings.signing_key_file).public_key()
    for context in CONTEXTS:
        chain = container.chain(context)
        try:
            report = chain.verify(public)
        finally:
            chain.close()
        assert report.ok, report.as_dict()
        assert context not in ("placements", "training", "credentials") or report.chained_to > 0, report.as_dict()

    replayed = replay_all(container)

    assert replayed.kafka == "compared" and replayed.errors == [], replayed.to_dict()
    assert replayed.ok and not replayed.has_differences, differences_of(replayed)


def test_given_a_minor_erased_then_every_read_model_rebuilt_from_kafka_marks_them_erased(erased: Erased) -> None:
    container, student = erased.container, erased.student
    progress = container.progress_view.student_progress(EVERYONE, student, TODAY)
    assert progress["erased"] is True and progress["erased_at"], progress
    assert progress["signed_hours_on_record"] == 20  # what they did stays
    placements = container.placement_register_view.placements_of_student(EVERYONE, student)
    assert placements and all(p["student_erased"] for p in placements), placements
    assert container.credit_statements_view.credit_statement(EVERYONE, student)["erased"] is True
    hosted = {h["student_id"]: h["erased"] for h in container.centres_view.students_hosted(erased.centre)}
    assert hosted == {student: True}
    assert container.calendars_view.student_calendar(EVERYONE, student, TODAY)["erased"] is True


def test_given_a_minor_erased_then_the_api_shows_their_name_erased_and_no_birth_date_or_guardian(
    erased: Erased,
) -> None:
    response = erased.http.get(f"/api/v1/students/{erased.student}", headers=ADMIN)
    assert response.status_code == 200, response.json
    seen = response.json
    assert seen["name"] == "(erased)" and seen["date_of_birth"] is None, seen
    assert seen["guardian_name"] in (None, "(erased)") and seen["guardian_contact"] in (None, "(erased)"), seen
    assert not found_in(response.data)


def test_given_a_minor_erased_then_their_exported_record_verifies_offline_and_holds_nothing_personal(
    erased: Erased,
) -> None:
    verdict = verify_export(erased.export, load_or_create_signing_key(
        erased.container.settings.signing_key_file).public_key())
    assert verdict.ok, verdict.message
    assert len(erased.export.splitlines()) > 10 and b"StudentErased" in erased.export
    assert not found_in(erased.export)


def every_file(data_dir: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        yield str(path.relative_to(data_dir)), path.read_bytes()


def every_row_of_the_postgres_database(url: str) -> Iterator[tuple[str, bytes]]:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                              "'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
        for schema, table in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                yield f"{schema}.{table}", b"\x00".join(
                    bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in row)


def personal_values_left(erased: Erased) -> list[tuple[str, list[str]]]:
    container = erased.container
    places: list[tuple[str, bytes]] = list(every_file(container.settings.data_dir))
    assert any(name.endswith(".sqlite3") for name, _ in places) or container.settings.uses_postgres
    if container.settings.uses_postgres:
        places.extend(every_row_of_the_postgres_database(container.settings.database_url or ""))
    else:
        names = [n for n, _ in places]
        assert "keys/subject-keys.sqlite3" in names and "placements.sqlite3-wal" in names, names
        assert "views.sqlite3" in dict(places)
    records = list(every_record(container, container.settings.kafka_bootstrap_servers or ""))
    assert any(r.ce_type.endswith("StudentErased.v1") for r in records)
    places.extend((f"{r.topic}@{r.offset} {r.ce_type}", r.raw) for r in records)

    return [(where, found) for where, raw in places if (found := found_in(raw))]


def test_given_a_minor_erased_then_no_store_file_database_row_or_topic_record_holds_their_personal_values(
    erased: Erased,
) -> None:
    leaks = personal_values_left(erased)

    assert not leaks, "personal values left:\n" + "\n".join(map(str, leaks))


def test_given_a_minor_erased_when_erased_again_or_by_anyone_but_an_admin_or_of_nobody_or_without_a_reason_then_each_is_answered(
    erased: Erased,
) -> None:
    path = f"/students/{erased.student}/erasure"
    again = _post(erased.http, path, {"reason": REASON}, ADMIN)
    assert again["recorded"] is False and again["student_id"] == erased.student
    _post(erased.http, path, {"reason": REASON}, erased.coordinator, 403)
    _post(erased.http, "/students/00000000-0000-4000-8000-000000000017/erasure", {"reason": REASON}, ADMIN, 404)
    refused = _post(erased.http, path, {"reason": "  "}, ADMIN, 422)
    assert "reason" in str(refused)
    _post(erased.http, path, {}, ADMIN, 422)


def test_given_a_minor_erased_then_the_code_mailed_to_their_guardian_is_kept_without_recipient_and_their_invitation_is_not_sent(
    erased: Erased,
) -> None:
    """The code was sent before the erasure, the invitation was waiting (no sender ran since): the outbox keeps that a
    code was sent, not to whom; the invitation is gone. Asking again finds nothing more to forget."""
    container = erased.container
    [code] = container.mail_outbox().messages()
    assert code.key.startswith("guardian-code:") and (code.to, code.status) == ("(erased)", "sent"), code
    accounts = container.identity.erase_accounts_of_student(context_for(Role.ADMIN, "admin-erasure-office"),
                                                             erased.student, reason=REASON)
    assert len(accounts) == 1 and forget_mail_of_student(container, erased.student, accounts) == 0

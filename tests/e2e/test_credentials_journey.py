"""From signed practice hours to a certificate, credits and a signed statement, through HTTP, the relays, Kafka and
the `progress` and `credit_statements` projectors: the student is not eligible, practises and is assessed, becomes
eligible, is awarded X-MEC junior (4 credits), has 3 of them converted into an exempted course, loses the award to a
revocation (the conversion reversed before the deposit), and downloads a signed statement that `dualtrack credentials
verify` accepts as issued and refuses with one byte changed. Every read-model query names the command's wait_token."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dualtrack.bootstrap import Container
from dualtrack.web.app import create_app
from services.common.identity import Role
from tests.conftest import bearer
from tests.e2e.conftest import DUALTRACK, Processes, process_env
from tests.e2e.journeys import ApiJourney, place_a_mechatronics_student, read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.slow]

ADMIN = bearer(Role.ADMIN, "certificate-office")
TODAY = date(2026, 11, 30)
CERTIFICATE = {
    "code": "X-MEC", "title": "Mechatronic systems maintenance", "awarding_organisation": "Haier Skills Centre",
    "levels": [{"level": "junior", "credits": 4, "requirements": [
        {"competency": "M1", "min_signed_hours": 8, "min_assessment": 3},
        {"competency": "M2", "min_signed_hours": 4, "min_assessment": None}]}],
}
RULE = {"level": "junior", "effective_from": "2026-09-01",
        "conversions": [{"course": "MEC-201", "credits": 3, "exempt": True}]}
REVOCATION_REASON = "the assessment of M1 was found to have been copied"
C = "dualtrack.credentials."


def test_given_signed_hours_when_a_certificate_is_awarded_converted_and_revoked_then_every_record_agrees(
    e2e_settings, processes: Processes, tmp_path: Path
) -> None:
    started_at = time.perf_counter()
    container = Container(e2e_settings)
    container.ensure_topics()
    container.placements.today = lambda: TODAY  # type: ignore[method-assign]
    container.training.today = lambda: TODAY  # type: ignore[method-assign]
    container.credentials.today = lambda: TODAY  # type: ignore[method-assign]
    http = create_app(container).test_client()
    processes.start("relay", "placements")
    processes.start("relay", "training")
    processes.start("relay", "credentials")
    processes.start("project", "progress")
    processes.start("project", "credit_statements")
    journey = ApiJourney(http, processes)
    post, read = journey.post, journey.read

    def get(path: str, headers: dict, **query: str) -> Any:
        response = http.get(f"/api/v1{path}", query_string=query, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.json)
        return response.json

    def dualtrack(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DUALTRACK, *args], env=process_env(e2e_settings), capture_output=True, text=True,
                              timeout=60, check=False)

    # -- the world: an enterprise, its centre and mentor; a school, its student, competencies and a placement ----
    placed = place_a_mechatronics_student(post, ADMIN)
    school, student, placement = placed.school, placed.student, placed.placement
    coordinator, teacher, mentor, me = placed.coordinator, placed.teacher, placed.mentor, placed.me
    mentor_assigned, activated, base = placed.mentor_assigned, placed.activated, placed.placement_path

    progress_path = f"/students/{student}/progress"
    view = read(progress_path, f"{mentor_assigned['wait_token']},{activated['wait_token']}", coordinator,
                attempts=3)
    assert view["current_placement"]["placement_id"] == placement
    assert view["current_placement"]["status"] == "active"
    assert view["certificates"] == [] and view["credit_balance"] == 0

    # -- the catalogue: X-MEC junior and its conversion rule -----------------------------------------------------
    post("/certificates", CERTIFICATE, ADMIN, 201)
    post("/certificates/X-MEC/conversion-rules", RULE, ADMIN, 201)
    listed = get("/certificates/X-MEC", ADMIN)
    [rule] = listed["conversion_rules"]
    assert (rule["level"], rule["effective_from"], rule["conversions"]) == (
        "junior", "2026-09-01", [{"course": "MEC-201", "credits": 3, "exempt": True}])

    eligibility_path = f"/students/{student}/eligibility"
    junior = {"certificate": "X-MEC", "level": "junior"}
    before = get(eligibility_path, ADMIN, **junior)
    assert before["eligible"] is False and before["as_of"] is None
    assert before["requirements"] == [
        {"competency": "M1", "min_signed_hours": 8.0, "signed_hours": 0.0, "min_assessment": 3.0,
         "assessment": None, "met": False},
        {"competency": "M2", "min_signed_hours": 4.0, "signed_hours": 0.0, "min_assessment": None,
         "assessment": None, "met": False}]

    # -- practice logged and signed by the mentor, M1 assessed on both sides ---------------------------------------
    for day, code in (("2026-11-23", "M1"), ("2026-11-24", "M1"), ("2026-11-25", "M2")):
        logged = post(f"/students/{student}/practice-entries", {
            "day": day, "start": "08:00", "end": "12:00", "competencies": [code],
            "description": f"workshop, {code}"}, mentor, 201)
        post(f"/students/{student}/practice-entries/{logged['entry_id']}/sign-off", {}, mentor)
    post(f"{base}/assessments", {"competency": "M1", "result": 4, "evidence": "assembled a drive unit unaided"},
         mentor, 201)
    assessed = post(f"{base}/assessments", {"competency": "M1", "result": 3,
                                            "evidence": "explained the gearbox tolerances"}, teacher, 201)
    view = read(progress_path, assessed["wait_token"], coordinator)
    assert view["signed_hours"] == 12 and view["pending_hours"] == 0, view

    after = get(eligibility_path, ADMIN, **junior)
    assert after["eligible"] is True, after
    assert after["requirements"] == [
        {"competency": "M1", "min_signed_hours": 8.0, "signed_hours": 8.0, "min_assessment": 3.0,
         "assessment": 3.0, "met": True},
        {"competency": "M2", "min_signed_hours": 4.0, "signed_hours": 4.0, "min_assessment": None,
         "assessment": None, "met": True}]

    # -- awarded: the certificate and 4 credits in progress --------------------------------------------------------
    awarded = post(f"/students/{student}/awards", {"certificate_code": "X-MEC", "level": "junior",
                                                   "certificate_number": "MEC-J-0001"}, ADMIN, 201)
    award_id, account_id = awarded["award_id"], awarded["id"]
    view = read(progress_path, awarded["wait_token"], coordinator)
    assert view["certificates"] == [{
        "award_id": award_id, "certificate_code": "X-MEC", "level": "junior", "awarded_on": "2026-11-30",
        "certificate_number": "MEC-J-0001", "eligible": True, "revoked": False, "revoked_reason": None}], view
    assert view["credit_balance"] == 4

    # -- converted by the student's school coordinator: 3 credits into MEC-201, 1 left ---------------------------
    award_path = f"/students/{student}/awards/{award_id}"
    converted = post(f"{award_path}/conversion", {}, coordinator)
    view = read(progress_path, converted["wait_token"], coordinator)
    assert view["credit_balance"] == 1, view
    assert view["certificates"][0]["revoked"] is False

    statement_path = f"/students/{student}/credit-statement"
    statement = read(statement_path, converted["wait_token"], coordinator, attempts=3)
    assert (statement["student_id"], statement["school_id"], statement["account_id"]) == (student, school, account_id)
    assert statement["balance"] == 1
    lines = [e for e in statement["entries"] if e["event"] == "CreditsPosted"]
    assert [(e["kind"], e["amount"], e["effect"], e["balance_after"]) for e in lines] == [
        ("deposit", 4, 4, 4), ("conversion", 3, -3, 1)], statement
    deposit, conversion = lines
    assert (deposit["debit"], deposit["credit"]) == (f"award:{award_id}", "available")
    assert (conversion["debit"], conversion["credit"], conversion["course"], conversion["exempt"]) == (
        "available", "course:MEC-201", "MEC-201", True)
    assert conversion["rule_id"] == rule["rule_id"]
    award_entry = statement["entries"][0]
    assert (award_entry["event"], award_entry["award_id"], award_entry["certificate_code"], award_entry["level"],
            award_entry["eligible"], award_entry["balance_after"], award_entry["actor"]) == (
        "CertificateAwarded", award_id, "X-MEC", "junior", True, 0, "certificate-office")
    assert award_entry["event_id"] in deposit["caused_by"]

    # -- revoked: the conversion reversed, then the deposit ----------------------------------------------------
    revoked = post(f"{award_path}/revocation", {"reason": REVOCATION_REASON}, ADMIN)
    statement = read(statement_path, revoked["wait_token"], coordinator)
    assert statement["balance"] == 0, statement
    entries = statement["entries"]
    assert [e["sequence"] for e in entries] == sorted(e["sequence"] for e in entries)
    assert [(e["event"], e["kind"], e["balance_after"]) for e in entries] == [
        ("CertificateAwarded", None, 0), ("CreditsPosted", "deposit", 4), ("CreditsPosted", "conversion", 1),
        ("CertificateRevoked", None, 1), ("CreditsPosted", "reversal", 4), ("CreditsPosted", "reversal", 0)], entries
    revocation, undo_conversion, undo_deposit = entries[3:]
    assert revocation["revocation_reason"] == REVOCATION_REASON and revocation["reason"] == REVOCATION_REASON
    assert undo_conversion["reverses"] == conversion["line_id"], (undo_conversion, conversion)
    assert undo_deposit["reverses"] == deposit["line_id"], (undo_deposit, deposit)
    assert (undo_conversion["debit"], undo_conversion["credit"], undo_conversion["amount"],
            undo_conversion["effect"]) == ("course:MEC-201", "available", 3, 3)
    assert (undo_deposit["debit"], undo_deposit["credit"], undo_deposit["amount"], undo_deposit["effect"]) == (
        "available", f"award:{award_id}", 4, -4)
    assert undo_conversion["caused_by"] == undo_deposit["caused_by"] == [revocation["event_id"]]

    view = read(progress_path, revoked["wait_token"], coordinator)
    assert view["credit_balance"] == 0, view
    [certificate] = view["certificates"]
    assert (certificate["award_id"], certificate["revoked"], certificate["revoked_reason"]) == (
        award_id, True, REVOCATION_REASON)

    account = get(f"/students/{student}/credit-account", me)
    assert account["balance"] == 0 and account["version"] == revoked["version"]
    assert [line["line_id"] for line in account["ledger"]] == [e["line_id"] for e in entries if e["line_id"]]

    # -- the signed statement, downloaded by the student, verified by the CLI -------------------------------------
    download = http.get(f"/api/v1/students/{student}/credit-statement/signed", headers=me)
    assert download.status_code == 200, (download.status_code, download.data[:500])
    assert download.mimetype == "application/json"
    assert f'filename="credit-statement-{student}.json"' in download.headers["Content-Disposition"]
    signed = download.data
    document = json.loads(signed)
    issued = document["statement"]
    assert (issued["student_id"], issued["school_id"], issued["account_version"], issued["balance"]) == (
        student, school, revoked["version"], 0)
    assert [(c["award_id"], c["code"], c["level"], c["credits"], c["status"], c["by_override"])
            for c in issued["certificates"]] == [(award_id, "X-MEC", "junior", 4, "revoked", False)]
    assert [(line["line_id"], line["kind"], line["reverses"]) for line in issued["ledger"]] == [
        (e["line_id"], e["kind"], e["reverses"]) for e in entries if e["line_id"]]

    statement_file = tmp_path / "credit-statement.json"
    statement_file.write_bytes(signed)
    untrusted = dualtrack("credentials", "verify", str(statement_file))
    assert untrusted.returncode == 2 and "no trusted key" in untrusted.stderr, (untrusted.stdout, untrusted.stderr)
    key_set = http.get("/api/v1/keys")  # public: no token
    assert key_set.status_code == 200
    keys_file = tmp_path / "keys.json"
    keys_file.write_bytes(key_set.data)
    verified = dualtrack("credentials", "verify", str(statement_file), "--key-set", str(keys_file))
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
    assert "VERIFIED" in verified.stdout and "balance 0" in verified.stdout, verified.stdout

    public_key = dualtrack("credentials", "public-key", "--format", "base64")
    assert public_key.returncode == 0, public_key.stderr
    assert public_key.stdout.strip() == document["signature"]["public_key"]
    key_file = tmp_path / "issuer.pub"
    key_file.write_text(public_key.stdout)
    pinned = dualtrack("credentials", "verify", str(statement_file), "--public-key", str(key_file))
    assert pinned.returncode == 0, (pinned.stdout, pinned.stderr)

    assert signed.count(b'"balance":0') == 1
    forged = tmp_path / "forged-balance.json"
    forged.write_bytes(signed.replace(b'"balance":0', b'"balance":9'))
    refused = dualtrack("credentials", "verify", str(forged), "--key-set", str(keys_file))
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert "NOT VERIFIED (bad-signature)" in refused.stdout, refused.stdout

    middle = len(signed) // 2
    flipped = tmp_path / "flipped-byte.json"
    flipped.write_bytes(signed[:middle] + bytes([signed[middle] ^ 0x01]) + signed[middle + 1:])
    refused = dualtrack("credentials", "verify", str(flipped), "--deployment")
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert "NOT VERIFIED" in refused.stdout, refused.stdout

    # -- the events really went through Kafka ------------------------------------------------------------------
    records = read_topic(e2e_settings.kafka_bootstrap_servers, e2e_settings.topic("credentials"))
    ours = sorted((r for r in records if dict(r.headers)["ce_subject"].decode() == account_id),
                  key=lambda r: (r.partition, r.offset))
    types = [dict(r.headers)["ce_type"].decode() for r in ours]
    assert [t for t in types if t != C + "CreditAccountOpened.v1"] == [
        C + "CertificateAwarded.v1", C + "CreditsPosted.v1", C + "CreditsPosted.v1", C + "CertificateRevoked.v2",
        C + "CreditsPosted.v1", C + "CreditsPosted.v1"], types
    posted = [json.loads(r.value) for r in ours if dict(r.headers)["ce_type"].decode() == C + "CreditsPosted.v1"]
    assert [(p["kind"], p["amount"], p["reverses"]) for p in posted] == [
        ("deposit", 4, None), ("conversion", 3, None), ("reversal", 3, conversion["line_id"]),
        ("reversal", 4, deposit["line_id"])], posted
    awarded_event = json.loads(next(r.value for r in ours
                                    if dict(r.headers)["ce_type"].decode() == C + "CertificateAwarded.v1"))
    assert (awarded_event["award_id"], awarded_event["certificate_code"], awarded_event["level"]) == (
        award_id, "X-MEC", "junior")
    revoked_event = next(r for r in ours if dict(r.headers)["ce_type"].decode() == C + "CertificateRevoked.v2")
    assert REVOCATION_REASON.encode() not in revoked_event.value, "free text is not published"
    assert REVOCATION_REASON.encode() not in b"".join(v for _, v in revoked_event.headers)
    assert dict(revoked_event.headers)["ce_hasreason"] == b"true", "a reader knows there is one to ask the API for"

    print(f"\n{journey.wait_summary()}; the journey took {time.perf_counter() - started_at:.1f} s")
    container.close()

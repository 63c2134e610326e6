"""The credentials routes through HTTP: the certificate catalogue, eligibility, awards and their ledger, the signed
credit statement, order classes — and who may do what.

The functional tests run on SQLite and on PostgreSQL (the `client` fixture is parametrised). The world is the
service tests' training world with the clock fixed at Monday 2026-11-30: Liu Yang is placed at Haier's workshop
(mentor m-wang) with 8 signed hours of M1, assessed 4 of 5 by the mentor and by a teacher, so the junior level of
X-MEC (6 h and 3 in M1) is within reach and the intermediate one (100 h and 4.5) is not.

The access matrix builds that world once per module through the command handlers and copies its SQLite files for
each test, as the training matrix does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from dualtrack.bootstrap import Container
from services.common.identity import Role
from services.common.signing_keys import key_store
from services.credentials.statement import BAD_SIGNATURE, MALFORMED, verify
from tests.api.conftest import CopiedWorld, copy_of
from tests.conftest import bearer, make_settings
from tests.service.placement_world import TODAY
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.api

ADMIN_HEADERS = bearer(Role.ADMIN, "certificate-office")
CERTIFICATE = {
    "code": "X-MEC", "title": "Mechatronic systems maintenance", "awarding_organisation": "Haier Skills Centre",
    "levels": [
        {"level": "junior", "credits": 4, "requirements": [
            {"competency": "M1", "min_signed_hours": 6, "min_assessment": 3},
            {"competency": "M3", "min_signed_hours": 0, "min_assessment": None}]},
        {"level": "intermediate", "credits": 8, "requirements": [
            {"competency": "M1", "min_signed_hours": 100, "min_assessment": 4.5}]},
    ],
}
RULE = {"level": "junior", "effective_from": "2026-09-01",
        "conversions": [{"course": "MEC-201 Drive systems", "credits": 3, "exempt": True}]}


def _signed_practice(tw: TrainingWorld, name: str = "Liu Yang") -> tuple[UUID, str]:
    """A placed student with 8 signed hours of M1, assessed 4 by the mentor and by a teacher of the school."""
    student, placement = tw.placed(name)
    for day in (MONDAY, MONDAY + timedelta(days=1)):
        tw.sign(student, tw.log(student, day, competencies=("M1",)).entry_id)
    tw.training.assess_competency(tw.mentor(tw.workshop), student, placement, competency="M1", result=4,
                                  evidence="assembled a drive unit unaided")
    tw.training.assess_competency(tw.teacher(), student, placement, competency="M1", result=4,
                                  evidence="explained the gearbox tolerances")
    return student, placement


# -- the functional world (SQLite and PostgreSQL) -----------------------------------------------------
@dataclass
class Functional:
    client: Any
    tw: TrainingWorld
    student: UUID
    """Liu Yang: eligible for X-MEC junior."""
    other: UUID
    """Zhou Min, same school, nothing signed: eligible for nothing."""

    def post(self, path: str, json: dict[str, Any], headers: dict[str, str] = ADMIN_HEADERS, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=headers, **kw)

    def get(self, path: str, headers: dict[str, str] = ADMIN_HEADERS, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=headers, **kw)

    def account(self, student: UUID | None = None) -> dict[str, Any]:
        response = self.get(f"/students/{student or self.student}/credit-account")
        assert response.status_code == 200, response.json
        return response.json

    def award(self, student: UUID | None = None, **body: Any) -> Any:
        return self.post(f"/students/{student or self.student}/awards",
                         {"certificate_code": "X-MEC", "level": "junior", **body})

    def recorded(self) -> int:
        return self.client.container.credentials.max_position()


@pytest.fixture
def fw(client: Any) -> Functional:
    tw = build_training_world(client.container)
    client.container.credentials.today = lambda: TODAY
    student, _ = _signed_practice(tw)
    other = tw.enrol("Zhou Min")
    world = Functional(client, tw, student, other)
    assert world.post("/certificates", CERTIFICATE).status_code == 201
    assert world.post("/certificates/X-MEC/conversion-rules", RULE).status_code == 201
    return world


def error_of(response: Any) -> dict[str, Any]:
    return response.json["error"]


# -- the catalogue ----------------------------------------------------------------------------------
def test_given_a_listed_certificate_when_read_then_its_levels_requirements_and_rules_are_there(fw) -> None:
    response = fw.get("/certificates/X-MEC", headers=bearer(Role.MENTOR, "m-zhao", enterprise_id=str(fw.tw.crrc)))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["code"], body["title"], body["version"]) == ("X-MEC", CERTIFICATE["title"], 2)
    assert [(lv["level"], lv["credits"]) for lv in body["levels"]] == [("junior", 4), ("intermediate", 8)]
    assert body["levels"][0]["requirements"][0] == {"competency": "M1", "min_signed_hours": 6.0, "min_assessment": 3.0}
    [rule] = body["conversion_rules"]
    assert (rule["level"], rule["effective_from"], rule["conversions"]) == (
        "junior", "2026-09-01", [{"course": "MEC-201 Drive systems", "credits": 3, "exempt": True}])


def test_given_a_listed_certificate_when_listed_again_then_409_and_an_unknown_one_is_404(fw) -> None:
    again = fw.post("/certificates", CERTIFICATE)
    assert again.status_code == 409 and error_of(again)["code"] == "version-conflict"
    unknown = fw.get("/certificates/X-NONE")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not-found"
    rule = fw.post("/certificates/X-NONE/conversion-rules", RULE)
    assert rule.status_code == 404


def test_given_a_rule_using_more_credits_than_the_level_is_worth_then_409_with_the_figures(fw) -> None:
    response = fw.post("/certificates/X-MEC/conversion-rules", {**RULE, "conversions": [
        {"course": "MEC-201", "credits": 3}, {"course": "MEC-202", "credits": 2}]})
    assert response.status_code == 409
    assert error_of(response)["code"] == "conversion-within-credits"
    assert error_of(response)["details"] == {"credits": 4, "used": 5}


def test_given_levels_whose_credits_fall_as_they_rise_then_409_level_credits(fw) -> None:
    levels = [{"level": "junior", "credits": 8, "requirements": []},
              {"level": "senior", "credits": 2, "requirements": []}]
    response = fw.post("/certificates", {**CERTIFICATE, "code": "X-BAD", "levels": levels})
    assert response.status_code == 409 and error_of(response)["code"] == "level-credits"


# -- eligibility ------------------------------------------------------------------------------------
def test_given_signed_hours_and_assessments_when_eligibility_is_read_then_each_requirement_shows_the_figures(
    fw
) -> None:
    junior = fw.get(f"/students/{fw.student}/eligibility", query_string={"certificate": "X-MEC", "level": "junior"})
    assert junior.status_code == 200, junior.json
    assert junior.json["eligible"] is True and junior.json["as_of"] is None
    assert junior.json["requirements"] == [
        {"competency": "M1", "min_signed_hours": 6.0, "signed_hours": 8.0, "min_assessment": 3.0, "assessment": 4.0,
         "met": True},
        {"competency": "M3", "min_signed_hours": 0.0, "signed_hours": 0.0, "min_assessment": None,
         "assessment": None, "met": True}]
    intermediate = fw.get(f"/students/{fw.student}/eligibility",
                          query_string={"certificate": "X-MEC", "level": "intermediate"})
    assert intermediate.json["eligible"] is False
    assert intermediate.json["requirements"][0]["met"] is False


def test_given_a_day_before_anything_was_recorded_when_eligibility_is_read_as_of_it_then_nothing_counts(fw) -> None:
    response = fw.get(f"/students/{fw.student}/eligibility",
                      query_string={"certificate": "X-MEC", "level": "junior", "as_of": "2001-01-01"})
    assert response.status_code == 200, response.json
    assert response.json["as_of"] == "2001-01-01" and response.json["eligible"] is False
    assert response.json["requirements"][0]["signed_hours"] == 0.0


def test_given_unknown_certificates_levels_and_students_when_eligibility_is_read_then_404(fw) -> None:
    path = f"/students/{fw.student}/eligibility"
    assert fw.get(path, query_string={"certificate": "X-NONE", "level": "junior"}).status_code == 404
    assert fw.get(path, query_string={"certificate": "X-MEC", "level": "senior"}).status_code == 404
    assert fw.get(f"/students/{uuid4()}/eligibility",
                  query_string={"certificate": "X-MEC", "level": "junior"}).status_code == 404


# -- awards, conversions, revocations -----------------------------------------------------------------
def test_given_an_eligible_student_when_awarded_then_201_with_a_wait_token_and_the_credits_are_deposited(fw) -> None:
    response = fw.award(certificate_number="MEC-J-0001")
    assert response.status_code == 201, response.json
    body = response.json
    assert UUID(body["award_id"]) and body["position"] == fw.recorded()
    assert body["wait_token"].startswith(f"credentials:{body['id']}:{body['version']}~")
    assert response.headers["ETag"] == f'"{body["version"]}"'
    account = fw.account()
    [award] = account["awards"]
    assert (award["award_id"], award["level"], award["credits"], award["awarded_on"], award["certificate_number"],
            award["eligible"], award["revoked"]) == (body["award_id"], "junior", 4, "2026-11-30", "MEC-J-0001", True,
                                                     False)
    [deposit] = account["ledger"]
    assert (deposit["kind"], deposit["debit"], deposit["credit"], deposit["amount"]) == (
        "deposit", f"award:{body['award_id']}", "available", 4)
    assert deposit["caused_by"] and account["balance"] == 4 and account["version"] == body["version"]


def test_given_an_ineligible_student_when_awarded_without_a_reason_then_409_not_eligible_and_with_one_201(
    fw
) -> None:
    before = fw.recorded()
    refused = fw.award(fw.other)
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "not-eligible"
    assert [r["competency"] for r in error["details"]["unmet"]] == ["M1"]
    assert fw.recorded() == before
    overridden = fw.award(fw.other, override_reason="passed the national skills contest's practical exam")
    assert overridden.status_code == 201, overridden.json
    [award] = fw.account(fw.other)["awards"]
    assert award["eligible"] is False
    assert award["override_reason"] == "passed the national skills contest's practical exam"


def test_given_an_award_when_awarded_again_then_409_already_awarded(fw) -> None:
    assert fw.award().status_code == 201
    again = fw.award()
    assert again.status_code == 409 and error_of(again)["code"] == "already-awarded"


def test_given_an_award_when_amended_then_the_account_reads_the_correction_and_a_stale_if_match_is_409(fw) -> None:
    receipt = fw.award(certificate_number="MEC-J-0010").json
    path = f"/students/{fw.student}/awards/{receipt['award_id']}/amendment"
    body = {"awarded_on": "2026-11-27", "certificate_number": "MEC-J-0001", "reason": "digits transposed"}
    stale = fw.post(path, body, headers={**ADMIN_HEADERS, "If-Match": f'"{receipt["version"] - 1}"'})
    assert stale.status_code == 409 and error_of(stale)["code"] == "version-conflict"
    amended = fw.post(path, body, headers={**ADMIN_HEADERS, "If-Match": f'"{receipt["version"]}"'})
    assert amended.status_code == 200, amended.json
    [award] = fw.account()["awards"]
    assert (award["awarded_on"], award["certificate_number"]) == ("2026-11-27", "MEC-J-0001")
    nothing = fw.post(path, body)
    assert nothing.status_code == 409 and error_of(nothing)["code"] == "amendment-changes-nothing"


def test_given_an_award_when_converted_then_the_courses_are_credited_and_the_balance_falls(fw) -> None:
    award_id = fw.award().json["award_id"]
    coordinator = bearer(Role.COORDINATOR, "coord-chen", school_id=str(fw.tw.school))
    converted = fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {}, headers=coordinator)
    assert converted.status_code == 200, converted.json
    account = fw.account()
    conversion = account["ledger"][-1]
    assert (conversion["kind"], conversion["debit"], conversion["credit"], conversion["amount"], conversion["course"],
            conversion["exempt"], conversion["rule_id"] is not None) == (
        "conversion", "available", "course:MEC-201 Drive systems", 3, "MEC-201 Drive systems", True, True)
    assert account["balance"] == 1 and account["awards"][0]["unconverted"] == 1
    again = fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {"on": "2026-11-30"})
    assert again.status_code == 409 and error_of(again)["code"] == "already-converted"


def test_given_a_day_before_any_rule_when_converted_on_it_then_409_no_conversion_rule(fw) -> None:
    award_id = fw.award(awarded_on="2026-01-15").json["award_id"]
    response = fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {"on": "2026-08-31"})
    assert response.status_code == 409 and error_of(response)["code"] == "no-conversion-rule"
    before_award = fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {"on": "2026-01-14"})
    assert before_award.status_code == 409 and error_of(before_award)["code"] == "conversion-date"


def test_given_a_converted_award_when_revoked_then_everything_is_reversed_and_the_balance_returns_to_0(fw) -> None:
    award_id = fw.award().json["award_id"]
    assert fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {}).status_code == 200
    revoked = fw.post(f"/students/{fw.student}/awards/{award_id}/revocation",
                      {"reason": "the assessment was found to be copied"})
    assert revoked.status_code == 200, revoked.json
    account = fw.account()
    deposit, conversion, *reversals = account["ledger"]
    assert [(r["kind"], r["reverses"], r["debit"], r["credit"], r["amount"]) for r in reversals] == [
        ("reversal", conversion["line_id"], conversion["credit"], conversion["debit"], 3),
        ("reversal", deposit["line_id"], deposit["credit"], deposit["debit"], 4)]
    assert all(r["caused_by"] for r in reversals)
    assert account["balance"] == 0
    [award] = account["awards"]
    assert (award["revoked"], award["revocation_reason"], award["unconverted"]) == (
        True, "the assessment was found to be copied", 0)
    for command, body in (("revocation", {"reason": "again"}), ("conversion", {}),
                          ("amendment", {"awarded_on": "2026-11-01", "certificate_number": None, "reason": "x"})):
        refused = fw.post(f"/students/{fw.student}/awards/{award_id}/{command}", body)
        assert refused.status_code == 409 and error_of(refused)["code"] == "award-revoked", command


def test_given_unknown_certificates_awards_and_students_then_404_and_nothing_is_recorded(fw) -> None:
    award_id = fw.award().json["award_id"]
    before = fw.recorded()
    assert fw.award(certificate_code="X-NONE").status_code == 404
    assert fw.award(level="senior").status_code == 404
    assert fw.award(uuid4()).status_code == 404
    for command, body in (("amendment", {"awarded_on": "2026-11-01", "certificate_number": None, "reason": "x"}),
                          ("revocation", {"reason": "x"}), ("conversion", {})):
        unknown_award = fw.post(f"/students/{fw.student}/awards/{uuid4()}/{command}", body)
        assert unknown_award.status_code == 404, command
        no_account = fw.post(f"/students/{fw.other}/awards/{award_id}/{command}", body)
        assert no_account.status_code == 404, command
    assert fw.get(f"/students/{uuid4()}/credit-account").status_code == 404
    assert fw.recorded() == before


def test_given_no_award_yet_when_the_account_is_read_then_it_is_empty_with_balance_0(fw) -> None:
    account = fw.account(fw.other)
    assert account == {"student_id": str(fw.other), "school_id": str(fw.tw.school), "version": 0, "awards": [],
                       "ledger": [], "balance": 0}


# -- bad input --------------------------------------------------------------------------------------
def _level(**changes: Any) -> dict[str, Any]:
    return {**CERTIFICATE, "code": "X-NEW", "levels": [{**CERTIFICATE["levels"][0], **changes}]}


BAD_BODIES: dict[str, tuple[str, Callable[[Functional], str], Any, str]] = {
    "an unknown level": ("post", lambda f: "/certificates", _level(level="master"), "levels"),
    "negative credits": ("post", lambda f: "/certificates", _level(credits=-1), "levels"),
    "credits as text": ("post", lambda f: "/certificates", _level(credits="4"), "levels"),
    "negative hours": ("post", lambda f: "/certificates", _level(requirements=[
        {"competency": "M1", "min_signed_hours": -1}]), "levels"),
    "a level twice": ("post", lambda f: "/certificates", {**CERTIFICATE, "code": "X-NEW", "levels": [
        CERTIFICATE["levels"][0], CERTIFICATE["levels"][0]]}, "levels"),
    "no levels": ("post", lambda f: "/certificates", {**CERTIFICATE, "code": "X-NEW", "levels": []}, "levels"),
    "a code with a slash": ("post", lambda f: "/certificates", {**CERTIFICATE, "code": "X/MEC"}, "code"),
    "an unknown field": ("post", lambda f: "/certificates", {**CERTIFICATE, "code": "X-NEW", "colour": "blue"},
                         "colour"),
    "an unknown field in a requirement": ("post", lambda f: "/certificates", _level(requirements=[
        {"competency": "M1", "min_signed_hours": 1, "weight": 2}]), "levels"),
    "a conversion of 0 credits": ("post", lambda f: "/certificates/X-MEC/conversion-rules", {
        **RULE, "conversions": [{"course": "MEC-201", "credits": 0}]}, "conversions"),
    "a course twice": ("post", lambda f: "/certificates/X-MEC/conversion-rules", {
        **RULE, "conversions": [{"course": "MEC-201", "credits": 1}, {"course": "MEC-201", "credits": 1}]},
        "conversions"),
    "a rule without a date": ("post", lambda f: "/certificates/X-MEC/conversion-rules", {
        "level": "junior", "conversions": RULE["conversions"]}, "effective_from"),
    "an award at an unknown level": ("post", lambda f: f"/students/{f.student}/awards", {
        "certificate_code": "X-MEC", "level": "expert"}, "level"),
    "an award on no date": ("post", lambda f: f"/students/{f.student}/awards", {
        "certificate_code": "X-MEC", "level": "junior", "awarded_on": "2026-02-30"}, "awarded_on"),
    "a blank override reason": ("post", lambda f: f"/students/{f.student}/awards", {
        "certificate_code": "X-MEC", "level": "junior", "override_reason": "  "}, "override_reason"),
    "an amendment without a reason": ("post", lambda f: f"/students/{f.student}/awards/{uuid4()}/amendment", {
        "awarded_on": "2026-11-01", "certificate_number": "A-1"}, "reason"),
    "a revocation without a reason": ("post", lambda f: f"/students/{f.student}/awards/{uuid4()}/revocation", {},
                                      "reason"),
    "a conversion on a year 3000 day": ("post", lambda f: f"/students/{f.student}/awards/{uuid4()}/conversion", {
        "on": "3000-01-01"}, "on"),
    "an order of no students": ("post", lambda f: "/order-classes", lambda f: {
        "enterprise_id": str(f.tw.haier), "name": "fitters", "students": 0, "major": "mechatronics",
        "certificates": [{"code": "X-MEC", "level": "junior"}], "deadline": "2027-06-30"}, "students"),
    "an order without certificates": ("post", lambda f: "/order-classes", lambda f: {
        "enterprise_id": str(f.tw.haier), "name": "fitters", "students": 2, "major": "mechatronics",
        "certificates": [], "deadline": "2027-06-30"}, "certificates"),
    "an enterprise id that is no UUID": ("post", lambda f: "/order-classes", lambda f: {
        "enterprise_id": "haier", "name": "fitters", "students": 2, "major": "mechatronics",
        "certificates": [{"code": "X-MEC", "level": "junior"}], "deadline": "2027-06-30"}, "enterprise_id"),
    "student ids that are no UUIDs": ("post", lambda f: f"/order-classes/{uuid4()}/students", {
        "student_ids": ["liu-yang"]}, "student_ids"),
    "eligibility without a certificate": ("get", lambda f: f"/students/{f.student}/eligibility?level=junior", {},
                                          "certificate"),
    "eligibility as of no day": ("get", lambda f: f"/students/{f.student}/eligibility?certificate=X-MEC&level=junior"
                                 "&as_of=yesterday", {}, "as_of"),
}


@pytest.mark.parametrize("case", BAD_BODIES)
def test_given_bad_fields_then_422_names_the_field_and_nothing_is_recorded(fw, case: str) -> None:
    method, path, body, field = BAD_BODIES[case]
    before = fw.recorded()
    response = fw.post(path(fw), body(fw) if callable(body) else body) if method == "post" else fw.get(path(fw))
    assert response.status_code == 422, response.json
    error = error_of(response)
    assert error["code"] == "invalid-input"
    location = "json" if method == "post" else "query"
    assert field in error["fields"][location], error["fields"]
    assert fw.recorded() == before


# -- the signed statement ---------------------------------------------------------------------------
def test_given_an_account_when_its_signed_statement_is_downloaded_then_it_verifies_and_one_changed_byte_fails(
    fw
) -> None:
    award_id = fw.award(certificate_number="MEC-J-0001").json["award_id"]
    assert fw.post(f"/students/{fw.student}/awards/{award_id}/conversion", {}).status_code == 200
    response = fw.get(f"/students/{fw.student}/credit-statement/signed",
                      headers=bearer(Role.STUDENT, "liu-yang", student_id=str(fw.student)))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    issuer_keys = key_store(fw.client.container.settings).key_set()
    verdict = verify(response.data, issuer_keys)
    assert verdict.ok, verdict.message
    statement = verdict.statement
    assert (statement["student_id"], statement["school_id"], statement["balance"]) == (
        str(fw.student), str(fw.tw.school), 1)
    [certificate] = statement["certificates"]
    assert (certificate["code"], certificate["title"], certificate["level"], certificate["certificate_number"],
            certificate["status"]) == ("X-MEC", CERTIFICATE["title"], "junior", "MEC-J-0001", "awarded")
    assert [line["kind"] for line in statement["ledger"]] == ["deposit", "conversion"]

    balance_at = response.data.index(b'"balance":') + len(b'"balance":')
    changed = bytearray(response.data)
    changed[balance_at] = ord("9")
    assert verify(bytes(changed), issuer_keys).outcome == BAD_SIGNATURE
    changed = bytearray(response.data)
    changed[response.data.index(b'"value":"') + 20] ^= 0x01
    assert verify(bytes(changed), issuer_keys).outcome in (BAD_SIGNATURE, MALFORMED)


def test_given_no_award_yet_when_the_signed_statement_is_downloaded_then_it_is_empty_and_verifies(fw) -> None:
    response = fw.get(f"/students/{fw.other}/credit-statement/signed")
    assert response.status_code == 200
    keys = key_store(fw.client.container.settings).key_set()
    verdict = verify(response.data, keys)
    assert verdict.ok and verdict.statement is not None
    assert (verdict.statement["certificates"], verdict.statement["ledger"], verdict.statement["balance"]) == ([], [], 0)
    again = fw.get(f"/students/{fw.other}/credit-statement/signed")
    assert verify(again.data, keys).key_id == verdict.key_id  # one statements key, created once
    assert fw.get(f"/students/{uuid4()}/credit-statement/signed").status_code == 404


# -- order classes ----------------------------------------------------------------------------------
def test_given_an_order_class_with_students_when_its_report_is_read_then_it_shows_holders_and_eligibility(
    fw
) -> None:
    mentor = bearer(Role.MENTOR, "m-wang", enterprise_id=str(fw.tw.haier))
    ordered = fw.post("/order-classes", {
        "enterprise_id": str(fw.tw.haier), "name": "Haier drive fitters 2027", "students": 3, "major": "mechatronics",
        "certificates": [{"code": "X-MEC", "level": "junior"}], "deadline": "2027-06-30"}, headers=mentor)
    assert ordered.status_code == 201, ordered.json
    order_id = ordered.json["id"]
    coordinator = bearer(Role.COORDINATOR, "coord-chen", school_id=str(fw.tw.school))
    both = {"student_ids": [str(fw.student), str(fw.other)]}
    direct = fw.post(f"/order-classes/{order_id}/students", both, headers=coordinator)
    assert direct.status_code == 403 and "enterprise-accepts" in direct.get_data(as_text=True)
    assert fw.post(f"/order-classes/{order_id}/proposals", both, headers=coordinator).status_code == 200
    assert fw.get(f"/order-classes/{order_id}/report", headers=mentor).json["proposed"] == both["student_ids"]
    assigned = fw.post(f"/order-classes/{order_id}/students", both, headers=mentor)
    assert assigned.status_code == 200, assigned.json
    report = fw.get(f"/order-classes/{order_id}/report", headers=mentor)
    assert report.status_code == 200, report.json
    assert (report.json["students_ordered"], report.json["students_assigned"], report.json["days_left"]) == (3, 2, 212)
    [row] = report.json["certificates"]
    assert (row["holders"], row["eligible"], row["not_yet"], row["short_of_order"]) == (
        [], [str(fw.student)], [str(fw.other)], 3)
    fw.award()
    [row] = fw.get(f"/order-classes/{order_id}/report", headers=mentor).json["certificates"]
    assert (row["holders"], row["eligible"], row["short_of_order"]) == ([str(fw.student)], [], 2)
    twice = fw.post(f"/order-classes/{order_id}/proposals", {"student_ids": [str(fw.student)]}, headers=coordinator)
    assert twice.status_code == 409 and error_of(twice)["code"] == "already-assigned"
    [school_row] = fw.get(f"/order-classes/{order_id}/report", headers=coordinator).json["certificates"]
    assert (school_row["holders"], school_row["short_of_order"]) == ([str(fw.student)], None)


def test_given_an_order_for_a_past_deadline_or_an_unknown_certificate_then_it_is_refused(fw) -> None:
    body = {"enterprise_id": str(fw.tw.haier), "name": "fitters", "students": 2, "major": "mechatronics",
            "certificates": [{"code": "X-MEC", "level": "junior"}], "deadline": "2026-11-30"}
    past = fw.post("/order-classes", body)
    assert past.status_code == 409 and error_of(past)["code"] == "deadline-in-future"
    unknown = fw.post("/order-classes", {**body, "deadline": "2027-06-30",
                                         "certificates": [{"code": "X-NONE", "level": "junior"}]})
    assert unknown.status_code == 404
    assert fw.get(f"/order-classes/{uuid4()}/report").status_code == 404


# -- the access matrix --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ids:
    school: str
    other_school: str
    haier: str
    crrc: str
    student: str
    """Liu Yang: eligible for X-MEC junior, awarded it (unconverted)."""
    other_student: str
    """Zhou Min, same school and major, proposed for the order class by the school, not accepted yet."""
    third_student: str
    """Wu Lei, same school and major, in no order class."""
    award: str
    order: str
    """Haier's order class (5 students of mechatronics, X-MEC junior), with Liu in it (proposed and accepted)."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ids]:
    data_dir = tmp_path_factory.mktemp("credentials-matrix") / "var"
    container = Container(make_settings(data_dir))
    tw = build_training_world(container)
    credentials = container.credentials
    credentials.today = lambda: TODAY  # type: ignore[method-assign]
    student, _ = _signed_practice(tw)
    other = tw.enrol("Zhou Min")
    admin = tw.admin
    credentials.list_certificate(admin, **CERTIFICATE)
    credentials.adopt_conversion_rule(admin, "X-MEC", level="junior", effective_from=TODAY - timedelta(days=90),
                                      conversions=RULE["conversions"])
    award = credentials.award_certificate(admin, student, certificate_code="X-MEC", level="junior").award_id
    order = credentials.order_class(tw.mentor(tw.workshop), enterprise_id=tw.haier, name="Haier drive fitters",
                                    students=5, major="mechatronics",
                                    certificates=[{"code": "X-MEC", "level": "junior"}],
                                    deadline=TODAY + timedelta(days=200)).id
    credentials.propose_students_for_order(tw.coordinator, order, student_ids=[str(student), str(other)])
    credentials.accept_students_for_order(tw.mentor(tw.workshop), order, student_ids=[str(student)])
    third = tw.enrol("Wu Lei")
    ids = Ids(school=str(tw.school), other_school=str(tw.other_school), haier=str(tw.haier), crrc=str(tw.crrc),
              student=str(student), other_student=str(other), third_student=str(third), award=award,
              order=str(order))
    container.close()
    return data_dir, ids


World = CopiedWorld


@pytest.fixture
def world(template: tuple[Path, Ids], tmp_path: Path) -> Iterator[World]:
    source, ids = template
    with copy_of(source, tmp_path, ids, TODAY) as copied:
        yield copied


CALLERS: dict[str, Callable[[Ids], dict[str, str]]] = {
    "admin": lambda i: bearer(Role.ADMIN, "admin-2"),
    "coordinator of the student's school": lambda i: bearer(Role.COORDINATOR, "coord-chen", school_id=i.school),
    "coordinator of another school": lambda i: bearer(Role.COORDINATOR, "coord-jinan", school_id=i.other_school),
    "teacher of the student's school": lambda i: bearer(Role.TEACHER, "teacher-gao", school_id=i.school),
    "teacher of another school": lambda i: bearer(Role.TEACHER, "teacher-lin", school_id=i.other_school),
    "mentor of the student's centre": lambda i: bearer(Role.MENTOR, "m-wang", enterprise_id=i.haier),
    "another mentor of the ordering enterprise": lambda i: bearer(Role.MENTOR, "m-sun", enterprise_id=i.haier),
    "mentor of another enterprise": lambda i: bearer(Role.MENTOR, "m-zhao", enterprise_id=i.crrc),
    "enterprise admin of the ordering enterprise": lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-zhou",
                                                                    enterprise_id=i.haier),
    "enterprise admin of another enterprise": lambda i: bearer(Role.ENTERPRISE_ADMIN, "ea-qian", enterprise_id=i.crrc),
    "the student": lambda i: bearer(Role.STUDENT, "liu-yang", student_id=i.student),
    "a guardian of the student": lambda i: bearer(Role.GUARDIAN, "liu-jun", student_id=i.student),
    "another student": lambda i: bearer(Role.STUDENT, "zhou-min", student_id=i.other_student),
    "a guardian of another student": lambda i: bearer(Role.GUARDIAN, "zhou-lan", student_id=i.other_student),
    "auditor": lambda i: bearer(Role.AUDITOR, "auditor-1"),
}

ADMIN = "admin"
COORDINATOR = "coordinator of the student's school"
TEACHER = "teacher of the student's school"
MENTOR = "mentor of the student's centre"
ENTERPRISE_MENTOR = "another mentor of the ordering enterprise"
ENTERPRISE_ADMIN = "enterprise admin of the ordering enterprise"
STUDENT = "the student"
AUDITOR = "auditor"

EVERYONE = set(CALLERS)
GUARDIAN = "a guardian of the student"
ACCOUNT_READERS = {ADMIN, AUDITOR, COORDINATOR, TEACHER, STUDENT, GUARDIAN}
"""Mentors read nothing of credit accounts, not even their own apprentice's; nor do enterprise admins. A guardian
reads what the student reads of their own records."""
ENTERPRISE_STAFF = {MENTOR, ENTERPRISE_MENTOR, ENTERPRISE_ADMIN}
"""The ordering enterprise's mentors and enterprise admins (is_enterprise_staff)."""


def _student(i: Ids) -> str:
    return f"/api/v1/students/{i.student}"


def _award(i: Ids, command: str) -> str:
    return f"{_student(i)}/awards/{i.award}/{command}"


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[Ids], str]
    allowed: set[str]
    json: Callable[[Ids], dict[str, Any]] | None = None


ROUTES: dict[str, Route] = {
    "list a certificate": Route("post", lambda i: "/api/v1/certificates", {ADMIN},
                                json=lambda i: {**CERTIFICATE, "code": "X-ROB", "title": "Industrial robots"}),
    "read a certificate": Route("get", lambda i: "/api/v1/certificates/X-MEC", EVERYONE),
    "adopt a conversion rule": Route(
        "post", lambda i: "/api/v1/certificates/X-MEC/conversion-rules", {ADMIN},
        json=lambda i: {"level": "intermediate", "effective_from": "2027-01-01",
                        "conversions": [{"course": "MEC-301 Servo systems", "credits": 6, "exempt": False}]}),
    "read eligibility": Route("get", lambda i: f"{_student(i)}/eligibility?certificate=X-MEC&level=junior",
                              ACCOUNT_READERS),
    "award a certificate": Route(
        "post", lambda i: f"{_student(i)}/awards", {ADMIN},
        json=lambda i: {"certificate_code": "X-MEC", "level": "intermediate",
                        "override_reason": "recognised prior learning at the Haier academy"}),
    "amend an award": Route("post", lambda i: _award(i, "amendment"), {ADMIN},
                            json=lambda i: {"awarded_on": "2026-11-27", "certificate_number": "MEC-J-7",
                                            "reason": "the paper certificate's number"}),
    "revoke an award": Route("post", lambda i: _award(i, "revocation"), {ADMIN},
                             json=lambda i: {"reason": "issued in error"}),
    "convert an award's credits": Route("post", lambda i: _award(i, "conversion"), {ADMIN, COORDINATOR},
                                        json=lambda i: {}),
    "read the credit account": Route("get", lambda i: f"{_student(i)}/credit-account", ACCOUNT_READERS),
    "download the signed statement": Route("get", lambda i: f"{_student(i)}/credit-statement/signed",
                                           ACCOUNT_READERS),
    "order a class": Route(
        "post", lambda i: "/api/v1/order-classes", {ADMIN} | ENTERPRISE_STAFF,
        json=lambda i: {"enterprise_id": i.haier, "name": "Haier robot cell operators", "students": 4,
                        "major": "mechatronics", "certificates": [{"code": "X-MEC", "level": "junior"}],
                        "deadline": "2027-09-01"}),
    "propose students for an order class": Route(
        "post", lambda i: f"/api/v1/order-classes/{i.order}/proposals", {ADMIN, COORDINATOR},
        json=lambda i: {"student_ids": [i.third_student]}),
    "accept proposed students into an order class": Route(
        "post", lambda i: f"/api/v1/order-classes/{i.order}/students", {ADMIN} | ENTERPRISE_STAFF,
        json=lambda i: {"student_ids": [i.other_student]}),
    "decline proposed students": Route(
        "post", lambda i: f"/api/v1/order-classes/{i.order}/declined-proposals", {ADMIN} | ENTERPRISE_STAFF,
        json=lambda i: {"student_ids": [i.other_student]}),
    "read an order class's report": Route("get", lambda i: f"/api/v1/order-classes/{i.order}/report",
                                          {ADMIN, AUDITOR, COORDINATOR} | ENTERPRISE_STAFF),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_given_a_caller_and_a_credentials_route_then_only_the_allowed_ones_succeed_and_refusals_record_nothing(
    world: World, route: str, caller: str
) -> None:
    spec, ids = ROUTES[route], world.ids
    headers = CALLERS[caller](ids)
    before = world.container.credentials.max_position()
    if spec.json is not None:
        response = getattr(world.client, spec.method)(spec.path(ids), json=spec.json(ids), headers=headers)
    else:
        response = getattr(world.client, spec.method)(spec.path(ids), headers=headers)
    if caller in spec.allowed:
        assert response.status_code in (200, 201), response.json
        if spec.method != "get":
            assert world.container.credentials.max_position() > before
    else:
        assert response.status_code == 403, response.json
        assert error_of(response)["code"] == "forbidden"
        assert world.container.credentials.max_position() == before


def test_given_an_auditor_then_every_command_is_403_but_every_account_read_succeeds(world: World) -> None:
    headers = CALLERS[AUDITOR](world.ids)
    for name, spec in ROUTES.items():
        response = getattr(world.client, spec.method)(spec.path(world.ids), headers=headers,
                                                      **({"json": spec.json(world.ids)} if spec.json else {}))
        assert response.status_code == (200 if spec.method == "get" else 403), name
    statement = world.client.get(f"{_student(world.ids)}/credit-statement/signed", headers=headers)
    keys = key_store(world.container.settings).key_set()
    assert verify(statement.data, keys).statement["balance"] == 4  # type: ignore[index]


def test_given_the_student_then_they_read_their_own_account_and_not_another_students(world: World) -> None:
    own = world.client.get(f"{_student(world.ids)}/credit-account", headers=CALLERS[STUDENT](world.ids))
    assert own.status_code == 200 and own.json["balance"] == 4
    other = world.client.get(f"/api/v1/students/{world.ids.other_student}/credit-account",
                             headers=CALLERS[STUDENT](world.ids))
    assert other.status_code == 403


def test_given_no_token_then_every_credentials_route_is_401(world: World) -> None:
    for name, spec in ROUTES.items():
        response = getattr(world.client, spec.method)(spec.path(world.ids),
                                                      **({"json": spec.json(world.ids)} if spec.json else {}))
        assert response.status_code == 401, name

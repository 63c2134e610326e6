"""Accounts through the HTTP API: invitations, sign-in, tokens that refresh and end, who am I, grants withdrawn,
calendar links, guardian codes, and the answers to garbage (401, 422, 429 — never 500)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jwt
import pytest

from services.common.identity import Role
from tests.conftest import bearer

pytestmark = pytest.mark.api

PASSWORD = "a long enough passphrase"
ADMIN = bearer(Role.ADMIN, "admin-1")


class Accounts:
    """An API client on a fresh deployment with a school, an enterprise and a centre, and the mail it sent."""

    def __init__(self, client: Any) -> None:
        self.http = client.http
        self.container = client.container
        self.school = self.post("/api/v1/schools", {"name": "Qingdao Technician College", "code": "QTC"}, ADMIN)["id"]
        self.enterprise = self.post("/api/v1/enterprises", {"name": "CRRC Qingdao Sifang"}, ADMIN)["id"]
        self.centre = self.post(f"/api/v1/enterprises/{self.enterprise}/centres", {"name": "Rail base",
                                                    "address": "88 Jinhongdong Road", "capacity": 5,
                                                    "specialities": ["mechatronics"]}, ADMIN)["id"]

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None, status: int | None = None) -> Any:
        answer = self.http.post(path, json=body, headers=headers or {})
        if status is None:
            assert answer.status_code < 300, (path, answer.status_code, answer.get_json())
        else:
            assert answer.status_code == status, (path, answer.status_code, answer.get_json())
        return answer.get_json() if answer.data else None

    def mail_to(self, address: str) -> str:
        with self.container.view_db.transaction() as tx:
            row = tx.execute("SELECT body FROM mail_outbox WHERE recipient = ? ORDER BY created_at DESC",
                             (address,)).fetchone()
        assert row is not None, f"no mail to {address}"
        return row[0]

    def link_to(self, address: str) -> str:
        return re.search(r"/invitations/(\S+)", self.mail_to(address)).group(1)

    def join(self, inviter: dict[str, str], email: str, role: str, **scope: str) -> dict[str, Any]:
        invited = self.post("/api/v1/invitations", {"name": email.split("@")[0].title(), "email": email,
                                                    "role": role, **scope}, inviter, 201)
        self.post(f"/api/v1/invitations/{self.link_to(email)}/acceptance", {"password": PASSWORD}, status=200)
        return invited

    def sign_in(self, login: str, password: str = PASSWORD, status: int = 201, **extra: Any) -> Any:
        return self.post("/api/v1/auth/tokens", {"login": login, "password": password, **extra}, status=status)


def a_minor_awaiting_confirmation(accounts: Accounts) -> tuple[dict[str, str], str, str]:
    """He Xiaoyu (15, her guardian's contact an email address), proposed a placement by her school's coordinator:
    the coordinator's header, her id and the placement's."""
    coordinator = bearer(Role.COORDINATOR, "chen", school_id=accounts.school)
    he = accounts.post(f"/api/v1/schools/{accounts.school}/students", {
        "name": "He Xiaoyu", "major": "mechatronics", "cohort": 2025, "enrolment_date": "2025-09-01",
        "date_of_birth": "2010-06-30", "guardian_name": "He Jianguo", "guardian_contact": "he.jianguo@family.example",
    }, coordinator, 201)["id"]
    placement = accounts.post(f"/api/v1/students/{he}/placements", {
        "centre_id": accounts.centre, "kind": "cognitive", "start": "2027-03-01", "planned_end": "2027-03-19",
        "post": "observer", "weekly_hours": 20}, coordinator, 201)["placement_id"]
    return coordinator, he, placement


def auth(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


@pytest.fixture
def accounts(client) -> Accounts:
    return Accounts(client)


def test_given_an_invited_coordinator_when_she_signs_in_then_me_names_her_school_and_her_token_lives_15_minutes(
        accounts) -> None:
    invited = accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    assert invited["mailed"] and invited["grant"]["school"]["name"] == "Qingdao Technician College"
    assert "invitations/" not in str(invited), "the link is the invitee's credential: only the mail holds it"
    pair = accounts.sign_in("chen@qtc.example")
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(pair["access_token"])
    assert claims["exp"] - claims["iat"] == 15 * 60 and pair["expires_in"] == 900
    assert header["kid"] and claims["sub"] == invited["person_id"] and claims["jti"] and claims["aud"]
    me = accounts.http.get("/api/v1/me", headers=auth(pair)).get_json()
    assert me["person"]["name"] == "Chen" and me["acting_as"]["role"] == "coordinator"
    assert me["acting_as"]["school"] == {"id": accounts.school, "name": "Qingdao Technician College"}


def test_given_a_mentor_assigned_to_a_centre_when_she_asks_who_she_is_then_her_enterprise_and_centre_are_named(
        accounts, client) -> None:
    qian = accounts.join(ADMIN, "qian@crrc.example", "enterprise-admin", enterprise_id=accounts.enterprise)
    boss = auth(accounts.sign_in("qian@crrc.example"))
    zhao = accounts.join(boss, "zhao@crrc.example", "mentor", enterprise_id=accounts.enterprise)
    accounts.post(f"/api/v1/centres/{accounts.centre}/mentors", {"mentor_id": zhao["person_id"], "name": "Zhao Min"},
                  boss, 200)
    refused = accounts.post(f"/api/v1/centres/{accounts.centre}/mentors",
                            {"mentor_id": qian["person_id"], "name": "Qian Bo"}, boss, 409)
    assert refused["error"]["code"] == "no-self-grant"
    client.project()
    me = accounts.http.get("/api/v1/me", headers=auth(accounts.sign_in("zhao@crrc.example"))).get_json()
    assert me["acting_as"]["enterprise"]["name"] == "CRRC Qingdao Sifang"
    assert me["acting_as"]["centres"] == [{"id": accounts.centre, "name": "Rail base"}]


def test_given_a_session_when_refreshed_signed_out_or_signed_out_everywhere_then_the_next_request_is_401(
        accounts) -> None:
    accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    first = accounts.sign_in("chen@qtc.example")
    second = accounts.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, status=201)
    assert accounts.http.get("/api/v1/me", headers=auth(second)).status_code == 200
    accounts.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, status=401)
    assert accounts.http.get("/api/v1/me", headers=auth(second)).status_code == 401, "reuse ends the session"

    phone, laptop = accounts.sign_in("chen@qtc.example"), accounts.sign_in("chen@qtc.example")
    accounts.post("/api/v1/auth/sign-out", {}, auth(phone), 204)
    assert accounts.http.get("/api/v1/me", headers=auth(phone)).status_code == 401
    assert accounts.http.get("/api/v1/me", headers=auth(laptop)).status_code == 200
    accounts.post("/api/v1/auth/sign-out-everywhere", {}, auth(laptop), 204)
    answer = accounts.http.get("/api/v1/me", headers=auth(laptop))
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    accounts.post("/api/v1/auth/refresh", {"refresh_token": laptop["refresh_token"]}, status=401)


def test_given_a_withdrawn_grant_then_the_next_request_under_it_is_401_and_history_shows_it(accounts) -> None:
    accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    chen = auth(accounts.sign_in("chen@qtc.example"))
    teacher = accounts.join(chen, "gao@qtc.example", "teacher", school_id=accounts.school)
    gao = auth(accounts.sign_in("gao@qtc.example"))
    assert accounts.http.get("/api/v1/me", headers=gao).status_code == 200
    path = f"/api/v1/people/{teacher['person_id']}/grants/{teacher['grant']['grant_id']}/withdrawal"
    accounts.post(path, {}, bearer(Role.COORDINATOR, "someone-else", school_id=str(uuid.uuid4())), 403)
    accounts.post(path, {}, chen, 204)
    assert accounts.http.get("/api/v1/me", headers=gao).status_code == 401
    history = accounts.http.get(f"/api/v1/people/{teacher['person_id']}/history", headers=ADMIN).get_json()
    kinds = [e["type"] for e in history["events"]]
    assert kinds[:3] == ["PersonAdded", "GrantGiven", "PasswordSet"] and "GrantWithdrawn" in kinds
    assert "password_hash" not in str(history) and "refresh_hash" not in str(history)
    assert accounts.http.get(f"/api/v1/people/{teacher['person_id']}/history", headers=chen).status_code == 403


def test_given_twenty_wrong_passwords_then_429_with_retry_after_the_right_one_too_and_both_are_in_the_history(
        accounts) -> None:
    chen = accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    for n in range(19):
        accounts.sign_in("chen@qtc.example", f"wrong guess {n}", status=401)
    locked = accounts.http.post("/api/v1/auth/tokens", json={"login": "chen@qtc.example", "password": "wrong 19"})
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    right = accounts.http.post("/api/v1/auth/tokens", json={"login": "chen@qtc.example", "password": PASSWORD})
    assert right.status_code == 429 and right.get_json()["error"]["details"]["rule"] == "account-locked"
    events = accounts.http.get(f"/api/v1/people/{chen['person_id']}/history", headers=ADMIN).get_json()["events"]
    failures = [e for e in events if e["type"] == "SignInFailed"]
    assert len(failures) == 21 and failures[-1]["details"]["reason"] == "locked"
    assert any(e["type"] == "AccountLocked" for e in events)


def test_given_many_failures_from_one_address_then_it_is_throttled_whatever_account_it_tries(accounts) -> None:
    throttle = accounts.container.address_throttle()
    for _ in range(throttle.limit):
        throttle.failed("127.0.0.1")
    answer = accounts.http.post("/api/v1/auth/tokens", json={"login": "anyone@example.org", "password": "x"})
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert accounts.http.post("/api/v1/password-resets", json={"login": "x@example.org"}).status_code == 429


def test_given_a_calendar_link_then_a_calendar_app_reads_the_feed_without_a_token_until_it_is_revoked(
        accounts, client) -> None:
    accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    chen = auth(accounts.sign_in("chen@qtc.example"))
    student = accounts.post(f"/api/v1/schools/{accounts.school}/students", {
        "name": "Liu Yang", "major": "mechatronics", "cohort": 2024, "enrolment_date": "2024-09-01",
        "date_of_birth": "2006-03-01"}, chen, 201)["id"]
    client.project()
    feed = f"/api/v1/students/{student}/calendar.ics"
    link = accounts.post("/api/v1/me/calendar-links", {"feed": feed}, chen, 201)
    path = link["url"].split("localhost", 1)[-1]
    answer = accounts.http.get(path)
    assert answer.status_code == 200 and answer.content_type.startswith("text/calendar")
    assert accounts.http.get("/api/v1/me/calendar-links", headers=chen).get_json()["links"] == [
        {"link_id": link["link_id"], "feed": feed}]
    accounts.post(f"/api/v1/me/calendar-links/{link['link_id']}/revocation", {}, chen, 204)
    assert accounts.http.get(path).status_code == 401
    assert accounts.http.get(path.replace(".ics", "x.ics")).status_code == 401
    accounts.post("/api/v1/me/calendar-links", {"feed": "/api/v1/anything-else"}, chen, 422)
    accounts.post("/api/v1/me/calendar-links", {"feed": feed}, ADMIN, 422)  # a service token has no person


def test_given_a_minor_when_her_guardian_confirms_with_the_mailed_code_then_the_placement_is_confirmed_by_the_guardian(
        accounts) -> None:
    coordinator, he, placement_id = a_minor_awaiting_confirmation(accounts)
    base = f"/api/v1/students/{he}/placements/{placement_id}"
    student = bearer(Role.STUDENT, "he", student_id=he)
    refused = accounts.post(f"{base}/confirmation", {"confirmed_by": "guardian", "guardian_name": "He Jianguo"},
                            student, 403)
    assert "guardian" in refused["error"]["message"]
    sent = accounts.post(f"{base}/guardian-code", {}, student, 202)
    assert sent["sent_to"] == "h***@family.example"
    code = re.search(r"\b(\d{8})\b", accounts.mail_to("he.jianguo@family.example")).group(1)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    assert accounts.post(f"{base}/guardian-confirmation", {"code": wrong}, status=401)["error"]["code"] == \
        "not-signed-in"
    accounts.post(f"{base}/guardian-confirmation", {"code": "12ab"}, status=422)
    accounts.post(f"{base}/guardian-confirmation", {"code": code}, status=200)
    accounts.post(f"{base}/guardian-confirmation", {"code": code}, status=401)  # used
    record = accounts.container.placements.find_student(he)
    assert record.placement(placement_id).confirmed_by == "guardian"


def test_given_garbage_in_every_identity_field_then_4xx_naming_it_and_never_500(accounts) -> None:
    cases = [
        ("/api/v1/auth/tokens", {"login": "x"}, 422),
        ("/api/v1/auth/tokens", {"login": "\u0000", "password": "x"}, 422),
        ("/api/v1/auth/tokens", {"login": "x" * 300, "password": "x"}, 422),
        ("/api/v1/auth/tokens", {"login": "a@b.c", "password": "x", "grant_id": 5}, 422),
        ("/api/v1/auth/refresh", {"refresh_token": "garbage"}, 401),
        ("/api/v1/auth/refresh", {"refresh_token": "\ud800"}, 422),
        ("/api/v1/auth/refresh", {}, 422),
        ("/api/v1/invitations/garbage/acceptance", {"password": PASSWORD}, 401),
        ("/api/v1/invitations", {"name": "X", "email": "not an email", "role": "admin"}, 422),
        ("/api/v1/invitations", {"name": "X", "email": "x@example.org", "role": "emperor"}, 422),
        ("/api/v1/invitations", {"name": "X", "email": "x@example.org", "role": "teacher"}, 422),
        ("/api/v1/invitations", {"name": "X", "email": "x@example.org", "role": "admin",
                                 "school_id": str(uuid.uuid4())}, 422),
        ("/api/v1/password-resets", {"login": ""}, 422),
    ]
    for path, body, status in cases:
        headers = ADMIN if path == "/api/v1/invitations" else {}
        answer = accounts.http.post(path, json=body, headers=headers)
        assert answer.status_code == status, (path, body, answer.get_json())
    assert accounts.http.get("/api/v1/invitations/%00").status_code in (401, 404)
    assert accounts.http.get("/api/v1/me").status_code == 401


def test_given_a_client_correlation_id_then_the_server_keeps_its_own_and_records_the_clients_beside_it(
        accounts) -> None:
    answer = accounts.http.post("/api/v1/enterprises", json={"name": "Haier"},
                                headers={**ADMIN, "X-Correlation-ID": "my-batch-7"})
    assert answer.headers["X-Client-Correlation-ID"] == "my-batch-7"
    server_id = answer.headers["X-Correlation-ID"]
    assert server_id != "my-batch-7" and uuid.UUID(server_id)
    history = accounts.http.get(f"/api/v1/audit/aggregates/placements/{answer.get_json()['id']}/history", headers=ADMIN)
    event = history.get_json()["events"][0]
    assert (event["correlation_id"], event["client_correlation_id"]) == (server_id, "my-batch-7")


def test_given_a_mailed_link_when_opened_in_a_browser_then_its_page_sets_the_password_and_works_once(accounts) -> None:
    accounts.post("/api/v1/invitations", {"name": "Gao Yan", "email": "gao@qtc.example", "role": "teacher",
                                          "school_id": accounts.school}, ADMIN, 201)
    mailed = re.search(r"(http://\S+/invitations/\S+)", accounts.mail_to("gao@qtc.example")).group(1)
    page = mailed.split("localhost", 1)[-1] if "localhost" in mailed else "/" + mailed.split("/", 3)[3]
    form = accounts.http.get(page)
    assert form.status_code == 200 and "Welcome, Gao Yan" in form.text and 'type="password"' in form.text
    differ = accounts.http.post(page, data={"password": PASSWORD, "password_again": PASSWORD + "!"})
    assert differ.status_code == 422 and "differ" in differ.text
    short = accounts.http.post(page, data={"password": "short", "password_again": "short"})
    assert short.status_code == 422 and "at least 10" in short.text
    done = accounts.http.post(page, data={"password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 200 and "Your password is set" in done.text
    assert accounts.http.get(page).status_code == 404
    accounts.sign_in("gao@qtc.example")
    assert "<script" not in form.text.lower() and "http" not in form.text.split("<body>")[1]


def test_given_an_auditor_then_they_sign_out_and_keep_calendar_links_but_write_no_record(accounts) -> None:
    accounts.join(ADMIN, "gao.ping@audit.example", "auditor")
    auditor = auth(accounts.sign_in("gao.ping@audit.example"))
    accounts.post("/api/v1/enterprises", {"name": "Audited"}, auditor, 403)
    accounts.post("/api/v1/invitations", {"name": "X", "email": "x@example.org", "role": "admin"}, auditor, 403)
    feed = f"/api/v1/centres/{accounts.centre}/calendar.ics"
    link = accounts.post("/api/v1/me/calendar-links", {"feed": feed}, auditor, 201)
    accounts.post(f"/api/v1/me/calendar-links/{link['link_id']}/revocation", {}, auditor, 204)
    accounts.post("/api/v1/auth/sign-out", {}, auditor, 204)
    assert accounts.http.get("/api/v1/me", headers=auditor).status_code == 401


def test_given_a_guardian_without_an_account_when_they_open_the_mailed_page_then_the_code_confirms_the_placement(
        accounts) -> None:
    coordinator, he, placement = a_minor_awaiting_confirmation(accounts)
    accounts.post(f"/api/v1/students/{he}/placements/{placement}/guardian-code", {}, coordinator, 202)
    mail = accounts.mail_to("he.jianguo@family.example")
    page = re.search(r"http://\S+(/students/\S+/guardian-confirmation)", mail).group(1)
    code = re.search(r"\b(\d{8})\b", mail).group(1)
    form = accounts.http.get(page, headers={"Accept-Language": "zh-CN"})
    assert form.status_code == 200 and "监护人" in form.text
    assert accounts.http.post(page, data={"code": "12"}).status_code == 422
    wrong = accounts.http.post(page, data={"code": f"{(int(code) + 1) % 10**8:08d}"})
    assert wrong.status_code == 401 and "wrong code" in wrong.text
    done = accounts.http.post(page, data={"code": code})
    assert done.status_code == 200 and "confirmed by you as guardian" in done.text
    assert accounts.container.placements.find_student(he).placement(placement).confirmed_by == "guardian"

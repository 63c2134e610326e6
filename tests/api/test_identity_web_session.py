"""Signing in on the web: a server-side session in a cookie (HttpOnly, SameSite=Lax, Secure outside localhost),
honoured by pages only, ended by signing out, by a withdrawn grant, and never by a form from another site."""

from __future__ import annotations

import re

import pytest

from tests.api.test_identity_api import ADMIN, PASSWORD, Accounts

pytestmark = pytest.mark.api


@pytest.fixture
def accounts(client) -> Accounts:
    return Accounts(client)


def form_token(accounts: Accounts) -> str:
    """The CSRF token the account page's forms carry."""
    page = accounts.http.get("/account").text
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def signed_in_cookie(accounts: Accounts, host: str = "localhost") -> tuple[str, str]:
    answer = accounts.http.post("/sign-in", data={"login": "chen@qtc.example", "password": PASSWORD},
                                headers={"Host": host})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    header = answer.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1], header


def test_given_the_right_password_then_a_session_cookie_opens_the_account_page_and_no_api_route(accounts) -> None:
    accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    form = accounts.http.get("/sign-in")
    assert form.status_code == 200 and 'autocomplete="current-password"' in form.text
    wrong = accounts.http.post("/sign-in", data={"login": "chen@qtc.example", "password": "not it at all"})
    assert wrong.status_code == 401 and "wrong login or password" in wrong.text and "Set-Cookie" not in wrong.headers
    cookie, header = signed_in_cookie(accounts)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    page = accounts.http.get("/account")
    assert page.status_code == 200 and "Chen" in page.text and "Qingdao Technician College" in page.text
    assert accounts.http.get("/api/v1/me").status_code == 401, "the API takes bearer tokens only (no CSRF there)"
    refreshed = accounts.http.post("/api/v1/auth/refresh", json={"refresh_token": cookie.rsplit(".", 2)[0]})
    assert refreshed.status_code == 401
    _, elsewhere = signed_in_cookie(accounts, host="dualtrack.school.example")
    assert "Secure" in elsewhere


def test_given_a_session_when_a_form_from_another_site_signs_out_then_it_is_refused_and_the_session_stays(
        accounts) -> None:
    accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    cookie, _ = signed_in_cookie(accounts)
    token = form_token(accounts)
    for origin in ("http://evil.example", "http://localhost.evil.example", "https://localhost"):
        forged = accounts.http.post("/sign-out", data={"everywhere": "yes"}, headers={"Origin": origin})
        assert forged.status_code == 400 and "Set-Cookie" not in forged.headers  # no token: another site's form
        with_token = accounts.http.post("/sign-out", data={"everywhere": "yes", "csrf_token": token},
                                        headers={"Origin": origin})
        assert with_token.status_code == 403 and "Set-Cookie" not in with_token.headers
    assert accounts.http.post("/sign-out", data={"csrf_token": "0" * 64}).status_code == 400
    assert accounts.http.get("/account").status_code == 200, "a form from another site ended nothing"
    accounts.http.post("/sign-out", data={"csrf_token": token}, headers={"Origin": "http://localhost"})
    accounts.http.set_cookie("dualtrack_session", cookie, domain="localhost")
    assert accounts.http.get("/account").status_code == 303, "signed out: the old cookie opens nothing"


def test_given_a_withdrawn_grant_then_the_web_session_under_it_opens_nothing(accounts) -> None:
    chen = accounts.join(ADMIN, "chen@qtc.example", "coordinator", school_id=accounts.school)
    signed_in_cookie(accounts)
    assert accounts.http.get("/account").status_code == 200
    accounts.post(f"/api/v1/people/{chen['person_id']}/grants/{chen['grant']['grant_id']}/withdrawal", {}, ADMIN, 204)
    assert accounts.http.get("/account").status_code == 303

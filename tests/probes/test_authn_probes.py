"""Authentication probes: every route of the OpenAPI document but the public ones (listed here: a new public route is
a conscious decision) refuses a request without a token, and with a garbage, expired, foreign-audience, unsigned
(alg=none), foreign-issuer or wrongly signed one, with the same 401 and the same text, whatever the body: why a
token was refused is told to the server's log only."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.conftest import TEST_SECRET, make_settings
from tests.probes.routes import Route, document, routes, sample
from toolkit.http.context import NOT_AUTHENTICATED
from toolkit.http.keys import key_of_secret

pytestmark = pytest.mark.api

PUBLIC = {
    "POST /api/v1/auth/tokens",  # signing in
    "POST /api/v1/auth/refresh",  # a refresh token is the credential
    "POST /api/v1/password-resets",  # asking for a reset link by mail
    "GET /api/v1/invitations/{secret}",  # a mailed link's secret is the credential
    "POST /api/v1/invitations/{secret}/acceptance",
    "POST /api/v1/students/{student_id}/placements/{placement_id}/guardian-confirmation",  # a guardian's code
    "GET /api/v1/calendar-links/{token}.ics",  # a calendar link's secret
    "GET /api/v1/keys",  # the published key set that verifies signed statements and exports
}
"""The routes that take no bearer token (their operation says `security: []`)."""


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _tokens() -> dict[str, str | None]:
    """Credentials that prove nobody, by the way they fail."""
    key, now = key_of_secret(TEST_SECRET), int(time.time())
    claims = {"iss": "dualtrack", "aud": "dualtrack-api", "sub": "admin-1", "role": "admin", "jti": "probe",
              "iat": now, "exp": now + 600}

    def signed(secret: str = key.secret, **changed: Any) -> str:
        return jwt.encode({**claims, **changed}, secret, algorithm="HS256", headers={"kid": key.kid})

    return {
        "no token": None,
        "garbage": "not-a-token",
        "expired": signed(iat=now - 7200, exp=now - 3600),
        "another audience": signed(aud="another-api"),
        "another issuer": signed(iss="someone-else"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': key.kid})}.{_b64(claims)}.",
        "signed with another key": signed(secret="another-secret-of-thirty-two-bytes-or-more"),
        "an unknown key id": jwt.encode(claims, key.secret, algorithm="HS256", headers={"kid": "k-unknown"}),
    }


TOKENS = _tokens()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app over an empty deployment: a refusal at the door needs no data behind it."""
    from dualtrack.bootstrap import Container
    from tests.support.web import lent_app

    container = Container(make_settings(tmp_path_factory.mktemp("authn") / "var"))
    try:
        with lent_app(container) as app:
            yield app.test_client()
    finally:
        container.close()


@pytest.fixture(scope="module")
def guarded(client: Any) -> list[Route]:
    return [r for r in routes(document(client)) if str(r) not in PUBLIC]


def test_given_the_openapi_document_then_only_the_listed_routes_are_public(client: Any) -> None:
    public = {str(r) for r in routes(document(client)) if r.public}
    assert public <= PUBLIC, f"new public routes, list them in PUBLIC if they truly need no token: {public - PUBLIC}"


@pytest.mark.parametrize("credential", TOKENS)
def test_given_a_credential_that_proves_nobody_when_any_guarded_route_is_called_then_401_with_the_one_text(
        client: Any, guarded: list[Route], credential: str) -> None:
    token = TOKENS[credential]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    wrong = []
    for route in guarded:
        for body in ({"json": sample(route.body)} if route.body else {}, {"data": "{not json"}):
            answer = client.open(route.url(), method=route.method, headers=headers, **body)
            error = (answer.get_json(silent=True) or {}).get("error", {})
            if (answer.status_code, error.get("code"), error.get("message")) != (401, "unauthorized", NOT_AUTHENTICATED) \
                    or not answer.headers.get("WWW-Authenticate", "").startswith("Bearer"):
                wrong.append(f"{route} {sorted(body)}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
    assert not wrong, f"{credential}: {len(wrong)} answers were not the one 401:\n" + "\n".join(wrong[:20])
    assert len(guarded) >= 90, f"only {len(guarded)} routes were probed"


def test_given_refused_tokens_then_the_reason_is_in_the_servers_log_and_not_in_the_answer(
        client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="dualtrack.auth"):
        answer = client.get("/api/v1/centres", headers={"Authorization": f"Bearer {TOKENS['expired']}"})
    assert "expired" not in answer.get_data(as_text=True).lower()
    assert any("expired" in record.getMessage().lower() for record in caplog.records), caplog.text

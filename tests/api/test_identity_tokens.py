"""What makes a bearer token honoured: the deployment's own keys (never a string anyone can read in the
repository), a key id, a lifetime within the server's cap, and a key not retired by rotation."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import jwt
import pytest

from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from services.common.identity import Role
from toolkit.http.auth import issue_token
from toolkit.http.keys import LONGEST_TOKEN_LIFETIME, KeyRing, key_of_secret

pytestmark = pytest.mark.api

ROOT = Path(__file__).resolve().parents[2]


def strings_of_the_repository() -> set[str]:
    """Every string literal of every Python file, and every word of every text file, of the repository."""
    found: set[str] = set()
    for path in ROOT.rglob("*"):
        if any(part in (".git", ".venv", "var", "node_modules", "__pycache__") for part in path.parts) \
                or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix == ".py":
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            found |= {node.value for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        found |= {word.strip("\"'`(),;:=") for word in text.split()}
    return {s for s in found if s and not any("\ud800" <= c <= "\udfff" for c in s)}  # no key is unencodable


def forged(secret: str, kid: str) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"iss": "dualtrack", "aud": "dualtrack-api", "sub": "forger", "jti": uuid4().hex,
                       "role": "admin", "iat": now, "exp": now + timedelta(hours=1)}, secret, algorithm="HS256",
                      headers={"kid": kid})


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the forger's keys are short
def test_given_a_deployment_started_without_a_secret_then_no_string_of_the_repository_signs_a_token_it_honours(
        tmp_path: Path, app_for) -> None:
    container = Container(Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path / "var")}))
    try:
        http = app_for(container).test_client()
        ring = container.keys()
        real_kid = ring.current().kid
        candidates = strings_of_the_repository()
        assert len(candidates) > 5000, "the repository's strings were found"
        assert not candidates & {key.secret for key in ring.keys()}, "no key of the deployment is in the repository"
        sample = sorted(candidates, key=lambda s: (-len(s), s))[:1500]  # the longest look most like keys
        honoured = [s for s in sample for kid in {real_kid, key_of_secret(s).kid} if _honoured(ring, forged(s, kid))]
        assert honoured == [], "tokens forged with them, through the verification requests go through"

        def create_school(token: str) -> int:
            return http.post("/api/v1/schools", json={"name": "Forged", "code": "F"},
                             headers={"Authorization": f"Bearer {token}"}).status_code

        assert create_school(forged("dualtrack-development-secret-change-me-in-production", real_kid)) == 401
        assert create_school(forged(ring.current().secret, real_kid)) == 201, "the same token, rightly signed, works"
    finally:
        container.close()


def _honoured(ring: KeyRing, token: str) -> bool:
    from toolkit.http.auth import InvalidToken, verify_token

    try:
        verify_token(ring, token)
    except InvalidToken:
        return False
    return True


def test_given_a_rotated_key_then_new_tokens_use_it_and_tokens_of_the_old_key_stay_valid_until_they_expire(
        container, app_for) -> None:
    http = app_for(container).test_client()
    old = issue_token(container.keys(), role=Role.ADMIN, subject="service:import")
    other_process = KeyRing(container.settings.secret_key, container.settings.data_dir / "keys" / "token-keys")
    new_key = other_process.rotate()  # `dualtrack keys rotate`, in another process
    new = issue_token(container.keys(), role=Role.ADMIN, subject="service:import")
    assert jwt.get_unverified_header(new)["kid"] == new_key.kid != jwt.get_unverified_header(old)["kid"]
    for token in (old, new):
        assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    later = time.time() + LONGEST_TOKEN_LIFETIME.total_seconds() + 3600
    assert set(container.keys().honoured(now=later)) == {new_key.kid}, "a key replaced 30 days ago is retired"


@pytest.mark.parametrize("change", ["no kid", "unknown kid", "session token living an hour",
                                    "service token living a year", "no audience", "a blank subject",
                                    "a scope that is a number"])
def test_given_a_token_outside_the_rules_then_401(container, app_for, change: str) -> None:
    http = app_for(container).test_client()
    key = container.keys().current()
    now = datetime.now(UTC)
    claims = {"iss": "dualtrack", "aud": "dualtrack-api", "sub": "x", "jti": "j", "role": "coordinator",
              "school": "s", "iat": now, "exp": now + timedelta(minutes=10)}
    headers = {"kid": key.kid}
    if change == "no kid":
        headers = {}
    elif change == "unknown kid":
        headers = {"kid": "k-nobody"}
    elif change == "session token living an hour":
        claims.update(sid="s", grant="g", exp=now + timedelta(hours=1))
    elif change == "service token living a year":
        claims["exp"] = now + timedelta(days=365)
    elif change == "no audience":
        del claims["aud"]
    elif change == "a blank subject":
        claims["sub"] = " "
    else:
        claims["school"] = 7
    token = jwt.encode(claims, key.secret, algorithm="HS256", headers=headers)
    answer = http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.get_json()

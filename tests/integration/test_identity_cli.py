"""The console's commands about who may use a deployment: `dualtrack people invite` (the first admin),
`dualtrack keys rotate` and `list`, and `dualtrack token issue` for service accounts."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from dualtrack.cli import main

pytestmark = pytest.mark.integration

SECRET = "cli-test-secret-key-long-enough-for-hs256"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DUALTRACK_DATA_DIR": str(tmp_path / "var"), "DUALTRACK_SECRET_KEY": SECRET, "KAFKA_BOOTSTRAP_SERVERS": ""}


def test_given_a_new_deployment_when_the_first_admin_is_invited_at_the_console_then_the_link_is_printed_and_queued(
        env, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["people", "invite", "--name", "Wu Ming", "--email", "wu@dualtrack.example"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert "holds the role admin" in result.output
    assert re.search(r"http://127\.0\.0\.1:8000/invitations/\S{40,}", result.output)
    listed = CliRunner().invoke(main, ["mail", "list"], env=env)
    assert "wu@dualtrack.example" in listed.output and "/invitations/" not in listed.output
    again = CliRunner().invoke(main, ["people", "invite", "--name", "X", "--email", "x@example.org", "--role",
                                      "coordinator", "--school", "no-such-school"], env=env)
    assert again.exit_code == 1 and "no school" in again.output and "Traceback" not in again.output


def test_given_a_rotation_then_new_tokens_carry_the_new_key_id_and_the_key_file_is_private(env, tmp_path: Path) -> None:
    first = CliRunner().invoke(main, ["token", "issue", "--role", "auditor", "--subject", "nightly-export"], env=env)
    rotated = CliRunner().invoke(main, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    second = CliRunner().invoke(main, ["token", "issue", "--role", "auditor", "--subject", "nightly-export"], env=env)
    kids = [jwt.get_unverified_header(r.output.strip())["kid"] for r in (first, second)]
    assert kids[0] != kids[1] and kids[1] in rotated.output
    listing = CliRunner().invoke(main, ["keys", "list"], env=env).output.splitlines()
    assert [line.split()[-1] for line in listing] == ["honoured", "signs"]
    files = list((tmp_path / "var" / "keys" / "token-keys").iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_given_a_service_token_then_its_subject_says_service_and_people_roles_are_not_issued(env) -> None:
    result = CliRunner().invoke(main, ["token", "issue", "--role", "mentor", "--enterprise", "ent-1",
                                       "--subject", "timesheet-import"], env=env)
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["enterprise"]) == ("service:timesheet-import", "mentor", "ent-1")
    for role in ("student", "guardian"):
        refused = CliRunner().invoke(main, ["token", "issue", "--role", role], env=env)
        assert refused.exit_code == 2 and "Traceback" not in refused.output
    blank = CliRunner().invoke(main, ["token", "issue", "--role", "admin", "--subject", "  "], env=env)
    assert blank.exit_code == 2 and "--subject" in blank.output
